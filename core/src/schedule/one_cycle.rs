//! The one-cycle policy.

use super::Schedule;

/// How [`OneCycle`] moves between two values within a phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Anneal {
    /// `end + (start - end)/2 · (1 + cos(π p))` (PyTorch's default).
    #[default]
    Cos,
    /// `start + (end - start) · p`.
    Linear,
}

impl Anneal {
    /// The value at fraction `p` of the way from `start` to `end`.
    pub fn at(self, start: f64, end: f64, p: f64) -> f64 {
        match self {
            Anneal::Cos => end + (start - end) / 2.0 * (libm::cos(core::f64::consts::PI * p) + 1.0),
            Anneal::Linear => (end - start) * p + start,
        }
    }
}

/// PyTorch's `OneCycleLR`: the rate climbs from `η_max / div_factor` to `η_max`, then falls
/// to `η_max / div_factor / final_div_factor`, over `total_steps` steps.
///
/// With `T = total_steps` and `q = pct_start`, phases end at the (fractional) steps
///
/// ```text
/// two phases:    e₁ = q T - 1                    η: initial → max,  momentum: max → base
///                e₂ = T - 1                      η: max → min,      momentum: base → max
/// three phases:  e₁ = q T - 1                    η: initial → max,  momentum: max → base
///                e₂ = 2 q T - 2                  η: max → initial,  momentum: base → max
///                e₃ = T - 1                      η: initial → min,  momentum: max
/// ```
///
/// `t` is in the first phase with `t ≤ e_i`, at fraction `p = (t - e_{i-1}) / (e_i -
/// e_{i-1})` (`e₀ = 0`), and the value is [`Anneal::at`]`(start, end, p)`. Here
/// `initial = η_max / div_factor`, `min = initial / final_div_factor`.
///
/// PyTorch's defaults: `q = 0.3`, cosine annealing, `div_factor = 25`,
/// `final_div_factor = 1e4`, two phases, momentum cycled between 0.85 and 0.95 (inversely
/// to the rate; [`OneCycle::momentum`] gives it, for an SGD momentum or Adam's `β₁`).
///
/// `t` counts optimizer steps (batches), from 0 to `T - 1`. PyTorch raises an error past
/// `T`; here `t ≥ T - 1` gives the final rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OneCycle {
    /// The peak rate `η_max`.
    pub max_lr: f64,
    /// Steps in the cycle, `T`.
    pub total_steps: usize,
    /// Fraction `q` of the cycle spent climbing.
    pub pct_start: f64,
    /// Cosine or linear annealing.
    pub anneal: Anneal,
    /// `η_max / initial`.
    pub div_factor: f64,
    /// `initial / min`.
    pub final_div_factor: f64,
    /// Descend back to `initial` before annealing to `min` (fast.ai's schedule).
    pub three_phase: bool,
    /// Momentum at the rate's peak.
    pub base_momentum: f64,
    /// Momentum at the rate's ends.
    pub max_momentum: f64,
}

/// One phase: its end step and the rate and momentum at its start and end.
struct Phase {
    end: f64,
    lr: (f64, f64),
    momentum: (f64, f64),
}

impl OneCycle {
    /// A cycle peaking at `max_lr` over `total_steps` steps, with PyTorch's other defaults.
    pub const fn new(max_lr: f64, total_steps: usize) -> Self {
        OneCycle {
            max_lr,
            total_steps,
            pct_start: 0.3,
            anneal: Anneal::Cos,
            div_factor: 25.0,
            final_div_factor: 1e4,
            three_phase: false,
            base_momentum: 0.85,
            max_momentum: 0.95,
        }
    }

    /// Sets the fraction `q` of the cycle spent climbing.
    pub const fn pct_start(mut self, pct_start: f64) -> Self {
        self.pct_start = pct_start;
        self
    }

    /// Sets the annealing.
    pub const fn anneal(mut self, anneal: Anneal) -> Self {
        self.anneal = anneal;
        self
    }

    /// Sets `div_factor = η_max / initial`.
    pub const fn div_factor(mut self, div_factor: f64) -> Self {
        self.div_factor = div_factor;
        self
    }

    /// Sets `final_div_factor = initial / min`.
    pub const fn final_div_factor(mut self, final_div_factor: f64) -> Self {
        self.final_div_factor = final_div_factor;
        self
    }

    /// Uses three phases.
    pub const fn three_phase(mut self, three_phase: bool) -> Self {
        self.three_phase = three_phase;
        self
    }

    /// Sets the momentum range: `base` at the peak rate, `max` at the ends.
    pub const fn momentum_range(mut self, base: f64, max: f64) -> Self {
        self.base_momentum = base;
        self.max_momentum = max;
        self
    }

    /// The starting rate, `η_max / div_factor`.
    pub fn initial_lr(&self) -> f64 {
        self.max_lr / self.div_factor
    }

    /// The final rate, `initial / final_div_factor`.
    pub fn min_lr(&self) -> f64 {
        self.initial_lr() / self.final_div_factor
    }

    /// The phases' end steps (`e₁, e₂` or `e₁, e₂, e₃`), and how many there are.
    pub fn phase_ends(&self) -> ([f64; 3], usize) {
        let (phases, n) = self.phases();
        ([phases[0].end, phases[1].end, phases[2].end], n)
    }

    fn phases(&self) -> ([Phase; 3], usize) {
        let (initial, min, max) = (self.initial_lr(), self.min_lr(), self.max_lr);
        let (base_m, max_m) = (self.base_momentum, self.max_momentum);
        let qt = self.pct_start * self.total_steps as f64;
        let last = self.total_steps as f64 - 1.0;
        if self.three_phase {
            let phases = [
                Phase { end: qt - 1.0, lr: (initial, max), momentum: (max_m, base_m) },
                Phase { end: 2.0 * qt - 2.0, lr: (max, initial), momentum: (base_m, max_m) },
                Phase { end: last, lr: (initial, min), momentum: (max_m, max_m) },
            ];
            (phases, 3)
        } else {
            let phases = [
                Phase { end: qt - 1.0, lr: (initial, max), momentum: (max_m, base_m) },
                Phase { end: last, lr: (max, min), momentum: (base_m, max_m) },
                Phase { end: last, lr: (min, min), momentum: (max_m, max_m) },
            ];
            (phases, 2)
        }
    }

    /// `(rate, momentum)` at step `t`.
    fn at(&self, t: usize) -> (f64, f64) {
        let (phases, n) = self.phases();
        let t = t as f64;
        let mut start = 0.0;
        for (i, phase) in phases.iter().take(n).enumerate() {
            if t <= phase.end || i + 1 == n {
                let p = ((t - start) / (phase.end - start)).min(1.0);
                return (
                    self.anneal.at(phase.lr.0, phase.lr.1, p),
                    self.anneal.at(phase.momentum.0, phase.momentum.1, p),
                );
            }
            start = phase.end;
        }
        (self.min_lr(), self.max_momentum)
    }

    /// The momentum at step `t` (PyTorch's `cycle_momentum`): high where the rate is low.
    pub fn momentum(&self, t: usize) -> f32 {
        self.at(t).1 as f32
    }
}

impl Schedule for OneCycle {
    fn lr(&self, t: usize) -> f32 {
        self.at(t).0 as f32
    }
}
