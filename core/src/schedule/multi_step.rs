//! Decay at given milestones.

use super::Schedule;

/// PyTorch's `MultiStepLR`: `η_t = η₀ · γ^n(t)`, `n(t)` the number of milestones `m ≤ t`
/// (default `γ = 0.1`).
///
/// The `K` milestones are a fixed-size array, so the schedule needs no allocation. As in
/// PyTorch, a milestone listed twice drops the rate twice. For arbitrary values between
/// boundaries see [`Piecewise`](super::Piecewise).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MultiStepLr<const K: usize> {
    /// Initial rate `η₀`.
    pub eta0: f64,
    /// Steps (or epochs) at which the rate is multiplied by `γ`.
    pub milestones: [usize; K],
    /// Factor `γ`.
    pub gamma: f64,
}

impl<const K: usize> MultiStepLr<K> {
    /// `η₀`, times 0.1 at each milestone.
    pub const fn new(eta0: f64, milestones: [usize; K]) -> Self {
        MultiStepLr { eta0, milestones, gamma: 0.1 }
    }

    /// Sets the factor `γ`.
    pub const fn gamma(mut self, gamma: f64) -> Self {
        self.gamma = gamma;
        self
    }
}

impl<const K: usize> Schedule for MultiStepLr<K> {
    fn lr(&self, t: usize) -> f32 {
        let drops = self.milestones.iter().filter(|&&m| m <= t).count();
        (self.eta0 * libm::pow(self.gamma, drops as f64)) as f32
    }
}
