//! Binary cross-entropy on probabilities, PyTorch's `nn.BCELoss`.

use super::{Loss, elementwise_mean};
use crate::error::Error;

/// `L = -1/(B·N) Σ [t ln p + (1 - t) ln(1 - p)]`, each log clamped at -100 as PyTorch does,
/// so exact 0 and 1 probabilities give finite values;
/// `dL/dp = (p - t) / max(p (1 - p), 1e-12) / (B·N)`.
///
/// On raw logits prefer [`BceWithLogitsLoss`](super::BceWithLogitsLoss), which is exact
/// where the sigmoid saturates.
#[derive(Clone, Copy, Debug, Default)]
pub struct BceLoss;

impl<const N: usize> Loss<[f32; N]> for BceLoss {
    type Target = [f32; N];

    fn loss_and_grad(&self, output: &[[f32; N]], target: &[[f32; N]], grad: &mut [[f32; N]]) -> Result<f32, Error> {
        elementwise_mean(output, target, Some(grad), term)
    }

    fn loss(&self, output: &[[f32; N]], target: &[[f32; N]]) -> Result<f32, Error> {
        elementwise_mean(output, target, None, term)
    }
}

const LOG_FLOOR: f32 = -100.0;

fn term(p: f32, t: f32) -> (f32, f32) {
    let log_p = libm::logf(p).max(LOG_FLOOR);
    let log_1mp = libm::logf(1.0 - p).max(LOG_FLOOR);
    let loss = -(t * log_p + (1.0 - t) * log_1mp);
    (loss, (p - t) / (p * (1.0 - p)).max(1e-12))
}
