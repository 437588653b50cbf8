//! Softmax cross-entropy on logits, PyTorch's `nn.CrossEntropyLoss`.

use super::{Loss, check_classes, check_rows, log_sum_exp};
use crate::error::Error;
use crate::gemm::vectorised;
use crate::math::max_propagating_nan;
use crate::vector_math::exp;

/// `L = 1/B Σ_b [logsumexp(z_b) - z_b[y_b]]` on raw logits `z` and class indices `y`, with the
/// log-sum-exp shifted by the maximum so that logits of ±100 stay finite;
/// `dL/dz = (softmax(z) - onehot(y)) / B`.
#[derive(Clone, Copy, Debug, Default)]
pub struct CrossEntropyLoss;

impl<const N: usize> Loss<[f32; N]> for CrossEntropyLoss {
    type Target = usize;

    /// The loss and the gradient from one exponential per logit, in the vector kernels: the
    /// shifted logits `z - max z` of every row first, then their exponentials in one pass
    /// over the whole batch (rows of a few classes leave most lanes of a vector empty), then
    /// each row's sum, softmax and log-sum-exp.
    fn loss_and_grad(&self, output: &[[f32; N]], target: &[usize], grad: &mut [[f32; N]]) -> Result<f32, Error> {
        check_rows(output, target)?;
        check_classes(target, N)?;
        let scale = 1.0 / output.len() as f32;
        let total = vectorised(
            #[inline(always)]
            || {
                for (z, g) in output.iter().zip(grad.iter_mut()) {
                    let max = max_propagating_nan(z);
                    g.iter_mut().zip(z).for_each(|(g, &z)| *g = z - max);
                }
                grad.as_flattened_mut().iter_mut().for_each(|g| *g = exp(*g));
                let mut total = 0.0f32;
                for ((z, &y), g) in output.iter().zip(target).zip(grad) {
                    let sum: f32 = g.iter().sum();
                    g.iter_mut().for_each(|g| *g /= sum);
                    total += max_propagating_nan(z) + libm::logf(sum) - z[y];
                    g[y] -= 1.0;
                    g.iter_mut().for_each(|g| *g *= scale);
                }
                total
            },
        );
        Ok(total / output.len() as f32)
    }

    fn loss(&self, output: &[[f32; N]], target: &[usize]) -> Result<f32, Error> {
        check_rows(output, target)?;
        check_classes(target, N)?;
        let total: f32 = output.iter().zip(target).map(|(z, &y)| log_sum_exp(z) - z[y]).sum();
        Ok(total / output.len() as f32)
    }

    fn check_targets(&self, target: &[usize]) -> Result<(), Error> {
        check_classes(target, N)
    }
}
