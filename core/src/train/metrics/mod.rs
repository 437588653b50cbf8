//! Metrics that [`fit`](super::fit) reports per epoch, on the training batches and on the
//! validation data, Keras's `metrics=[...]`.
//!
//! A metric sees each batch's outputs and targets ([`Metric::update`]) and reports one
//! number for the epoch ([`Metric::result`]); [`Metric::reset`] starts the next. Built in:
//! [`Accuracy`], [`TopKAccuracy`] and [`BinaryAccuracy`] for classification,
//! [`MeanSquaredError`], [`MeanAbsoluteError`] and [`R2Score`] for regression. Implement
//! the trait for others. Nothing here allocates, and it all works without `std`.

mod classification;
mod regression;

pub use classification::{Accuracy, BinaryAccuracy, TopKAccuracy};
pub use regression::{MeanAbsoluteError, MeanSquaredError, R2Score};

/// A number computed over an epoch's samples from the network's outputs `O` and targets `T`.
pub trait Metric<O, T> {
    /// The name in the logs (`accuracy`; `val_accuracy` on validation data), Keras's.
    fn name(&self) -> &'static str;
    /// Forgets every sample seen.
    fn reset(&mut self);
    /// Takes in one batch: `outputs[i]` is the network's output for the sample whose
    /// target is `targets[i]`.
    fn update(&mut self, outputs: &[O], targets: &[T]);
    /// The value over the samples seen since the last reset (NaN before any).
    fn result(&self) -> f64;
}
