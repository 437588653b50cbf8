//! Smooth L1 loss, PyTorch's `nn.SmoothL1Loss`.

use super::{Loss, elementwise_mean};
use crate::error::Error;

/// With `r = o - t`: `½ r² / β` where `|r| < β`, else `|r| - ½ β`, averaged over all
/// elements; `dL/do = r / β` or `sign(r)`, over `B·N`. `HuberLoss(δ) = δ · SmoothL1Loss(β = δ)`.
#[derive(Clone, Copy, Debug)]
pub struct SmoothL1Loss {
    /// Where the loss turns from quadratic to linear (PyTorch's `beta`, default 1).
    pub beta: f32,
}

impl Default for SmoothL1Loss {
    fn default() -> Self {
        SmoothL1Loss { beta: 1.0 }
    }
}

impl<const N: usize> Loss<[f32; N]> for SmoothL1Loss {
    type Target = [f32; N];

    fn loss_and_grad(&self, output: &[[f32; N]], target: &[[f32; N]], grad: &mut [[f32; N]]) -> Result<f32, Error> {
        elementwise_mean(output, target, Some(grad), |o, t| self.term(o, t))
    }

    fn loss(&self, output: &[[f32; N]], target: &[[f32; N]]) -> Result<f32, Error> {
        elementwise_mean(output, target, None, |o, t| self.term(o, t))
    }

    fn check_targets(&self, target: &[[f32; N]]) -> Result<(), Error> {
        crate::finite::check_targets(target)
    }
}

impl SmoothL1Loss {
    fn term(&self, o: f32, t: f32) -> (f32, f32) {
        let r = o - t;
        if r.abs() < self.beta {
            (0.5 * r * r / self.beta, r / self.beta)
        } else {
            (r.abs() - 0.5 * self.beta, r.signum())
        }
    }
}
