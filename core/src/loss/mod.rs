//! Loss functions. Each averages over the batch and writes `dL/doutput` for backward.
//!
//! Conventions follow PyTorch's `reduction='mean'`: elementwise losses (MSE, BCE, Huber)
//! average over every element, class losses (cross-entropy, NLL) over the rows.

mod bce;
mod bce_with_logits;
mod categorical_cross_entropy;
mod cross_entropy;
mod half_squared_error;
mod huber;
mod kl_div;
mod mse;
mod nll;
mod smooth_l1;
mod sparse_categorical_cross_entropy;
mod targets;
mod weighted_bce_with_logits;

pub use bce::BceLoss;
pub use bce_with_logits::BceWithLogitsLoss;
pub use categorical_cross_entropy::CategoricalCrossEntropy;
pub use cross_entropy::CrossEntropyLoss;
pub use half_squared_error::HalfSquaredError;
pub use huber::HuberLoss;
pub use kl_div::{KlDivLoss, KlReduction};
pub use mse::MseLoss;
pub use nll::NllLoss;
pub use smooth_l1::SmoothL1Loss;
pub use sparse_categorical_cross_entropy::SparseCategoricalCrossEntropy;
pub use targets::{LossFor, TargetOf};
pub use weighted_bce_with_logits::WeightedBceWithLogitsLoss;

use crate::error::Error;

/// A loss over a batch of outputs of type `O` (e.g. `[f32; 10]`).
pub trait Loss<O> {
    /// One target: `O` itself for regression losses, a class index for class losses.
    type Target;

    /// The mean loss over the rows, and `grad = dL/doutput` (same length as `output`).
    fn loss_and_grad(&self, output: &[O], target: &[Self::Target], grad: &mut [O]) -> Result<f32, Error>;

    /// The mean loss alone.
    fn loss(&self, output: &[O], target: &[Self::Target]) -> Result<f32, Error>;

    /// Checks targets before a forward pass: finite values, classes in range, values the
    /// loss is defined for. A training step calls it first, so a bad target is an error
    /// that names its row before anything is computed. Accepts everything by default.
    fn check_targets(&self, target: &[Self::Target]) -> Result<(), Error> {
        let _ = target;
        Ok(())
    }
}

/// Checks that there is one target per row and at least one row.
pub(crate) fn check_rows<O, T>(output: &[O], target: &[T]) -> Result<(), Error> {
    if output.len() != target.len() {
        return Err(Error::TargetCount { outputs: output.len(), targets: target.len() });
    }
    if output.is_empty() {
        return Err(Error::EmptyBatch);
    }
    Ok(())
}

/// Checks that every class index is below `classes`.
pub(crate) fn check_classes(target: &[usize], classes: usize) -> Result<(), Error> {
    match target.iter().enumerate().find(|&(_, &c)| c >= classes) {
        Some((row, &class)) => Err(Error::ClassOutOfRange { row, class, classes }),
        None => Ok(()),
    }
}

/// Checks that every target is a finite probability in `[0, 1]`.
pub(crate) fn check_probabilities<const N: usize>(target: &[[f32; N]]) -> Result<(), Error> {
    crate::finite::check_targets(target)?;
    for (row, t) in target.iter().enumerate() {
        if let Some((index, &value)) = t.iter().enumerate().find(|&(_, t)| !(0.0..=1.0).contains(t)) {
            return Err(Error::TargetOutOfRange { row, index, value });
        }
    }
    Ok(())
}

/// Mean over all elements of `term(o, t) -> (loss, dloss/do)`, writing the gradient of the
/// mean into `grad` when given. Shared by the elementwise losses.
pub(crate) fn elementwise_mean<const N: usize>(
    output: &[[f32; N]],
    target: &[[f32; N]],
    mut grad: Option<&mut [[f32; N]]>,
    term: impl Fn(f32, f32) -> (f32, f32),
) -> Result<f32, Error> {
    check_rows(output, target)?;
    let scale = 1.0 / (output.len() * N) as f32;
    let mut total = 0.0f64;
    for (r, (o_row, t_row)) in output.iter().zip(target).enumerate() {
        for (i, (&o, &t)) in o_row.iter().zip(t_row).enumerate() {
            let (l, d) = term(o, t);
            total += l as f64;
            if let Some(g) = grad.as_deref_mut().and_then(|g| g.get_mut(r)) {
                g[i] = d * scale;
            }
        }
    }
    Ok(total as f32 * scale)
}

/// `ln Σ_i e^(z_i)`, computed as `m + ln Σ_i e^(z_i - m)` so that it never overflows.
pub(crate) fn log_sum_exp<const N: usize>(z: &[f32; N]) -> f32 {
    // `f32::max` skips a NaN here, but `e^(NaN - m)` is NaN, so NaN still propagates.
    let max = z.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    max + libm::logf(z.iter().map(|&v| crate::vector_math::exp(v - max)).sum())
}
