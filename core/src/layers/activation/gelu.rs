//! The Gaussian error linear unit.

use core::marker::PhantomData;

use super::{Elementwise, elementwise_layer};

/// GELU: exact `y = x Φ(x) = x (1 + erf(x/√2)) / 2`, `dy/dx = Φ(x) + x φ(x)`; or, with `approximate_tanh`, `y = x (1 + tanh(u)) / 2`, `u = √(2/π) (x + 0.044715 x³)` (PyTorch's `approximate="tanh"`).
pub struct Gelu<S> {
    /// Use the tanh approximation instead of the exact erf form.
    pub approximate_tanh: bool,
    _shape: PhantomData<fn() -> S>,
}

impl<S> Gelu<S> {
    /// Exact (erf) GELU, or the tanh approximation.
    pub fn new(approximate_tanh: bool) -> Self {
        Gelu { approximate_tanh, _shape: PhantomData }
    }
}

impl<S> Default for Gelu<S> {
    fn default() -> Self {
        Self::new(false)
    }
}

const SQRT_2_OVER_PI: f32 = 0.797_884_6;
const COEFF: f32 = 0.044_715;
const FRAC_1_SQRT_2PI: f32 = 0.398_942_3;

fn tanh_u(x: f32) -> f32 {
    libm::tanhf(SQRT_2_OVER_PI * (x + COEFF * x * x * x))
}

impl<S> Elementwise for Gelu<S> {
    fn apply(&self, x: f32) -> f32 {
        if self.approximate_tanh {
            0.5 * x * (1.0 + tanh_u(x))
        } else {
            0.5 * x * (1.0 + libm::erff(x * core::f32::consts::FRAC_1_SQRT_2))
        }
    }
    fn derivative(&self, x: f32, _y: f32) -> f32 {
        if self.approximate_tanh {
            let t = tanh_u(x);
            0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * SQRT_2_OVER_PI * (1.0 + 3.0 * COEFF * x * x)
        } else {
            let cdf = 0.5 * (1.0 + libm::erff(x * core::f32::consts::FRAC_1_SQRT_2));
            cdf + x * FRAC_1_SQRT_2PI * libm::expf(-0.5 * x * x)
        }
    }
}

elementwise_layer!(Gelu);
