//! Cosine annealing with warm restarts (SGDR).

use super::Schedule;

/// PyTorch's `CosineAnnealingWarmRestarts` (SGDR):
///
/// ```text
/// η_t = η_min + (η_max - η_min) · (1 + cos(π T_cur / T_i)) / 2
/// ```
///
/// where `T_i` is the length of the current cycle (`T_0`, then multiplied by `T_mult` at
/// each restart) and `T_cur` the steps since the last restart: the rate falls from `η_max`
/// along a half cosine and jumps back to `η_max` when `T_cur` reaches `T_i`.
///
/// `t` counts what `scheduler.step()` counts in PyTorch (steps or epochs; PyTorch's
/// fractional-epoch form `step(epoch + i/iters)` is not covered). `T_0` and `T_mult` of 0
/// are taken as 1 (PyTorch rejects them).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CosineAnnealingWarmRestarts {
    /// The rate at each restart, `η_max` (PyTorch's base lr).
    pub eta_max: f64,
    /// Length of the first cycle, `T_0`.
    pub t_0: usize,
    /// Growth factor of the cycle length, `T_mult`.
    pub t_mult: usize,
    /// The floor `η_min`.
    pub eta_min: f64,
}

impl CosineAnnealingWarmRestarts {
    /// Cycles of `t_0` steps from `eta_max` down towards 0 (`T_mult = 1`, `η_min = 0`).
    pub const fn new(eta_max: f64, t_0: usize) -> Self {
        CosineAnnealingWarmRestarts { eta_max, t_0, t_mult: 1, eta_min: 0.0 }
    }

    /// Sets `T_mult`: each cycle is `T_mult` times longer than the last.
    pub const fn t_mult(mut self, t_mult: usize) -> Self {
        self.t_mult = t_mult;
        self
    }

    /// Sets the floor `η_min`.
    pub const fn eta_min(mut self, eta_min: f64) -> Self {
        self.eta_min = eta_min;
        self
    }

    /// `(T_cur, T_i)` at step `t`.
    pub fn position(&self, t: usize) -> (usize, usize) {
        let (mut t_cur, mut t_i) = (t, self.t_0.max(1));
        let mult = self.t_mult.max(1);
        if mult == 1 {
            return (t_cur % t_i, t_i);
        }
        while t_cur >= t_i {
            t_cur -= t_i;
            t_i = t_i.saturating_mul(mult);
        }
        (t_cur, t_i)
    }
}

impl Schedule for CosineAnnealingWarmRestarts {
    fn lr(&self, t: usize) -> f32 {
        let (t_cur, t_i) = self.position(t);
        let cos = libm::cos(core::f64::consts::PI * t_cur as f64 / t_i as f64);
        (self.eta_min + (self.eta_max - self.eta_min) * (1.0 + cos) / 2.0) as f32
    }
}
