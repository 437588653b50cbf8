//! Training and evaluation loops over a [`Dataset`](crate::data::Dataset) of labelled
//! samples (std only): one epoch of mini-batch training, accuracy on held-out data.

mod epoch;
mod evaluate;

pub use epoch::{EpochStats, train_epoch};
pub use evaluate::accuracy;
