//! The scaled exponential linear unit.

use core::marker::PhantomData;

use super::{Elementwise, elementwise_layer};

/// SELU: `y = λ x` for `x > 0`, else `λ α (e^x - 1)`, with PyTorch's `α = 1.6732632`, `λ = 1.0507010`.
pub struct Selu<S> {
    _shape: PhantomData<fn() -> S>,
}

impl<S> Default for Selu<S> {
    fn default() -> Self {
        Selu { _shape: PhantomData }
    }
}

const ALPHA: f32 = 1.673_263_2;
const SCALE: f32 = 1.050_701;

impl<S> Elementwise for Selu<S> {
    fn apply(&self, x: f32) -> f32 {
        if x > 0.0 { SCALE * x } else { SCALE * ALPHA * libm::expm1f(x) }
    }
    fn derivative(&self, x: f32, _y: f32) -> f32 {
        if x > 0.0 { SCALE } else { SCALE * ALPHA * libm::expf(x) }
    }
}

elementwise_layer!(Selu);
