//! Learning-rate schedules.
//!
//! A [`Schedule`] is a function of a counter `t` (0, 1, 2, …) to a learning rate. What `t`
//! counts is the caller's choice: optimizer steps (batches) or epochs. Call
//! [`Schedule::apply`] (or `optimizer.set_learning_rate(schedule.lr(t))`) before step or
//! epoch `t`; `lr(0)` is the initial learning rate. The PyTorch schedulers' `step()` moves
//! from `t` to `t + 1`: PyTorch's `scheduler.step()` once per epoch is `t` = epochs, once
//! per batch (as `OneCycleLR` expects) is `t` = batches.
//!
//! [`ReduceLrOnPlateau`] depends on a metric, not on `t`: it is stateful and has
//! [`ReduceLrOnPlateau::observe`] instead.
//!
//! Hyperparameters and arithmetic are f64, as PyTorch's Python floats are, so that phase
//! boundaries and repeated products land where PyTorch puts them; the learning rate handed
//! to an optimizer is f32.
//!
//! | type | formula | PyTorch / Keras |
//! |---|---|---|
//! | [`Constant`] | `η₀` | `ConstantLR(factor=1)` |
//! | [`Power`] | `η₀ / (1 + t/s)^c` | Keras `InverseTimeDecay` (c = 1) |
//! | [`Exponential`] | `η₀ · r^(t/s)` | Keras `ExponentialDecay`, `ExponentialLR` (s = 1, r = γ) |
//! | [`StepLr`] | `η₀ · γ^⌊t/k⌋` | `StepLR` |
//! | [`MultiStepLr`] | `η₀ · γ^#{m ≤ t}` | `MultiStepLR` |
//! | [`Piecewise`] | constant between boundaries | Keras `PiecewiseConstantDecay` |
//! | [`OneCycle`] | warm-up then annealing | `OneCycleLR` |
//! | [`CosineAnnealingWarmRestarts`] | cosine with restarts | `CosineAnnealingWarmRestarts` |
//! | [`ReduceLrOnPlateau`] | cut on a stalled metric | `ReduceLROnPlateau` |
//!
//! ```
//! use staticnet_core::layers::Dense;
//! use staticnet_core::optim::{Momentum, Optimizer};
//! use staticnet_core::schedule::{Schedule, StepLr};
//!
//! let mut opt = Momentum::<Dense<3, 2>>::new(0.1, 0.9);
//! let schedule = StepLr::new(0.1, 30).gamma(0.1);
//! for epoch in 0..90 {
//!     schedule.apply(&mut opt, epoch);
//!     // ... one epoch of training ...
//! }
//! assert!((opt.learning_rate() - 1e-3).abs() < 1e-9);
//! ```

mod constant;
mod cosine_restarts;
mod exponential;
mod multi_step;
mod one_cycle;
mod piecewise;
mod plateau;
mod power;
mod step;

pub use constant::Constant;
pub use cosine_restarts::CosineAnnealingWarmRestarts;
pub use exponential::Exponential;
pub use multi_step::MultiStepLr;
pub use one_cycle::{Anneal, OneCycle};
pub use piecewise::Piecewise;
pub use plateau::{PlateauMode, ReduceLrOnPlateau, ThresholdMode};
pub use power::Power;
pub use step::StepLr;

use crate::layer::Layer;
use crate::optim::Optimizer;

/// A learning rate as a function of the step or epoch `t` (from 0).
pub trait Schedule {
    /// The learning rate to use at step (or epoch) `t`; `lr(0)` is the initial rate.
    fn lr(&self, t: usize) -> f32;

    /// Sets the optimizer's learning rate to `self.lr(t)`.
    fn apply<N: Layer, O: Optimizer<N>>(&self, optimizer: &mut O, t: usize)
    where
        Self: Sized,
    {
        optimizer.set_learning_rate(self.lr(t));
    }
}
