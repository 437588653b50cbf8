//! Training every member of an ensemble, each with its own run of `fit`.

use core::fmt;
use std::vec::Vec;

use super::Ensemble;
use crate::layer::Layer;
use crate::model::Model;

/// A member's training failed: which member, and its error. `Display` is one line.
#[derive(Debug)]
pub struct MemberError<E> {
    /// The member, from 0.
    pub member: usize,
    /// What its training returned.
    pub error: E,
}

impl<E: fmt::Display> fmt::Display for MemberError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ensemble member {}: {}", self.member, self.error)
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for MemberError<E> {}

impl<N: Layer, const K: usize> Ensemble<N, K> {
    /// Trains the members one after the other: `train(k, member)` runs member `k`'s
    /// training, typically a [`fit`](crate::train::fit) with a fresh optimizer, on the
    /// whole data (members differ by their seeds) or on its own
    /// [`bootstrap`](super::bootstrap) sample (bagging). Returns what each run returned
    /// (its [`History`](crate::train::callbacks::History)), or the first error with the
    /// member's index; the members after it are not trained.
    ///
    /// ```
    /// use staticnet_core::ensemble::{Ensemble, Voting, bootstrap};
    /// use staticnet_core::data::Dataset;
    /// use staticnet_core::layers::Dense;
    /// use staticnet_core::loss::CrossEntropyLoss;
    /// use staticnet_core::optim::Sgd;
    /// use staticnet_core::train::fit;
    /// use staticnet_core::Workspace;
    ///
    /// let data = Dataset::<2>::new(vec![[0.0, 1.0], [1.0, 0.0], [0.5, 0.9], [0.9, 0.4]], vec![0, 1, 0, 1])?;
    /// let mut ensemble = Ensemble::<Dense<2, 2>, 3>::new([0, 1, 2], Voting::Soft);
    /// let mut ws = Workspace::<Dense<2, 2>, 4>::new();
    /// let histories = ensemble.fit_members(|k, member| {
    ///     let mut sample = bootstrap(&data, k as u64)?; // bagging
    ///     let mut sgd = Sgd::new(0.1);
    ///     let run = fit(member, &mut ws, &mut sgd, &CrossEntropyLoss).epochs(5).seed(k as u64).verbose(0);
    ///     Ok::<_, Box<dyn std::error::Error>>(run.run(&mut sample)?)
    /// })?;
    /// assert_eq!(histories.len(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fit_members<H, E>(
        &mut self,
        mut train: impl FnMut(usize, &mut Model<N>) -> Result<H, E>,
    ) -> Result<Vec<H>, MemberError<E>> {
        let mut results = Vec::with_capacity(K);
        for (member, model) in self.members.iter_mut().enumerate() {
            results.push(train(member, model).map_err(|error| MemberError { member, error })?);
        }
        Ok(results)
    }
}
