//! Softmax cross-entropy against probability targets, with label smoothing.

use super::{Loss, check_probabilities, check_rows, log_sum_exp};
use crate::error::Error;
use crate::math::softmax;

/// `L = -1/B Σ_b Σ_c t'_bc ln softmax(z_b)_c` on raw logits `z` and probability targets
/// `t` (one-hot, smoothed or soft), with the smoothed `t' = (1 - α) t + α / N` (`α` is
/// `label_smoothing`, 0 by default); `dL/dz = (softmax(z) Σ_c t'_c - t') / B`.
///
/// PyTorch's `CrossEntropyLoss` with probability targets (and its `label_smoothing`), and
/// Keras's `CategoricalCrossentropy(from_logits=True)`. Targets are used as given, not
/// renormalised. For class indices use [`CrossEntropyLoss`](super::CrossEntropyLoss), or
/// turn them into one-hot rows with [`one_hot`](crate::data::one_hot) to smooth them.
#[derive(Clone, Copy, Debug, Default)]
pub struct CategoricalCrossEntropy {
    /// The mass `α` in `[0, 1]` moved from the targets to the uniform distribution.
    pub label_smoothing: f32,
}

impl CategoricalCrossEntropy {
    fn smoothed(&self, t: f32, n: usize) -> f32 {
        (1.0 - self.label_smoothing) * t + self.label_smoothing / n as f32
    }
}

impl<const N: usize> Loss<[f32; N]> for CategoricalCrossEntropy {
    type Target = [f32; N];

    fn loss_and_grad(&self, output: &[[f32; N]], target: &[[f32; N]], grad: &mut [[f32; N]]) -> Result<f32, Error> {
        let loss = self.loss(output, target)?;
        let scale = 1.0 / output.len() as f32;
        for ((z, t), g) in output.iter().zip(target).zip(grad) {
            let t = t.map(|t| self.smoothed(t, N));
            let mass: f32 = t.iter().sum();
            softmax(z, g);
            for (g, &t) in g.iter_mut().zip(&t) {
                *g = (*g * mass - t) * scale;
            }
        }
        Ok(loss)
    }

    fn loss(&self, output: &[[f32; N]], target: &[[f32; N]]) -> Result<f32, Error> {
        check_rows(output, target)?;
        <Self as Loss<[f32; N]>>::check_targets(self, target)?;
        let mut total = 0.0f64;
        for (z, t) in output.iter().zip(target) {
            let lse = log_sum_exp(z);
            for (&z, &t) in z.iter().zip(t) {
                total -= f64::from(self.smoothed(t, N)) * f64::from(z - lse);
            }
        }
        Ok((total / output.len() as f64) as f32)
    }

    fn check_targets(&self, target: &[[f32; N]]) -> Result<(), Error> {
        check_probabilities(target)
    }
}
