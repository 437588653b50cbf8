//! What a trial's closure receives: its parameters, its budget, and the reporter of its
//! objective epoch by epoch.

use std::vec::Vec;

use super::params::Params;
use crate::data::Split;
use crate::layer::Layer;
use crate::model::Model;
use crate::train::callbacks::{Callback, CallbackError, Control, Logs};
use crate::workspace::Workspace;

/// A trial being run: its index, parameters, budget, fold and seed, and the values of
/// the objective it reports, one per epoch (Optuna's `trial.report(value, step)`).
///
/// The closure trains for [`Trial::epochs`] epochs from scratch and calls
/// [`Trial::report`] after every epoch, or passes [`Trial::callback`] to
/// [`fit`](crate::train::fit), which reports the objective from the epoch's logs and
/// stops the run at the budget.
#[derive(Debug)]
pub struct Trial<'a> {
    index: usize,
    params: &'a Params,
    epochs: usize,
    fold: Option<(usize, &'a Split)>,
    seed: u64,
    objective: &'static str,
    pub(crate) values: Vec<f64>,
    pub(crate) memory: Option<TrialMemory>,
}

impl<'a> Trial<'a> {
    pub(crate) fn new(
        index: usize,
        params: &'a Params,
        epochs: usize,
        fold: Option<(usize, &'a Split)>,
        seed: u64,
        objective: &'static str,
    ) -> Self {
        Trial { index, params, epochs, fold, seed, objective, values: Vec::with_capacity(epochs), memory: None }
    }

    /// The trial's index, from 0.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Its hyperparameters.
    pub fn params(&self) -> &'a Params {
        self.params
    }

    /// Epochs to train, from the start (the rung's budget).
    pub fn epochs(&self) -> usize {
        self.epochs
    }

    /// With cross-validation, the fold (from 0) and its split: train on `split.train`,
    /// validate on `split.test`.
    pub fn fold(&self) -> Option<(usize, &'a Split)> {
        self.fold
    }

    /// A seed for the model, the shuffling and dropout: a function of the search's seed
    /// and the trial's index only, so that a trial and its reruns train alike.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The objective's name (`val_loss`).
    pub fn objective(&self) -> &'static str {
        self.objective
    }

    /// Records the objective after epoch `values().len()`. Returns whether the trial
    /// should stop: its budget is spent, or the value is NaN (a diverged trial is pruned
    /// at once).
    pub fn report(&mut self, value: f64) -> bool {
        if self.values.len() < self.epochs {
            self.values.push(value);
        }
        self.should_stop()
    }

    /// Whether the budget is spent or the last value was NaN.
    pub fn should_stop(&self) -> bool {
        self.values.len() >= self.epochs || self.values.last().is_some_and(|v| v.is_nan())
    }

    /// The values reported so far, one per epoch.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Records the trial's memory, known at compile time, for the results table.
    pub fn set_memory(&mut self, memory: TrialMemory) {
        self.memory = Some(memory);
    }

    /// A callback for [`fit`](crate::train::fit) that reports the objective from each
    /// epoch's logs and stops training when [`Trial::should_stop`] says so. An objective
    /// missing from the logs is an error (validate every epoch).
    pub fn callback(&mut self) -> TrialCallback<'_, 'a> {
        TrialCallback { trial: self }
    }
}

/// [`Trial::callback`]: reports the trial's objective every epoch.
#[derive(Debug)]
pub struct TrialCallback<'t, 'a> {
    trial: &'t mut Trial<'a>,
}

impl<N: Layer> Callback<N> for TrialCallback<'_, '_> {
    fn on_epoch_end(&mut self, _: usize, logs: &mut Logs, run: &mut Control<'_, N>) -> Result<(), CallbackError> {
        let name = self.trial.objective;
        let value = logs.get(name).ok_or(CallbackError::MissingLog { callback: "Trial", name })?;
        if self.trial.report(value) {
            run.stop_training();
        }
        Ok(())
    }
}

/// A trial's memory in bytes, from the compile-time sizes of its types: what it needs to
/// train, known before it runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrialMemory {
    /// The model: parameters and state ([`Model::BYTES`]).
    pub model: usize,
    /// The training workspace ([`Workspace::BYTES`]).
    pub workspace: usize,
    /// The optimizer (its state: Adam's two moments are twice the parameters).
    pub optimizer: usize,
}

impl TrialMemory {
    /// The memory of training network `N` with optimizer `O` in a workspace of `B` rows.
    pub const fn of<N: Layer, O, const B: usize>() -> Self {
        TrialMemory {
            model: Model::<N>::BYTES,
            workspace: Workspace::<N, B>::BYTES,
            optimizer: core::mem::size_of::<O>(),
        }
    }

    /// Everything.
    pub const fn total(&self) -> usize {
        self.model + self.workspace + self.optimizer
    }
}
