//! Stopping a run whose loss is no longer a number.

use super::control::{Callback, Control};
use super::error::CallbackError;
use super::logs::Logs;
use crate::layer::Layer;

/// Keras's `TerminateOnNaN`: stops training after a batch whose `loss` is NaN or
/// infinite, and tells at which batch ([`TerminateOnNaN::batch`]). staticnet's training
/// step already refuses a non-finite loss with an error before it changes the weights;
/// this callback is for loops that log such a loss and carry on, as Keras's do.
#[derive(Clone, Copy, Debug, Default)]
pub struct TerminateOnNaN {
    stopped_at: Option<usize>,
}

impl TerminateOnNaN {
    /// A new callback.
    pub fn new() -> Self {
        Self::default()
    }

    /// The batch (of its epoch) after which it stopped training, if it did.
    pub fn batch(&self) -> Option<usize> {
        self.stopped_at
    }
}

impl<N: Layer> Callback<N> for TerminateOnNaN {
    fn on_train_batch_end(&mut self, batch: usize, logs: &Logs, run: &mut Control<'_, N>) -> Result<(), CallbackError> {
        if logs.get("loss").is_some_and(|loss| !loss.is_finite()) {
            self.stopped_at = Some(batch);
            run.stop_training();
        }
        Ok(())
    }
}
