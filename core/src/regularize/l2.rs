//! L2 weight penalty.

use super::{Regularizer, Weights};

/// L2 penalty in Keras' convention: `R(w) = λ Σ w²`, gradient `2 λ w`.
///
/// PyTorch has no penalty object; its optimizers' `weight_decay = λ'` adds `λ' w` to the
/// gradient, the same as `L2(λ'/2)`. (Keras' `l2=λ` is not `weight_decay=λ`.)
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct L2(pub f32);

impl Regularizer for L2 {
    fn penalty(&self, weights: &[f32]) -> f32 {
        self.0 * weights.iter().map(|w| w * w).sum::<f32>()
    }

    fn add_gradient(&self, weights: &[f32], grads: &mut [f32]) -> f32 {
        let (lambda, twice) = (self.0, 2.0 * self.0);
        let mut sum = 0.0f32;
        for (g, &w) in grads.iter_mut().zip(weights) {
            sum += w * w;
            *g += twice * w;
        }
        lambda * sum
    }
}

/// [`L2`]`(lambda)` on a layer: adds `2 λ w` to the weight gradient (biases exempt) and
/// returns `λ Σ w²`.
pub fn l2_penalty<P: Weights>(params: &P, grads: &mut P, lambda: f32) -> f32 {
    L2(lambda).apply(params, grads)
}
