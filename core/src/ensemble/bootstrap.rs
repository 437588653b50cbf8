//! Bootstrap samples, for bagging.

use std::vec::Vec;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::data::Dataset;
use crate::error::Error;

/// `len` indices drawn uniformly from `0..len` with replacement, reproducibly for a
/// `seed`: a bootstrap sample's positions, as scikit-learn's
/// `resample(range(len), replace=True, random_state=seed)` (not its stream). Each index
/// is left out with probability `(1 - 1/len)^len ≈ e^-1`, so a sample holds about 63.2%
/// of the distinct indices.
pub fn bootstrap_indices(len: usize, seed: u64) -> Vec<usize> {
    let mut rng = SmallRng::seed_from_u64(seed);
    (0..len).map(|_| rng.random_range(0..len)).collect()
}

/// A bootstrap sample of `data`: as many samples as it has, drawn with replacement at
/// [`bootstrap_indices`]`(data.len(), seed)`, each with its target. Train each member of a
/// bagging ensemble on the sample of its own seed. A data set whose target count differs
/// from its sample count is [`Error::DatasetLabels`].
pub fn bootstrap<const N: usize, T: Clone>(data: &Dataset<N, T>, seed: u64) -> Result<Dataset<N, T>, Error> {
    data.check()?;
    data.select(&bootstrap_indices(data.len(), seed))
}
