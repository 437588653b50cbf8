//! Training and evaluation loops over a [`Dataset`](crate::data::Dataset) (std only): one
//! epoch of mini-batch training, accuracy, loss and predictions on held-out data.

mod epoch;
mod evaluate;

pub use epoch::{EpochStats, train_epoch, train_epoch_augmented, train_epoch_loss};
pub use evaluate::{accuracy, evaluate_loss, predict_all};
