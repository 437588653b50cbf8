//! Softmax cross-entropy on logits, PyTorch's `nn.CrossEntropyLoss`.

use super::{Loss, check_classes, check_rows, log_sum_exp};
use crate::error::Error;
use crate::gemm::vectorised;
use crate::math::softmax_and_log_sum_exp;

/// `L = 1/B Σ_b [logsumexp(z_b) - z_b[y_b]]` on raw logits `z` and class indices `y`, with the
/// log-sum-exp shifted by the maximum so that logits of ±100 stay finite;
/// `dL/dz = (softmax(z) - onehot(y)) / B`.
#[derive(Clone, Copy, Debug, Default)]
pub struct CrossEntropyLoss;

impl<const N: usize> Loss<[f32; N]> for CrossEntropyLoss {
    type Target = usize;

    /// The loss and the gradient from one pass of exponentials per row, in the vector
    /// kernels.
    fn loss_and_grad(&self, output: &[[f32; N]], target: &[usize], grad: &mut [[f32; N]]) -> Result<f32, Error> {
        check_rows(output, target)?;
        check_classes(target, N)?;
        let scale = 1.0 / output.len() as f32;
        let total = vectorised(
            #[inline(always)]
            || {
                let mut total = 0.0f32;
                for ((z, &y), g) in output.iter().zip(target).zip(grad) {
                    total += softmax_and_log_sum_exp(z, g) - z[y];
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
