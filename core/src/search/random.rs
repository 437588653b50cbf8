//! Random search: independent draws from every dimension.

use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::error::SearchError;
use super::params::Params;
use super::sampler::{Sampler, stream};
use super::space::SearchSpace;

/// Random search (Bergstra and Bengio 2012; Keras Tuner's `RandomSearch`, Optuna's
/// `RandomSampler`): trial `i` draws every dimension in order from a generator seeded by
/// `(seed, i)` alone, so its parameters are the same whatever ran before it, on whatever
/// thread, and a longer search extends a shorter one with the same seed.
///
/// `max_trials` (Keras Tuner's name) is how many configurations to try; with a
/// [`Pruner::Hyperband`](super::Pruner::Hyperband), which decides how many it needs,
/// leave it unset. Unlike Keras Tuner, the first trial is a random draw too, not the
/// space's defaults (a space here has none): evaluate the defaults yourself to compare.
#[derive(Clone, Debug)]
pub struct RandomSearch {
    space: SearchSpace,
    seed: u64,
    max_trials: Option<usize>,
}

impl RandomSearch {
    /// Draws from `space`, seeded by `seed`.
    pub fn new(space: SearchSpace, seed: u64) -> Self {
        RandomSearch { space, seed, max_trials: None }
    }

    /// The number of trials.
    pub fn max_trials(mut self, trials: usize) -> Self {
        self.max_trials = Some(trials);
        self
    }
}

impl Sampler for RandomSearch {
    fn space(&self) -> &SearchSpace {
        &self.space
    }

    fn configurations(&self) -> Option<usize> {
        self.max_trials
    }

    fn params(&self, trial: usize) -> Params {
        let mut rng = SmallRng::seed_from_u64(stream(self.seed, trial as u64));
        self.space.dimensions().fold(Params::new(), |p, (name, dim)| p.set(name, dim.sample(&mut rng)))
    }

    fn check(&self) -> Result<(), SearchError> {
        self.space.check()?;
        if self.max_trials == Some(0) {
            return Err(SearchError::BadSetting {
                setting: "max_trials",
                why: "a search needs at least 1 trial".into(),
            });
        }
        Ok(())
    }
}
