//! Ensembles: `K` models of one network, trained from different seeds or on bootstrap
//! samples (bagging), combined by voting, with the members' disagreement as an
//! uncertainty.
//!
//! Each member's output row `y_k` (`k = 1..K`) is mapped by the [`Voting`] rule, then
//! averaged: soft voting maps it to its probabilities `softmax(y_k)`, hard voting to the
//! one-hot vector of its class `argmax(y_k)`, the mean for regression keeps it. The
//! combination is the mean `μ = (1/K) Σ_k m(y_k)` and the uncertainty the population
//! standard deviation `σ = √((1/K) Σ_k (m(y_k) - μ)²)`, per output, as
//! [`Workspace::mc_dropout`](crate::Workspace::mc_dropout) reports over its passes. Under
//! hard voting `μ` holds the vote shares, the predicted class is the one with most votes
//! (the lowest class index on a tie), and [`disagreement`] is the fraction of members
//! that voted for another class.
//!
//! ```
//! use staticnet_core::ensemble::{Ensemble, Voting};
//! use staticnet_core::layers::Dense;
//! use staticnet_core::InferenceWorkspace;
//!
//! // Five members of a 4-input, 3-class network, each drawn from its own seed.
//! let ensemble = Ensemble::<Dense<4, 3>, 5>::new([0, 1, 2, 3, 4], Voting::Soft);
//! let mut ws = InferenceWorkspace::<Dense<4, 3>, 2>::new();
//! let inputs = [[0.5, -1.0, 2.0, 0.0], [1.0, 1.0, 1.0, 1.0]];
//! let (mut mean, mut std) = ([[0.0; 3]; 2], [[0.0; 3]; 2]);
//! ensemble.forward(&mut ws, &inputs, &mut mean, &mut std)?;
//! assert!((mean[0].iter().sum::<f32>() - 1.0).abs() < 1e-6);
//! let one = ensemble.predict(&mut ws, &inputs[1]);
//! assert_eq!(one.mean, mean[1]);
//! # Ok::<(), staticnet_core::Error>(())
//! ```
//!
//! Where staticnet differs from scikit-learn's `VotingClassifier`, `VotingRegressor` and
//! `BaggingClassifier`, and why:
//!
//! - The members are `K` models of one network type, stored inline in an array (one
//!   allocation for the whole ensemble with [`Ensemble::new_boxed`], none with
//!   [`Ensemble::new_in`]), so that an ensemble's memory is a compile-time constant like a
//!   model's. scikit-learn combines estimators of any kinds.
//! - Members vote with equal weights (no `weights`).
//! - Soft voting applies the softmax to each member's outputs, because staticnet's
//!   classifiers output logits; for a network that already ends in `Softmax`, use
//!   [`Voting::Mean`], the mean of its probabilities.
//! - scikit-learn reports no uncertainty; here the spread `σ` comes with every
//!   prediction.
//! - Bagging is a data set resampler ([`bootstrap`], with `std`) and a training helper
//!   ([`Ensemble::fit_members`]) that runs [`fit`](crate::train::fit) once per member, not
//!   an estimator of its own.

#[cfg(feature = "std")]
mod bootstrap;
#[cfg(feature = "std")]
mod file;
#[cfg(feature = "std")]
mod fit_members;
mod members;
mod predict;
mod voting;

#[cfg(feature = "std")]
pub use bootstrap::{bootstrap, bootstrap_indices};
#[cfg(feature = "std")]
pub use file::{ENSEMBLE_MEMBERS_KEY, ENSEMBLE_VOTING_KEY};
#[cfg(feature = "std")]
pub use fit_members::MemberError;
pub use members::Ensemble;
pub use predict::Prediction;
pub use voting::{Voting, disagreement};
