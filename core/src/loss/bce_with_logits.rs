//! Binary cross-entropy on logits, PyTorch's `nn.BCEWithLogitsLoss`.

use super::{Loss, check_probabilities, elementwise_mean};
use crate::error::Error;
use crate::math::logistic;

/// `L = 1/(B·N) Σ [max(z, 0) - z t + ln(1 + e^-|z|)]`, the stable form of
/// `-[t ln σ(z) + (1 - t) ln(1 - σ(z))]`, finite for any logit; `dL/dz = (σ(z) - t) / (B·N)`.
/// Targets are probabilities in `[0, 1]`; others are an error.
#[derive(Clone, Copy, Debug, Default)]
pub struct BceWithLogitsLoss;

impl<const N: usize> Loss<[f32; N]> for BceWithLogitsLoss {
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

fn term(z: f32, t: f32) -> (f32, f32) {
    let loss = crate::finite::max_keep_nan(z, 0.0) - z * t + libm::log1pf(libm::expf(-z.abs()));
    (loss, logistic(z) - t)
}
