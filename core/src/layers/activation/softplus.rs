//! The softplus function.

use core::marker::PhantomData;

use super::{Elementwise, elementwise_layer};
use crate::math::logistic;
/// Softplus: `y = ln(1 + e^x)`, `dy/dx = σ(x)`; as PyTorch (beta 1, threshold 20), `y = x` for `x > 20`.
pub struct Softplus<S> {
    _shape: PhantomData<fn() -> S>,
}

impl<S> Default for Softplus<S> {
    fn default() -> Self {
        Softplus { _shape: PhantomData }
    }
}

/// Above this input softplus returns its input, as PyTorch's default `threshold`.
const THRESHOLD: f32 = 20.0;

impl<S> Elementwise for Softplus<S> {
    fn apply(&self, x: f32) -> f32 {
        if x > THRESHOLD { x } else { libm::log1pf(libm::expf(x)) }
    }
    fn derivative(&self, x: f32, _y: f32) -> f32 {
        if x > THRESHOLD { 1.0 } else { logistic(x) }
    }
}

elementwise_layer!(Softplus);
