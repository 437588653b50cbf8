//! Huber loss, PyTorch's `nn.HuberLoss`.

use super::{Loss, elementwise_mean};
use crate::error::Error;

/// With `r = o - t`: `½ r²` where `|r| < δ`, else `δ (|r| - ½ δ)`, averaged over all
/// elements; `dL/do = r` or `δ sign(r)`, over `B·N`. `δ` is PyTorch's `delta` (default 1).
#[derive(Clone, Copy, Debug)]
pub struct HuberLoss {
    /// Where the loss turns from quadratic to linear.
    pub delta: f32,
}

impl Default for HuberLoss {
    fn default() -> Self {
        HuberLoss { delta: 1.0 }
    }
}

impl<const N: usize> Loss<[f32; N]> for HuberLoss {
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

impl HuberLoss {
    fn term(&self, o: f32, t: f32) -> (f32, f32) {
        let r = o - t;
        if r.abs() < self.delta {
            (0.5 * r * r, r)
        } else {
            (self.delta * (r.abs() - 0.5 * self.delta), self.delta * r.signum())
        }
    }
}
