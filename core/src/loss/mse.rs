//! Mean squared error, PyTorch's `nn.MSELoss`.

use super::{Loss, elementwise_mean};
use crate::error::Error;

/// `L = 1/(B·N) Σ (o - t)²` over all `B·N` elements (PyTorch's `MSELoss(reduction='mean')`);
/// `dL/do = 2 (o - t) / (B·N)`. See [`HalfSquaredError`](super::HalfSquaredError) for the
/// textbook `½‖t - o‖²` per sample.
#[derive(Clone, Copy, Debug, Default)]
pub struct MseLoss;

impl<const N: usize> Loss<[f32; N]> for MseLoss {
    type Target = [f32; N];

    fn loss_and_grad(&self, output: &[[f32; N]], target: &[[f32; N]], grad: &mut [[f32; N]]) -> Result<f32, Error> {
        elementwise_mean(output, target, Some(grad), term)
    }

    fn loss(&self, output: &[[f32; N]], target: &[[f32; N]]) -> Result<f32, Error> {
        elementwise_mean(output, target, None, term)
    }

    fn check_targets(&self, target: &[[f32; N]]) -> Result<(), Error> {
        crate::finite::check_targets(target)
    }
}

fn term(o: f32, t: f32) -> (f32, f32) {
    let r = o - t;
    (r * r, 2.0 * r)
}
