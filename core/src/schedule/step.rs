//! Step decay.

use super::Schedule;

/// PyTorch's `StepLR`: `η_t = η₀ · γ^⌊t/k⌋`, a drop by `γ` (default 0.1) every `k` steps or
/// epochs.
///
/// PyTorch multiplies by `γ` at each `k`-th `step()`, which equals the closed form to
/// ~1e-16. A step size of 0 is taken as 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepLr {
    /// Initial rate `η₀`.
    pub eta0: f64,
    /// Period `k`.
    pub step_size: usize,
    /// Factor `γ`.
    pub gamma: f64,
}

impl StepLr {
    /// `η₀ · 0.1^⌊t/step_size⌋`.
    pub const fn new(eta0: f64, step_size: usize) -> Self {
        StepLr { eta0, step_size, gamma: 0.1 }
    }

    /// Sets the factor `γ`.
    pub const fn gamma(mut self, gamma: f64) -> Self {
        self.gamma = gamma;
        self
    }
}

impl Schedule for StepLr {
    fn lr(&self, t: usize) -> f32 {
        let drops = t / self.step_size.max(1);
        (self.eta0 * libm::pow(self.gamma, drops as f64)) as f32
    }
}
