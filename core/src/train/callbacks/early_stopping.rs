//! Stopping when a monitored value stops improving.

use super::control::{Callback, Control};
use super::error::CallbackError;
use super::logs::Logs;
use super::monitor::MonitorMode;
use crate::layer::Layer;
use crate::state::{Resumable, StateVisitor};

/// Keras's `EarlyStopping`: stops training when `monitor` has not improved by more than
/// `min_delta` for `patience` epochs, and optionally restores the weights of the best
/// epoch at the end.
///
/// Per epoch `e` with value `x` (skipped while `e < start_from_epoch`), as Keras 3:
///
/// ```text
/// wait += 1
/// if x is better than best by min_delta (or best is unset):
///     best = x, best_epoch = e, keep the weights (restore_best_weights)
///     if baseline is unset or x is better than baseline by min_delta: wait = 0
/// else if wait >= patience and e > 0: stop, stopped_epoch = e
/// ```
///
/// and at the end of training, with `restore_best_weights`, the model gets the weights
/// (parameters and batch-norm statistics, as Keras's `get_weights`) of `best_epoch`, also
/// when training ran to the end without stopping, as in Keras 3.
///
/// Keras's defaults: `monitor = "val_loss"`, `min_delta = 0`, `patience = 0`, mode
/// [`MonitorMode::Auto`], no baseline, no restoring, `start_from_epoch = 0`. Differences:
/// a monitor missing from the logs is an error (Keras warns and never stops), and
/// `restore_best_weights` needs the `alloc` feature (the copy is a heap block the size of
/// the model's parameters and state).
///
/// Resuming: a run that starts at `initial_epoch > 0` keeps the state (Keras resets it at
/// every `fit`), and the state is [`Resumable`]: a [`Checkpoint`](crate::train::Checkpoint)
/// part holding `wait`, `best`, `best_epoch`, `stopped_epoch` and, with
/// `restore_best_weights`, the best weights, so that a resumed run stops and restores
/// where the uninterrupted run does.
pub struct EarlyStopping<N: Layer> {
    /// The value watched (`val_loss`).
    pub monitor: &'static str,
    /// The smallest change that counts as an improvement (its absolute value is used).
    pub min_delta: f64,
    /// Epochs without improvement after which training stops.
    pub patience: usize,
    /// Whether lower or higher is better.
    pub mode: MonitorMode,
    /// A value to beat: until `monitor` beats it, `wait` is not reset.
    pub baseline: Option<f64>,
    /// Epochs at the start that are not watched (warm-up).
    pub start_from_epoch: usize,
    wait: usize,
    best: Option<f64>,
    best_epoch: usize,
    stopped_epoch: usize,
    restored: bool,
    #[cfg(feature = "alloc")]
    best_weights: Option<Weights<N>>,
    #[cfg(feature = "alloc")]
    restore_best_weights: bool,
    _net: core::marker::PhantomData<fn() -> N>,
}

/// A copy of a model's parameters and state, on the heap.
#[cfg(feature = "alloc")]
type Weights<N> = (alloc::boxed::Box<<N as crate::Forward>::Params>, alloc::boxed::Box<<N as crate::Forward>::State>);

impl<N: Layer> Default for EarlyStopping<N> {
    fn default() -> Self {
        Self::new("val_loss")
    }
}

impl<N: Layer> EarlyStopping<N> {
    /// Watches `monitor`, with Keras's defaults for the rest.
    pub fn new(monitor: &'static str) -> Self {
        EarlyStopping {
            monitor,
            min_delta: 0.0,
            patience: 0,
            mode: MonitorMode::Auto,
            baseline: None,
            start_from_epoch: 0,
            wait: 0,
            best: None,
            best_epoch: 0,
            stopped_epoch: 0,
            restored: false,
            #[cfg(feature = "alloc")]
            best_weights: None,
            #[cfg(feature = "alloc")]
            restore_best_weights: false,
            _net: core::marker::PhantomData,
        }
    }

    /// Sets `patience`.
    pub fn patience(mut self, patience: usize) -> Self {
        self.patience = patience;
        self
    }

    /// Sets `min_delta`.
    pub fn min_delta(mut self, min_delta: f64) -> Self {
        self.min_delta = min_delta.abs();
        self
    }

