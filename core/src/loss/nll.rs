//! Negative log-likelihood on log-probabilities, PyTorch's `nn.NLLLoss`.

use super::{Loss, check_classes, check_rows};
use crate::error::Error;

/// `L = -1/B Σ_b logp_b[y_b]` on log-probabilities and class indices;
/// `dL/dlogp = -1/B` at `[b, y_b]`, 0 elsewhere. For probabilities (the output of a
/// [`Softmax`](crate::layers::Softmax) layer) use
/// [`SparseCategoricalCrossEntropy`](super::SparseCategoricalCrossEntropy).
#[derive(Clone, Copy, Debug, Default)]
pub struct NllLoss;

impl<const N: usize> Loss<[f32; N]> for NllLoss {
    type Target = usize;

    fn loss_and_grad(&self, output: &[[f32; N]], target: &[usize], grad: &mut [[f32; N]]) -> Result<f32, Error> {
        let loss = self.loss(output, target)?;
        let scale = 1.0 / output.len() as f32;
        for (&y, g) in target.iter().zip(grad) {
            *g = [0.0; N];
            g[y] = -scale;
        }
        Ok(loss)
    }

    fn loss(&self, output: &[[f32; N]], target: &[usize]) -> Result<f32, Error> {
        check_rows(output, target)?;
        check_classes(target, N)?;
        let total: f32 = output.iter().zip(target).map(|(logp, &y)| -logp[y]).sum();
        Ok(total / output.len() as f32)
    }

    fn check_targets(&self, target: &[usize]) -> Result<(), Error> {
        check_classes(target, N)
    }
}
