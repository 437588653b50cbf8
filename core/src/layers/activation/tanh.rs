//! The hyperbolic tangent.

use core::marker::PhantomData;

use super::{Elementwise, elementwise_layer};

/// Tanh: `y = tanh(x)`, `dy/dx = 1 - y²`.
pub struct Tanh<S> {
    _shape: PhantomData<fn() -> S>,
}

impl<S> Default for Tanh<S> {
    fn default() -> Self {
        Tanh { _shape: PhantomData }
    }
}

impl<S> Elementwise for Tanh<S> {
    fn apply(&self, x: f32) -> f32 {
        libm::tanhf(x)
    }
    fn derivative(&self, _x: f32, y: f32) -> f32 {
        1.0 - y * y
    }
}

elementwise_layer!(Tanh, in_place);
