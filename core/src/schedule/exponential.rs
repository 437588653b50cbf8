//! Exponential decay.

use super::Schedule;

/// Exponential scheduling: `η_t = η₀ · r^(t/s)`, by default `r = 0.1` (a tenfold drop every
/// `s` steps).
///
/// This is Keras' `ExponentialDecay(η₀, decay_steps=s, decay_rate=r)`; with
/// [`staircase`](Exponential::staircase) `t/s` becomes `⌊t/s⌋`. PyTorch's
/// `ExponentialLR(γ)`, `η_t = η₀ γ^t`, is [`Exponential::per_step`] (`s = 1`, `r = γ`);
/// PyTorch multiplies by `γ` at each `step()`, which equals the closed form to ~1e-16.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Exponential {
    /// Initial rate `η₀`.
    pub eta0: f64,
    /// Steps `s` per decay by `r`.
    pub s: f64,
    /// Decay rate `r`.
    pub rate: f64,
    /// Use `⌊t/s⌋` instead of `t/s`.
    pub staircase: bool,
}

impl Exponential {
    /// `η₀ · 0.1^(t/s)`.
    pub const fn new(eta0: f64, s: f64) -> Self {
        Exponential { eta0, s, rate: 0.1, staircase: false }
    }

    /// PyTorch's `ExponentialLR`: `η₀ · γ^t`.
    pub const fn per_step(eta0: f64, gamma: f64) -> Self {
        Exponential { eta0, s: 1.0, rate: gamma, staircase: false }
    }

    /// Sets the decay rate `r` (the factor applied every `s` steps).
    pub const fn decay_rate(mut self, rate: f64) -> Self {
        self.rate = rate;
        self
    }

    /// Decays in steps: `⌊t/s⌋` instead of `t/s`.
    pub const fn staircase(mut self, staircase: bool) -> Self {
        self.staircase = staircase;
        self
    }
}

impl Schedule for Exponential {
    fn lr(&self, t: usize) -> f32 {
        let mut x = t as f64 / self.s;
        if self.staircase {
            x = libm::floor(x);
        }
        (self.eta0 * libm::pow(self.rate, x)) as f32
    }
}
