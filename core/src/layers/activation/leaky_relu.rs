//! The leaky rectified linear unit.

use core::marker::PhantomData;

use super::{Elementwise, elementwise_layer};

/// Leaky ReLU: `y = x` for `x > 0`, else `negative_slope · x`; `dy/dx = negative_slope` at `x <= 0` (as PyTorch).
pub struct LeakyRelu<S> {
    /// Slope for negative inputs (PyTorch's `negative_slope`, default 0.01).
    pub negative_slope: f32,
    _shape: PhantomData<fn() -> S>,
}

impl<S> LeakyRelu<S> {
    /// A leaky ReLU with the given negative slope.
    pub fn new(negative_slope: f32) -> Self {
        LeakyRelu { negative_slope, _shape: PhantomData }
    }
}

impl<S> Default for LeakyRelu<S> {
    fn default() -> Self {
        Self::new(0.01)
    }
}

impl<S> Elementwise for LeakyRelu<S> {
    fn apply(&self, x: f32) -> f32 {
        if x > 0.0 { x } else { self.negative_slope * x }
    }
    fn derivative(&self, x: f32, _y: f32) -> f32 {
        if x > 0.0 { 1.0 } else { self.negative_slope }
    }
}

elementwise_layer!(LeakyRelu);
