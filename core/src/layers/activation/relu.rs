//! The rectified linear unit.

use core::marker::PhantomData;

use super::{Elementwise, elementwise_layer};

/// ReLU: `y = max(x, 0)`, `dy/dx = 1` if `x > 0` else 0 (0 at `x = 0`, as PyTorch); NaN stays
/// NaN, as in PyTorch.
pub struct Relu<S> {
    _shape: PhantomData<fn() -> S>,
}

impl<S> Default for Relu<S> {
    fn default() -> Self {
        Relu { _shape: PhantomData }
    }
}

impl<S> Elementwise for Relu<S> {
    fn apply(&self, x: f32) -> f32 {
        // Not `x.max(0.0)`, which maps NaN to 0.
        crate::finite::max_keep_nan(x, 0.0)
    }
    fn derivative(&self, x: f32, _y: f32) -> f32 {
        if x > 0.0 { 1.0 } else { 0.0 }
    }
}

elementwise_layer!(Relu, in_place);
