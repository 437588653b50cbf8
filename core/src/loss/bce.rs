//! Binary cross-entropy on probabilities, PyTorch's `nn.BCELoss`.

use super::{Loss, check_probabilities, elementwise_mean};
use crate::error::Error;
use crate::finite::max_keep_nan;

/// `L = -1/(B·N) Σ [t ln p + (1 - t) ln(1 - p)]`, each log clamped at -100 as PyTorch does,
/// so exact 0 and 1 probabilities give finite values;
/// `dL/dp = (p - t) / max(p (1 - p), 1e-12) / (B·N)`.
///
/// Targets are probabilities in `[0, 1]`; others are an error.
///
/// On raw logits prefer [`BceWithLogitsLoss`](super::BceWithLogitsLoss), which is exact
/// where the sigmoid saturates.
#[derive(Clone, Copy, Debug, Default)]
pub struct BceLoss;

impl<const N: usize> Loss<[f32; N]> for BceLoss {
    type Target = [f32; N];

    fn loss_and_grad(&self, output: &[[f32; N]], target: &[[f32; N]], grad: &mut [[f32; N]]) -> Result<f32, Error> {
        check_probabilities(target)?;
        elementwise_mean(output, target, Some(grad), term)
    }

    fn loss(&self, output: &[[f32; N]], target: &[[f32; N]]) -> Result<f32, Error> {
        check_probabilities(target)?;
        elementwise_mean(output, target, None, term)
    }

    fn check_targets(&self, target: &[[f32; N]]) -> Result<(), Error> {
        check_probabilities(target)
    }
}

const LOG_FLOOR: f32 = -100.0;

fn term(p: f32, t: f32) -> (f32, f32) {
    // Clamps that keep NaN, so a NaN probability gives a NaN loss as in PyTorch.
    let log_p = max_keep_nan(libm::logf(p), LOG_FLOOR);
    let log_1mp = max_keep_nan(libm::logf(1.0 - p), LOG_FLOOR);
    let loss = -(t * log_p + (1.0 - t) * log_1mp);
    (loss, (p - t) / max_keep_nan(p * (1.0 - p), 1e-12))
}
