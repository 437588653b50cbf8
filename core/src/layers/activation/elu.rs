//! The exponential linear unit.

use core::marker::PhantomData;

use super::{Elementwise, elementwise_layer};

/// ELU: `y = x` for `x > 0`, else `α (e^x - 1)`; `dy/dx = α e^x` at `x <= 0` (so `α` at 0, as PyTorch).
pub struct Elu<S> {
    /// Scale of the negative part (default 1).
    pub alpha: f32,
    _shape: PhantomData<fn() -> S>,
}

impl<S> Elu<S> {
    /// An ELU with the given alpha.
    pub fn new(alpha: f32) -> Self {
        Elu { alpha, _shape: PhantomData }
    }
}

impl<S> Default for Elu<S> {
    fn default() -> Self {
        Self::new(1.0)
    }
}

impl<S> Elementwise for Elu<S> {
    fn apply(&self, x: f32) -> f32 {
        if x > 0.0 { x } else { self.alpha * libm::expm1f(x) }
    }
    fn derivative(&self, x: f32, _y: f32) -> f32 {
        if x > 0.0 { 1.0 } else { self.alpha * libm::expf(x) }
    }
}

elementwise_layer!(Elu);
