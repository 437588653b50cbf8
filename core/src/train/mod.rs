//! Training and evaluation loops over a [`Dataset`](crate::data::Dataset) of labelled
//! samples (std only): one epoch of mini-batch training, accuracy on held-out data; and
//! training checkpoints that resume a run bit for bit.

mod checkpoint;
mod epoch;
mod evaluate;

pub use checkpoint::{CHECKPOINT_VERSION, Checkpoint, CheckpointError, Progress};
pub use epoch::{EpochStats, train_epoch};
pub use evaluate::accuracy;
