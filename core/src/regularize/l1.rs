//! L1 weight penalty.

use super::{Regularizer, Weights};

/// L1 penalty (Keras' convention): `R(w) = λ Σ |w|`, gradient `λ sign(w)`, with
/// `sign(0) = 0` (the subgradient TensorFlow and PyTorch use for `|w|` at 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct L1(pub f32);

/// `sign(w)` with `sign(0) = 0` (and `sign(NaN) = NaN`).
#[inline]
pub(super) fn sign(w: f32) -> f32 {
    if w > 0.0 {
        1.0
    } else if w < 0.0 {
        -1.0
    } else {
        w * 0.0
    }
}

impl Regularizer for L1 {
    fn penalty(&self, weights: &[f32]) -> f32 {
        self.0 * weights.iter().map(|w| f32::abs(*w)).sum::<f32>()
    }

    fn add_gradient(&self, weights: &[f32], grads: &mut [f32]) -> f32 {
        let lambda = self.0;
        let mut sum = 0.0f32;
        for (g, &w) in grads.iter_mut().zip(weights) {
            sum += f32::abs(w);
            *g += lambda * sign(w);
        }
        lambda * sum
    }
}

/// [`L1`]`(lambda)` on a layer: adds `λ sign(w)` to the weight gradient (biases exempt)
/// and returns `λ Σ |w|`.
pub fn l1_penalty<P: Weights>(params: &P, grads: &mut P, lambda: f32) -> f32 {
    L1(lambda).apply(params, grads)
}
