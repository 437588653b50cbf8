//! A callback made of closures.

use alloc::boxed::Box;

use super::control::{Callback, Control};
use super::error::CallbackError;
use super::logs::Logs;
use crate::layer::Layer;

/// Keras's `LambdaCallback`: each hook given as a closure, `LambdaCallback::new()
/// .with_epoch_end(|epoch, logs, run| ...)` for Keras's `LambdaCallback(on_epoch_end=...)`
/// (`with_` so that the builders do not shadow the hooks they set). Feature `alloc`: the
/// closures are boxed, so that one type holds any of them.
///
/// ```
/// use staticnet_core::layers::Dense;
/// use staticnet_core::train::callbacks::{Callback, Control, LambdaCallback, Logs};
/// use staticnet_core::{Model, optim::Sgd};
///
/// let mut seen = Vec::new();
/// let mut callback = LambdaCallback::<Dense<2, 1>>::new()
///     .with_epoch_end(|epoch, logs: &mut Logs, _| Ok(seen.push((epoch, logs.get("loss")))));
/// let (mut model, mut sgd) = (Model::<Dense<2, 1>>::new(0), Sgd::new(0.1));
/// let mut logs = Logs::new();
/// logs.set("loss", 0.5).unwrap();
/// callback.on_epoch_end(3, &mut logs, &mut Control::new(&mut model, &mut sgd)).unwrap();
/// drop(callback);
/// assert_eq!(seen, [(3, Some(0.5))]);
/// ```
#[allow(clippy::type_complexity)]
pub struct LambdaCallback<'f, N: Layer> {
    train_begin: Option<Box<dyn FnMut(&mut Control<'_, N>) -> Result<(), CallbackError> + 'f>>,
    train_end: Option<Box<dyn FnMut(&Logs, &mut Control<'_, N>) -> Result<(), CallbackError> + 'f>>,
    epoch_begin: Option<Box<dyn FnMut(usize, &mut Control<'_, N>) -> Result<(), CallbackError> + 'f>>,
    epoch_end: Option<Box<dyn FnMut(usize, &mut Logs, &mut Control<'_, N>) -> Result<(), CallbackError> + 'f>>,
    batch_end: Option<Box<dyn FnMut(usize, &Logs, &mut Control<'_, N>) -> Result<(), CallbackError> + 'f>>,
}

impl<N: Layer> Default for LambdaCallback<'_, N> {
    fn default() -> Self {
        LambdaCallback { train_begin: None, train_end: None, epoch_begin: None, epoch_end: None, batch_end: None }
    }
}

impl<'f, N: Layer> LambdaCallback<'f, N> {
    /// No hooks.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `f` on train begin.
    pub fn with_train_begin(mut self, f: impl FnMut(&mut Control<'_, N>) -> Result<(), CallbackError> + 'f) -> Self {
        self.train_begin = Some(Box::new(f));
        self
    }

    /// Runs `f` on train end.
    pub fn with_train_end(
        mut self,
        f: impl FnMut(&Logs, &mut Control<'_, N>) -> Result<(), CallbackError> + 'f,
    ) -> Self {
        self.train_end = Some(Box::new(f));
        self
    }

    /// Runs `f` on epoch begin.
    pub fn with_epoch_begin(
        mut self,
        f: impl FnMut(usize, &mut Control<'_, N>) -> Result<(), CallbackError> + 'f,
    ) -> Self {
        self.epoch_begin = Some(Box::new(f));
        self
    }

    /// Runs `f` on epoch end.
    pub fn with_epoch_end(
        mut self,
        f: impl FnMut(usize, &mut Logs, &mut Control<'_, N>) -> Result<(), CallbackError> + 'f,
    ) -> Self {
        self.epoch_end = Some(Box::new(f));
        self
    }

    /// Runs `f` on batch end.
    pub fn with_train_batch_end(
        mut self,
        f: impl FnMut(usize, &Logs, &mut Control<'_, N>) -> Result<(), CallbackError> + 'f,
    ) -> Self {
        self.batch_end = Some(Box::new(f));
        self
    }
}

impl<N: Layer> Callback<N> for LambdaCallback<'_, N> {
    fn on_train_begin(&mut self, run: &mut Control<'_, N>) -> Result<(), CallbackError> {
        self.train_begin.as_mut().map_or(Ok(()), |f| f(run))
    }
    fn on_train_end(&mut self, logs: &Logs, run: &mut Control<'_, N>) -> Result<(), CallbackError> {
        self.train_end.as_mut().map_or(Ok(()), |f| f(logs, run))
    }
    fn on_epoch_begin(&mut self, epoch: usize, run: &mut Control<'_, N>) -> Result<(), CallbackError> {
        self.epoch_begin.as_mut().map_or(Ok(()), |f| f(epoch, run))
    }
    fn on_epoch_end(&mut self, epoch: usize, logs: &mut Logs, run: &mut Control<'_, N>) -> Result<(), CallbackError> {
        self.epoch_end.as_mut().map_or(Ok(()), |f| f(epoch, logs, run))
    }
    fn on_train_batch_end(&mut self, batch: usize, logs: &Logs, run: &mut Control<'_, N>) -> Result<(), CallbackError> {
        self.batch_end.as_mut().map_or(Ok(()), |f| f(batch, logs, run))
    }
}
