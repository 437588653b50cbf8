//! The record of a run, epoch by epoch.

use std::time::{Duration, Instant};
use std::vec::Vec;

use super::control::{Callback, Control};
use super::error::CallbackError;
use super::logs::Logs;
use crate::layer::Layer;

/// Keras's `History`: every epoch's logs (training loss, validation loss, every metric,
/// the learning rate when a callback logs it) and how long the epoch took.
#[derive(Clone, Debug, Default)]
pub struct History {
    epochs: Vec<(usize, Logs, Duration)>,
    started: Option<Instant>,
    best_epoch: Option<usize>,
}

impl History {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `epoch` with its logs and duration (what the hooks do).
    pub fn record(&mut self, epoch: usize, logs: Logs, time: Duration) {
        self.epochs.push((epoch, logs, time));
    }

    /// The epochs recorded, in order.
    pub fn epochs(&self) -> impl Iterator<Item = usize> + '_ {
        self.epochs.iter().map(|e| e.0)
    }

    /// The logs of each recorded epoch.
    pub fn logs(&self) -> impl Iterator<Item = &Logs> + '_ {
        self.epochs.iter().map(|e| &e.1)
    }

    /// The value `name` (`loss`, `val_accuracy`, `lr`) of each epoch, `None` where an
    /// epoch did not log it: Keras's `history.history[name]`.
    pub fn get(&self, name: &str) -> Vec<Option<f64>> {
        self.epochs.iter().map(|e| e.1.get(name)).collect()
    }

    /// How long each epoch took.
    pub fn times(&self) -> Vec<Duration> {
        self.epochs.iter().map(|e| e.2).collect()
    }

    /// Number of epochs recorded.
    pub fn len(&self) -> usize {
        self.epochs.len()
    }

    /// Whether no epoch was recorded.
    pub fn is_empty(&self) -> bool {
        self.epochs.is_empty()
    }

    /// Marks `epoch` as the one whose weights the model ended with (what
    /// [`EarlyStopping::restored_epoch`](super::EarlyStopping::restored_epoch) says): the
    /// plot marks it.
    pub fn set_best_epoch(&mut self, epoch: Option<usize>) {
        self.best_epoch = epoch;
    }

    /// The epoch set by [`History::set_best_epoch`].
    pub fn best_epoch(&self) -> Option<usize> {
        self.best_epoch
    }
}

impl<N: Layer> Callback<N> for History {
    fn on_train_begin(&mut self, _: &mut Control<'_, N>) -> Result<(), CallbackError> {
        self.epochs.clear();
        self.best_epoch = None;
        Ok(())
    }

    fn on_epoch_begin(&mut self, _: usize, _: &mut Control<'_, N>) -> Result<(), CallbackError> {
        self.started = Some(Instant::now());
        Ok(())
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &mut Logs, _: &mut Control<'_, N>) -> Result<(), CallbackError> {
        let time = self.started.take().map_or(Duration::ZERO, |t| t.elapsed());
        self.record(epoch, *logs, time);
        Ok(())
    }
}
