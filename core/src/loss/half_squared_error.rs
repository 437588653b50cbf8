//! Half the squared error per sample, the textbook regression loss.

use super::{Loss, elementwise_mean};
use crate::error::Error;

/// `L = 1/B Σ_b ½ ‖t_b - o_b‖²`: half the summed squared error of each sample, averaged over
/// the batch only (not over features, unlike [`MseLoss`](super::MseLoss));
/// `dL/do = (o - t) / B`.
#[derive(Clone, Copy, Debug, Default)]
pub struct HalfSquaredError;

impl<const N: usize> Loss<[f32; N]> for HalfSquaredError {
    type Target = [f32; N];

    fn loss_and_grad(&self, output: &[[f32; N]], target: &[[f32; N]], grad: &mut [[f32; N]]) -> Result<f32, Error> {
        // The elementwise mean divides by B·N; the terms carry the factor N back.
        elementwise_mean(output, target, Some(grad), term::<N>)
    }

    fn loss(&self, output: &[[f32; N]], target: &[[f32; N]]) -> Result<f32, Error> {
        elementwise_mean(output, target, None, term::<N>)
    }

    fn check_targets(&self, target: &[[f32; N]]) -> Result<(), Error> {
        crate::finite::check_targets(target)
    }
}

fn term<const N: usize>(o: f32, t: f32) -> (f32, f32) {
    let r = o - t;
    let n = N as f32;
    (0.5 * r * r * n, r * n)
}