    /// Sets the mode.
    pub fn mode(mut self, mode: MonitorMode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets the baseline.
    pub fn baseline(mut self, baseline: f64) -> Self {
        self.baseline = Some(baseline);
        self
    }

    /// Sets `start_from_epoch`.
    pub fn start_from_epoch(mut self, epoch: usize) -> Self {
        self.start_from_epoch = epoch;
        self
    }

    /// Restores the best epoch's weights at the end of training.
    #[cfg(feature = "alloc")]
    pub fn restore_best_weights(mut self, restore: bool) -> Self {
        self.restore_best_weights = restore;
        self
    }

    /// The epoch at which training was stopped, if it was (Keras's `stopped_epoch`, which
    /// is 0 when it was not).
    pub fn stopped_epoch(&self) -> Option<usize> {
        (self.stopped_epoch > 0).then_some(self.stopped_epoch)
    }

    /// The epoch with the best value so far.
    pub fn best_epoch(&self) -> usize {
        self.best_epoch
    }

    /// The best value so far.
    pub fn best(&self) -> Option<f64> {
        self.best
    }

    /// Epochs since the last improvement (Keras's `wait`).
    pub fn wait(&self) -> usize {
        self.wait
    }

    /// The epoch whose weights were restored at the end of training, if any.
    pub fn restored_epoch(&self) -> Option<usize> {
        self.restored.then_some(self.best_epoch)
    }

    fn improves(&self, value: f64, reference: Option<f64>) -> bool {
        let mode = self.mode.resolve(self.monitor);
        reference.is_none_or(|r| mode.better(value, r, self.min_delta.abs()))
    }

    #[cfg(feature = "alloc")]
    fn keep_weights(&mut self, run: &Control<'_, N>) {
        use crate::flat::Flat;
        if !self.restore_best_weights {
            return;
        }
        let copy = self.best_weights.get_or_insert_with(|| (crate::flat::boxed_zeroed(), crate::flat::boxed_zeroed()));
        copy.0.as_flat_mut().copy_from_slice(run.model.params.as_flat());
        copy.1.as_flat_mut().copy_from_slice(run.model.state.as_flat());
    }

    #[cfg(not(feature = "alloc"))]
    fn keep_weights(&mut self, _: &Control<'_, N>) {}
}

impl<N: Layer> Callback<N> for EarlyStopping<N> {
    fn on_train_begin(&mut self, run: &mut Control<'_, N>) -> Result<(), CallbackError> {
        if run.initial_epoch() > 0 {
            self.restored = false;
            return Ok(());
        }
        (self.wait, self.best, self.best_epoch, self.stopped_epoch, self.restored) = (0, None, 0, 0, false);
        #[cfg(feature = "alloc")]
        {
            self.best_weights = None;
        }
        Ok(())
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &mut Logs, run: &mut Control<'_, N>) -> Result<(), CallbackError> {
        let current = logs
            .get(self.monitor)
            .ok_or(CallbackError::MissingLog { callback: "EarlyStopping", name: self.monitor })?;
        if epoch < self.start_from_epoch {
            return Ok(());
        }
        #[cfg(feature = "alloc")]
        if self.restore_best_weights && self.best_weights.is_none() {
            // Keras: if no best weights were kept yet, the current ones are the best.
            self.keep_weights(run);
            self.best_epoch = epoch;
        }
        self.wait += 1;
        if self.improves(current, self.best) {
            self.best = Some(current);
            self.best_epoch = epoch;
            self.keep_weights(run);
            if self.baseline.is_none() || self.improves(current, self.baseline) {
                self.wait = 0;
            }
            return Ok(());
        }
        if self.wait >= self.patience && epoch > 0 {
            self.stopped_epoch = epoch;
            run.stop_training();
        }
        Ok(())
    }

    fn on_train_end(&mut self, _: &Logs, run: &mut Control<'_, N>) -> Result<(), CallbackError> {
        #[cfg(feature = "alloc")]
        if let (true, Some(best)) = (self.restore_best_weights, &self.best_weights) {
            use crate::flat::Flat;
            run.model.params.as_flat_mut().copy_from_slice(best.0.as_flat());
            run.model.state.as_flat_mut().copy_from_slice(best.1.as_flat());
            self.restored = true;
        }
        let _ = run;
        Ok(())
    }
}

impl<N: Layer> Resumable for EarlyStopping<N> {
    /// `wait`, `best` (NaN while unset), `best_epoch`, `stopped_epoch`, and with
    /// `restore_best_weights` the kept weights, `best_params` and `best_state` (zeros
    /// until an epoch was watched).
    fn visit_state(&mut self, visitor: &mut dyn StateVisitor) {
        let mut count = |name, value: &mut usize| {
            let mut v = *value as u64;
            visitor.count(name, &mut v);
            *value = usize::try_from(v).unwrap_or(usize::MAX);
        };
        count("wait", &mut self.wait);
        count("best_epoch", &mut self.best_epoch);
        count("stopped_epoch", &mut self.stopped_epoch);
        let mut best = self.best.unwrap_or(f64::NAN);
        visitor.real("best", &mut best);
        self.best = (!best.is_nan()).then_some(best);
        #[cfg(feature = "alloc")]
        if self.restore_best_weights {
            use crate::flat::Flat;
            let kept = self.best_weights.is_some();
            let weights =
                self.best_weights.get_or_insert_with(|| (crate::flat::boxed_zeroed(), crate::flat::boxed_zeroed()));
            let mut has = u64::from(kept);
            visitor.count("has_best_weights", &mut has);
            crate::state::visit_buffer(visitor, "best_params", weights.0.as_flat_mut());
            crate::state::visit_buffer(visitor, "best_state", weights.1.as_flat_mut());
            if has == 0 {
                self.best_weights = None;
            }
        }
    }
}
