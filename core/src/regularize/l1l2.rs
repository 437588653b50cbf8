//! Combined L1 and L2 penalty.

use super::Regularizer;
use super::l1::sign;

/// Keras' `L1L2`: `R(w) = λ₁ Σ |w| + λ₂ Σ w²`, gradient `λ₁ sign(w) + 2 λ₂ w` (elastic net).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct L1L2 {
    /// `λ₁`, the L1 factor.
    pub l1: f32,
    /// `λ₂`, the L2 factor.
    pub l2: f32,
}

impl Regularizer for L1L2 {
    fn penalty(&self, weights: &[f32]) -> f32 {
        let (abs, sq) = weights.iter().fold((0.0f32, 0.0f32), |(a, s), &w| (a + f32::abs(w), s + w * w));
        self.l1 * abs + self.l2 * sq
    }

    fn add_gradient(&self, weights: &[f32], grads: &mut [f32]) -> f32 {
        let (l1, twice_l2) = (self.l1, 2.0 * self.l2);
        let (mut abs, mut sq) = (0.0f32, 0.0f32);
        for (g, &w) in grads.iter_mut().zip(weights) {
            abs += f32::abs(w);
            sq += w * w;
            *g += l1 * sign(w) + twice_l2 * w;
        }
        self.l1 * abs + self.l2 * sq
    }
}
