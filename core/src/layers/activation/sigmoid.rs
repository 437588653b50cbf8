//! The logistic sigmoid.

use core::marker::PhantomData;

use super::{Elementwise, elementwise_layer};
use crate::math::logistic;
/// Sigmoid: `y = 1 / (1 + e^-x)`, `dy/dx = y (1 - y)`.
pub struct Sigmoid<S> {
    _shape: PhantomData<fn() -> S>,
}

impl<S> Default for Sigmoid<S> {
    fn default() -> Self {
        Sigmoid { _shape: PhantomData }
    }
}

impl<S> Elementwise for Sigmoid<S> {
    fn apply(&self, x: f32) -> f32 {
        logistic(x)
    }
    fn derivative(&self, _x: f32, y: f32) -> f32 {
        y * (1.0 - y)
    }
}

elementwise_layer!(Sigmoid, in_place);
