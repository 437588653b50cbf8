//! Training and evaluation loops over a [`Dataset`](crate::data::Dataset) (std only): one
//! epoch of mini-batch training, accuracy, loss and predictions on held-out data; training
//! checkpoints that resume a run bit for bit; Keras's [`fit`] with [`metrics`]; and [`callbacks`] (the trait and the
//! callbacks that need no `std` work without it).

pub mod callbacks;
#[cfg(feature = "std")]
mod checkpoint;
#[cfg(feature = "std")]
mod epoch;
#[cfg(feature = "std")]
mod evaluate;
mod fit;
pub mod metrics;
#[cfg(feature = "std")]
mod progress;
mod training_workspace;
#[cfg(feature = "std")]
mod validation_split;

#[cfg(feature = "std")]
pub use checkpoint::{CHECKPOINT_VERSION, Checkpoint, CheckpointError, Progress};
#[cfg(feature = "std")]
pub use epoch::{EpochStats, train_epoch, train_epoch_augmented, train_epoch_loss};
#[cfg(feature = "std")]
pub use evaluate::{accuracy, evaluate_loss, predict_all};
pub use fit::{BatchBuffers, Fit, FitError, NoValidation, fit};
pub use training_workspace::TrainingWorkspace;
