//! An in-memory data set of fixed-size samples, cut into batches and shuffled in place.

use core::iter::Zip;
use core::slice::Chunks;
use std::vec::Vec;

use crate::batches::BatchSource;
use crate::error::Error;

use rand::rngs::SmallRng;
use rand::{Rng, RngCore, SeedableRng};

/// Samples of `N` values, each with a target: `inputs[i]` has target `targets[i]`. Both
/// vectors are kept the same length.
///
/// The target type `T` says what is learnt: a class index (`usize`, the default), a
/// probability vector over `M` classes (one-hot, smoothed or soft, `[f32; M]`), `M`
/// independent 0/1 labels (multi-label, `[f32; M]`) or `M` real values (regression,
/// `[f32; M]`). The loss decides how the vector is read.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset<const N: usize, T = usize> {
    /// The samples.
    pub inputs: Vec<[f32; N]>,
    /// The target of each sample.
    pub targets: Vec<T>,
}

impl<const N: usize, T> Default for Dataset<N, T> {
    fn default() -> Self {
        Dataset { inputs: Vec::new(), targets: Vec::new() }
    }
}

/// Iterator over a [`Dataset`] in consecutive `(inputs, targets)` chunks, borrowed from it.
pub type Batches<'a, const N: usize, T = usize> = Zip<Chunks<'a, [f32; N]>, Chunks<'a, T>>;

impl<const N: usize, T> Dataset<N, T> {
    /// A data set of `inputs` and their `targets`; different lengths are
    /// [`Error::DatasetLabels`].
    pub fn new(inputs: Vec<[f32; N]>, targets: Vec<T>) -> Result<Self, Error> {
        let set = Dataset { inputs, targets };
        set.check()?;
        Ok(set)
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.inputs.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }

    /// A data set of `rows` (a CSV reader's `Vec<Vec<f32>>`, see [`to_rows`](super::to_rows))
    /// and their targets; rows of another width than `N` or a target count that differs are
    /// errors.
    pub fn from_rows<R: AsRef<[f32]>>(rows: &[R], targets: Vec<T>) -> Result<Self, Error> {
        Self::new(super::to_rows(rows)?, targets)
    }

    /// [`Error::DatasetLabels`] unless there is one target per sample.
    pub fn check(&self) -> Result<(), Error> {
        match (self.inputs.len(), self.targets.len()) {
            (inputs, labels) if inputs != labels => Err(Error::DatasetLabels { inputs, labels }),
            _ => Ok(()),
        }
    }

    /// Consecutive `(inputs, targets)` chunks of `batch` samples, borrowed (nothing is
    /// allocated); the last may be shorter. A `batch` of 0 is [`Error::ZeroBatchSize`], a
    /// target count that differs from the sample count [`Error::DatasetLabels`].
    pub fn batches(&self, batch: usize) -> Result<Batches<'_, N, T>, Error> {
        if batch == 0 {
            return Err(Error::ZeroBatchSize);
        }
        self.check()?;
        Ok(self.inputs.chunks(batch).zip(self.targets.chunks(batch)))
    }

    /// Permutes samples and targets together, reproducibly for a given `seed`.
    pub fn shuffle(&mut self, seed: u64) {
        self.shuffle_with(&mut SmallRng::seed_from_u64(seed));
    }

    /// Permutes samples and targets together (Fisher–Yates) with draws from `rng`; pass the
    /// same generator each epoch to get a new order every time.
    pub fn shuffle_with<R: Rng + ?Sized>(&mut self, rng: &mut R) {
        let len = self.inputs.len().min(self.targets.len());
        for i in (1..len).rev() {
            let j = rng.random_range(0..=i);
            self.inputs.swap(i, j);
            self.targets.swap(i, j);
        }
    }

    /// Copies of the samples at `indices`, in that order: the indices of a split from
    /// [`train_test_split`](super::train_test_split) or [`KFold`](super::KFold). An index
    /// `>= len()` is [`Error::IndexOutOfRange`].
    pub fn select(&self, indices: &[usize]) -> Result<Self, Error>
    where
        T: Clone,
    {
        self.check()?;
        if let Some(&index) = indices.iter().find(|&&i| i >= self.len()) {
            return Err(Error::IndexOutOfRange { index, len: self.len() });
        }
        Ok(Dataset {
            inputs: indices.iter().map(|&i| self.inputs[i]).collect(),
            targets: indices.iter().map(|&i| self.targets[i].clone()).collect(),
        })
    }

    /// The same samples with each target mapped by `f` (e.g. class indices to one-hot
    /// vectors with [`one_hot`](super::one_hot)).
    pub fn map_targets<U>(self, f: impl FnMut(T) -> U) -> Dataset<N, U> {
        Dataset { inputs: self.inputs, targets: self.targets.into_iter().map(f).collect() }
    }
}

impl<const N: usize> Dataset<N, usize> {
    /// [`Dataset::check`], then [`Error::LabelOutOfRange`] for the first label that is not
    /// below `classes`.
    pub fn check_labels(&self, classes: usize) -> Result<(), Error> {
        self.check()?;
        match self.targets.iter().enumerate().find(|&(_, &label)| label >= classes) {
            Some((sample, &label)) => Err(Error::LabelOutOfRange { sample, label, classes }),
            None => Ok(()),
        }
    }
}

/// A data set is a source of batches in its current order; [`BatchSource::shuffle`]
/// permutes it in place.
impl<const N: usize, T: Clone> BatchSource<N> for Dataset<N, T> {
    type Target = T;

    fn len(&self) -> usize {
        self.inputs.len().min(self.targets.len())
    }

    fn fill(&self, start: usize, inputs: &mut [[f32; N]], targets: &mut [T]) -> usize {
        let end = BatchSource::len(self).min(start.saturating_add(inputs.len().min(targets.len())));
        let n = end.saturating_sub(start);
        if n == 0 {
            return 0;
        }
        inputs[..n].copy_from_slice(&self.inputs[start..end]);
        targets[..n].clone_from_slice(&self.targets[start..end]);
        n
    }

    fn shuffle(&mut self, rng: &mut dyn RngCore) {
        self.shuffle_with(rng);
    }
}
