//! An in-memory data set of fixed-size samples, cut into batches and shuffled in place.

use core::iter::Zip;
use core::slice::Chunks;
use std::vec::Vec;

use crate::error::Error;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// Samples of `N` values, each with a class label: `inputs[i]` has label `labels[i]`.
/// Both vectors are kept the same length.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dataset<const N: usize> {
    /// The samples.
    pub inputs: Vec<[f32; N]>,
    /// The class of each sample.
    pub labels: Vec<usize>,
}

/// Iterator over a [`Dataset`] in consecutive `(inputs, labels)` chunks.
pub type Batches<'a, const N: usize> = Zip<Chunks<'a, [f32; N]>, Chunks<'a, usize>>;

impl<const N: usize> Dataset<N> {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.inputs.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }

    /// A data set of `rows` (a CSV reader's `Vec<Vec<f32>>`, see [`to_rows`](super::to_rows))
    /// and their labels; rows of another width than `N` or a label count that differs are
    /// errors.
    pub fn from_rows<R: AsRef<[f32]>>(rows: &[R], labels: Vec<usize>) -> Result<Self, Error> {
        let set = Dataset { inputs: super::to_rows(rows)?, labels };
        set.check()?;
        Ok(set)
    }

    /// [`Error::DatasetLabels`] unless there is one label per sample.
    pub fn check(&self) -> Result<(), Error> {
        match (self.inputs.len(), self.labels.len()) {
            (inputs, labels) if inputs != labels => Err(Error::DatasetLabels { inputs, labels }),
            _ => Ok(()),
        }
    }

    /// [`Dataset::check`], then [`Error::LabelOutOfRange`] for the first label that is not
    /// below `classes`.
    pub fn check_labels(&self, classes: usize) -> Result<(), Error> {
        self.check()?;
        match self.labels.iter().enumerate().find(|&(_, &label)| label >= classes) {
            Some((sample, &label)) => Err(Error::LabelOutOfRange { sample, label, classes }),
            None => Ok(()),
        }
    }

    /// Consecutive `(inputs, labels)` chunks of `batch` samples; the last may be shorter.
    /// A `batch` of 0 is [`Error::ZeroBatchSize`], a label count that differs from the
    /// sample count [`Error::DatasetLabels`].
    pub fn batches(&self, batch: usize) -> Result<Batches<'_, N>, Error> {
        if batch == 0 {
            return Err(Error::ZeroBatchSize);
        }
        self.check()?;
        Ok(self.inputs.chunks(batch).zip(self.labels.chunks(batch)))
    }

    /// Permutes samples and labels together, reproducibly for a given `seed`.
    pub fn shuffle(&mut self, seed: u64) {
        self.shuffle_with(&mut SmallRng::seed_from_u64(seed));
    }

    /// Permutes samples and labels together (Fisher–Yates) with draws from `rng`; pass the
    /// same generator each epoch to get a new order every time.
    pub fn shuffle_with<R: Rng + ?Sized>(&mut self, rng: &mut R) {
        let len = self.inputs.len().min(self.labels.len());
        for i in (1..len).rev() {
            let j = rng.random_range(0..=i);
            self.inputs.swap(i, j);
            self.labels.swap(i, j);
        }
    }
}
