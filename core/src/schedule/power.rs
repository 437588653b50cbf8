//! Power (inverse-time) scheduling.

use super::Schedule;

/// Power scheduling: `η_t = η₀ / (1 + t/s)^c`.
///
/// With `c = 1` (the default) this is Keras' `InverseTimeDecay(η₀, decay_steps=s,
/// decay_rate=1)`; with [`staircase`](Power::staircase) `t/s` is replaced by `⌊t/s⌋`.
/// Halves the rate after `s` steps when `c = 1`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Power {
    /// Initial rate `η₀`.
    pub eta0: f64,
    /// Steps `s` to the first decay by `2^c`.
    pub s: f64,
    /// Power `c`.
    pub c: f64,
    /// Use `⌊t/s⌋` instead of `t/s`.
    pub staircase: bool,
}

impl Power {
    /// `η₀ / (1 + t/s)` (power `c = 1`).
    pub const fn new(eta0: f64, s: f64) -> Self {
        Power { eta0, s, c: 1.0, staircase: false }
    }

    /// Sets the power `c`.
    pub const fn power(mut self, c: f64) -> Self {
        self.c = c;
        self
    }

    /// Decays in steps: `⌊t/s⌋` instead of `t/s`.
    pub const fn staircase(mut self, staircase: bool) -> Self {
        self.staircase = staircase;
        self
    }
}

impl Schedule for Power {
    fn lr(&self, t: usize) -> f32 {
        let mut x = t as f64 / self.s;
        if self.staircase {
            x = libm::floor(x);
        }
        (self.eta0 / libm::pow(1.0 + x, self.c)) as f32
    }
}
