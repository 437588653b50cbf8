//! Train/validation/test splits and k-fold cross-validation, as sample indices.

use std::vec::Vec;

use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;

use crate::error::Error;

/// Sample indices of a split; pass each to [`Dataset::select`](super::Dataset::select).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Split {
    /// The training samples.
    pub train: Vec<usize>,
    /// The validation samples (empty when none were asked for).
    pub validation: Vec<usize>,
    /// The test samples (the held-out fold in [`KFold`]).
    pub test: Vec<usize>,
}

/// A random split of `len` samples into train, validation and test, reproducible for a
/// `seed`. `validation` and `test` are fractions: each part gets `ceil(fraction · len)`
/// samples as in scikit-learn's `train_test_split`, the rest train. Fractions outside
/// `[0, 1)` or that leave no training sample are [`Error::BadSplit`].
///
/// With `classes` (one class index per sample) the split is stratified: each class is
/// split on its own, `round(fraction · count)` of it to each part, so every part keeps
/// the class proportions (scikit-learn's `stratify=y`; its rounding may differ by one
/// sample per class).
pub fn train_test_split(
    len: usize,
    validation: f64,
    test: f64,
    classes: Option<&[usize]>,
    seed: u64,
) -> Result<Split, Error> {
    let bad = |what| Err(Error::BadSplit { len, what });
    if !(0.0..1.0).contains(&validation) || !(0.0..1.0).contains(&test) || validation + test >= 1.0 {
        return bad("validation and test fractions must be in [0, 1) and sum to less than 1");
    }
    if classes.is_some_and(|c| c.len() != len) {
        return bad("one class per sample is needed to stratify");
    }
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut split = Split::default();
    match classes {
        None => {
            let mut order: Vec<usize> = (0..len).collect();
            order.shuffle(&mut rng);
            let n_test = (test * len as f64).ceil() as usize;
            let n_val = (validation * len as f64).ceil() as usize;
            split.test = order[..n_test.min(len)].to_vec();
            split.validation = order[n_test.min(len)..(n_test + n_val).min(len)].to_vec();
            split.train = order[(n_test + n_val).min(len)..].to_vec();
        }
        Some(classes) => {
            let count = classes.iter().max().map_or(0, |&m| m + 1);
            for class in 0..count {
                let mut members: Vec<usize> = (0..len).filter(|&i| classes[i] == class).collect();
                members.shuffle(&mut rng);
                let n = members.len() as f64;
                let n_test = ((test * n).round() as usize).min(members.len());
                let n_val = ((validation * n).round() as usize).min(members.len() - n_test);
                split.test.extend_from_slice(&members[..n_test]);
                split.validation.extend_from_slice(&members[n_test..n_test + n_val]);
                split.train.extend_from_slice(&members[n_test + n_val..]);
            }
            // Classes one after another would make ordered batches: mix each part.
            split.train.shuffle(&mut rng);
            split.validation.shuffle(&mut rng);
            split.test.shuffle(&mut rng);
        }
    }
    if split.train.is_empty() {
        return bad("no sample is left for training");
    }
    Ok(split)
}

/// K-fold cross-validation (scikit-learn's `KFold(shuffle=True)` and, with classes,
/// `StratifiedKFold`): the samples are shuffled with `seed` and cut into `k` folds; the
/// iterator yields `k` splits, each holding one fold out as `test` and training on the
/// rest (`validation` stays empty).
///
/// ```
/// use staticnet_core::data::KFold;
///
/// let folds: Vec<_> = KFold::new(10, 3, None, 7)?.collect();
/// assert_eq!(folds.len(), 3);
/// let mut held_out: Vec<usize> = folds.iter().flat_map(|f| f.test.clone()).collect();
/// held_out.sort();
/// assert_eq!(held_out, (0..10).collect::<Vec<_>>()); // every sample is held out once
/// # Ok::<(), staticnet_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct KFold {
    /// The fold of each sample.
    fold: Vec<usize>,
    k: usize,
    next: usize,
}

impl KFold {
    /// `k` folds of `len` samples. Without `classes`, fold sizes differ by at most one
    /// (the first `len % k` folds hold one more); with `classes` (one per sample) each
    /// class is dealt round-robin over the folds, so each fold keeps the class
    /// proportions. `k < 2` or `k > len` is [`Error::BadSplit`].
    pub fn new(len: usize, k: usize, classes: Option<&[usize]>, seed: u64) -> Result<Self, Error> {
        if k < 2 || k > len {
            return Err(Error::BadSplit { len, what: "k-fold needs 2 <= k <= samples" });
        }
        if classes.is_some_and(|c| c.len() != len) {
            return Err(Error::BadSplit { len, what: "one class per sample is needed to stratify" });
        }
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut order: Vec<usize> = (0..len).collect();
        order.shuffle(&mut rng);
        let mut fold = std::vec![0; len];
        match classes {
            None => {
                let (size, extra) = (len / k, len % k);
                let mut start = 0;
                for f in 0..k {
                    let end = start + size + usize::from(f < extra);
                    order[start..end].iter().for_each(|&i| fold[i] = f);
                    start = end;
                }
            }
            Some(classes) => {
                // The shuffled order, grouped by class (stable), dealt out in turn.
                order.sort_by_key(|&i| classes[i]);
                order.iter().enumerate().for_each(|(position, &i)| fold[i] = position % k);
            }
        }
        Ok(KFold { fold, k, next: 0 })
    }
}

impl Iterator for KFold {
    type Item = Split;

    fn next(&mut self) -> Option<Split> {
        if self.next == self.k {
            return None;
        }
        let f = self.next;
        self.next += 1;
        let (test, train) = (0..self.fold.len()).partition(|&i| self.fold[i] == f);
        Some(Split { train, validation: Vec::new(), test })
    }
}
