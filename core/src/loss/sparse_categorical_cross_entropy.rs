//! Negative log-likelihood on probabilities, Keras's `sparse_categorical_crossentropy`.

use super::{Loss, check_classes, check_rows};
use crate::error::Error;
use crate::finite::max_keep_nan;

/// Smallest probability whose log is taken (Keras's `epsilon`), so that a saturated softmax
/// output of exactly 0 gives a large finite loss instead of infinity.
const P_MIN: f32 = 1e-7;

/// `L = -1/B Σ_b ln max(p_b[y_b], 1e-7)` (NaN stays NaN) on probabilities (the output of a
/// [`Softmax`](crate::layers::Softmax) layer) and class indices;
/// `dL/dp = -1 / (B max(p_b[y_b], 1e-7))` at `[b, y_b]`, 0 elsewhere.
#[derive(Clone, Copy, Debug, Default)]
pub struct SparseCategoricalCrossEntropy;

impl<const N: usize> Loss<[f32; N]> for SparseCategoricalCrossEntropy {
    type Target = usize;

    fn loss_and_grad(&self, output: &[[f32; N]], target: &[usize], grad: &mut [[f32; N]]) -> Result<f32, Error> {
        let loss = self.loss(output, target)?;
        let scale = 1.0 / output.len() as f32;
        for ((p, &y), g) in output.iter().zip(target).zip(grad) {
            *g = [0.0; N];
            g[y] = -scale / max_keep_nan(p[y], P_MIN);
        }
        Ok(loss)
    }

    fn loss(&self, output: &[[f32; N]], target: &[usize]) -> Result<f32, Error> {
        check_rows(output, target)?;
        check_classes(target, N)?;
        let total: f32 = output.iter().zip(target).map(|(p, &y)| -libm::logf(max_keep_nan(p[y], P_MIN))).sum();
        Ok(total / output.len() as f32)
    }

    fn check_targets(&self, target: &[usize]) -> Result<(), Error> {
        check_classes(target, N)
    }
}
