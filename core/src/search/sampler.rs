//! Where a trial's parameters come from: the [`Sampler`] trait.

use super::error::SearchError;
use super::params::Params;
use super::space::SearchSpace;

/// Gives trial `i` its parameters, as a pure function of `i` (and the sampler's seed), so
/// that a search's results do not depend on which thread ran which trial. Optuna's
/// samplers (`GridSampler`, `RandomSampler`) instead ask the study's history, which is
/// what lets TPE learn, and what makes them depend on the order trials finish in.
pub trait Sampler: Sync {
    /// The space sampled.
    fn space(&self) -> &SearchSpace;
    /// How many configurations there are: the grid's size, a random search's
    /// `max_trials`; `None` for as many as the pruner asks for.
    fn configurations(&self) -> Option<usize>;
    /// The parameters of trial `trial` (for a grid, `trial < len`).
    fn params(&self, trial: usize) -> Params;
    /// The space's mistakes, or this sampler's settings'.
    fn check(&self) -> Result<(), SearchError> {
        self.space().check()
    }
}

/// SplitMix64's finaliser: a well-mixed 64-bit value of `x`.
pub(crate) fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of stream `index` of `seed`: independent streams for every trial.
pub(crate) fn stream(seed: u64, index: u64) -> u64 {
    mix(mix(seed) ^ index)
}
