//! The [`Callback`] trait and the [`Control`] its hooks receive.

use super::error::CallbackError;
use super::logs::Logs;
use crate::layer::Layer;
use crate::model::Model;
use crate::optim::Optimizer;

/// What a hook can reach: the model (to save it or restore weights), the optimizer (its
/// learning rate), and the flag that stops training, Keras's `model.stop_training`.
pub struct Control<'a, N: Layer> {
    /// The model being trained.
    pub model: &'a mut Model<N>,
    /// Its optimizer.
    pub optimizer: &'a mut dyn Optimizer<N>,
    stop: bool,
    initial_epoch: usize,
}

impl<'a, N: Layer> Control<'a, N> {
    /// A run of `model` with `optimizer`, not stopped.
    pub fn new(model: &'a mut Model<N>, optimizer: &'a mut dyn Optimizer<N>) -> Self {
        Control { model, optimizer, stop: false, initial_epoch: 0 }
    }

    /// The same run, resumed at `epoch` (Keras's `initial_epoch`).
    pub fn starting_at(mut self, epoch: usize) -> Self {
        self.initial_epoch = epoch;
        self
    }

    /// The epoch the run started at: 0, or a resumed run's `initial_epoch`. Stateful
    /// callbacks keep their state (restored from a
    /// [`Checkpoint`](crate::train::Checkpoint), or left by the previous run) at the start
    /// of a resumed run instead of resetting it.
    pub fn initial_epoch(&self) -> usize {
        self.initial_epoch
    }

    /// Asks the loop to stop after the current batch or epoch.
    pub fn stop_training(&mut self) {
        self.stop = true;
    }

    /// Whether a callback asked to stop.
    pub fn stopped(&self) -> bool {
        self.stop
    }

    /// The optimizer's learning rate.
    pub fn learning_rate(&self) -> f32 {
        self.optimizer.learning_rate()
    }

    /// Sets the optimizer's learning rate.
    pub fn set_learning_rate(&mut self, lr: f32) {
        self.optimizer.set_learning_rate(lr);
    }
}

/// Code a training loop runs at fixed points, Keras's `keras.callbacks.Callback`. Every
/// hook does nothing by default. `epoch` and `batch` count from 0 (Keras's too; files and
/// messages print them from 1, as Keras does).
///
/// A loop calls, per run: `on_train_begin`; per epoch `on_epoch_begin`, per batch
/// `on_train_batch_begin` and `on_train_batch_end` (with the batch's `loss`), then
/// `on_epoch_end` with the epoch's logs (`loss`, metrics, `val_*`); and `on_train_end`
/// with the last epoch's logs. It stops after the batch or epoch in which a hook called
/// [`Control::stop_training`], and stops at the first error a hook returns.
#[allow(unused_variables)]
pub trait Callback<N: Layer> {
    /// Before the first epoch.
    fn on_train_begin(&mut self, run: &mut Control<'_, N>) -> Result<(), CallbackError> {
        Ok(())
    }

    /// After the last epoch, with its logs.
    fn on_train_end(&mut self, logs: &Logs, run: &mut Control<'_, N>) -> Result<(), CallbackError> {
        Ok(())
    }

    /// Before epoch `epoch`.
    fn on_epoch_begin(&mut self, epoch: usize, run: &mut Control<'_, N>) -> Result<(), CallbackError> {
        Ok(())
    }

    /// After epoch `epoch`, with its logs; a callback may add values (`lr`).
    fn on_epoch_end(&mut self, epoch: usize, logs: &mut Logs, run: &mut Control<'_, N>) -> Result<(), CallbackError> {
        Ok(())
    }

    /// Before batch `batch` of the epoch.
    fn on_train_batch_begin(&mut self, batch: usize, run: &mut Control<'_, N>) -> Result<(), CallbackError> {
        Ok(())
    }

    /// After batch `batch` of the epoch, with its logs (`loss`).
    fn on_train_batch_end(&mut self, batch: usize, logs: &Logs, run: &mut Control<'_, N>) -> Result<(), CallbackError> {
        Ok(())
    }
}
