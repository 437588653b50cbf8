//! The identity activation.

use core::marker::PhantomData;

use super::{Elementwise, elementwise_layer};

/// Identity: `y = x`, `dy/dx = 1`.
pub struct Identity<S> {
    _shape: PhantomData<fn() -> S>,
}

impl<S> Default for Identity<S> {
    fn default() -> Self {
        Identity { _shape: PhantomData }
    }
}

impl<S> Elementwise for Identity<S> {
    fn apply(&self, x: f32) -> f32 {
        x
    }
    fn derivative(&self, _x: f32, _y: f32) -> f32 {
        1.0
    }
}

elementwise_layer!(Identity, in_place);
