//! Regularisation and gradient hygiene, applied between backward and the optimizer step.
//!
//! * Weight penalties ([`L1`], [`L2`], [`L1L2`], through the [`Regularizer`] trait or the
//!   functions [`l1_penalty`], [`l2_penalty`]) add their gradient to a layer's weight
//!   gradient and return their value, to add to the loss. Biases are exempt: a penalty acts
//!   on what a layer's params expose through [`Weights`].
//! * Constraints ([`max_norm`]) project the weights after the step.
//! * Clipping ([`clip_grad_norm`], [`clip_grad_value`]) rescales or clamps the gradient
//!   before the step.
//!
//! ```
//! use staticnet_core::layers::DenseParams;
//! use staticnet_core::regularize::{L2, Regularizer, clip_grad_norm, max_norm};
//! use staticnet_core::Flat;
//!
//! let mut params = DenseParams::<2, 1> { weight: [[3.0, 4.0]], bias: [1.0] };
//! let mut grads = DenseParams::<2, 1>::zeroed();
//! // Penalty 0.01 · (9 + 16), gradient 2 · 0.01 · w on the weight only.
//! let penalty = L2(0.01).apply(&params, &mut grads);
//! assert!((penalty - 0.25).abs() < 1e-6);
//! assert_eq!(grads.bias, [0.0]);
//! let norm = clip_grad_norm(grads.as_flat_mut(), 0.1);
//! assert!((norm - 0.1).abs() < 1e-6);
//! max_norm(&mut params.weight, 1.0);
//! assert!((params.weight[0][0] - 0.6).abs() < 1e-6);
//! ```

mod clip_norm;
mod clip_value;
mod l1;
mod l1l2;
mod l2;
mod max_norm;
mod weights;

pub use clip_norm::clip_grad_norm;
pub use clip_value::clip_grad_value;
pub use l1::{L1, l1_penalty};
pub use l1l2::L1L2;
pub use l2::{L2, l2_penalty};
pub use max_norm::max_norm;
pub use weights::Weights;

/// A penalty on weights, added to the loss: `R(w)`, with gradient `∂R/∂w`.
pub trait Regularizer {
    /// The penalty `R(w)` of the flat weights `w`.
    fn penalty(&self, weights: &[f32]) -> f32;

    /// Adds `∂R/∂w` to `grads` (one per weight, same order) and returns `R(w)`.
    fn add_gradient(&self, weights: &[f32], grads: &mut [f32]) -> f32;

    /// On a layer's parameters and gradients: penalises the weights (not the biases),
    /// adds the gradient to the weight gradients, and returns the penalty.
    fn apply<P: Weights>(&self, params: &P, grads: &mut P) -> f32
    where
        Self: Sized,
    {
        self.add_gradient(params.weights(), grads.weights_mut())
    }
}
