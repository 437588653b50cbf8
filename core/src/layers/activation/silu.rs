//! The sigmoid-weighted linear unit (swish).

use core::marker::PhantomData;

use super::{Elementwise, elementwise_layer};
use crate::math::logistic;
/// SiLU (swish): `y = x σ(x)`, `dy/dx = σ(x) + x σ(x) (1 - σ(x))`.
pub struct Silu<S> {
    _shape: PhantomData<fn() -> S>,
}

impl<S> Default for Silu<S> {
    fn default() -> Self {
        Silu { _shape: PhantomData }
    }
}

impl<S> Elementwise for Silu<S> {
    fn apply(&self, x: f32) -> f32 {
        x * logistic(x)
    }
    fn derivative(&self, x: f32, _y: f32) -> f32 {
        let s = logistic(x);
        s + x * s * (1.0 - s)
    }
}

elementwise_layer!(Silu);
