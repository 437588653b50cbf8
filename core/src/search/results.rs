//! What a search found: a row per trial, the best trial, and the table as CSV.

use core::fmt;
use std::format;
use std::path::Path;
use std::string::String;
use std::time::Duration;
use std::vec::Vec;

use super::error::SearchError;
use super::params::{Params, Value};
use super::trial::TrialMemory;
use crate::train::callbacks::{History, MonitorMode};

/// How a trial ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrialStatus {
    /// It trained its bracket's full budget.
    Complete,
    /// Successive halving stopped it after a rung of this many epochs.
    Pruned {
        /// The budget of the last rung it trained.
        epochs: usize,
    },
}

impl fmt::Display for TrialStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrialStatus::Complete => f.write_str("complete"),
            TrialStatus::Pruned { epochs } => write!(f, "pruned at {epochs}"),
        }
    }
}

/// One trial of a search, from its longest run.
#[derive(Clone, Debug)]
pub struct TrialResult {
    /// The trial's index.
    pub index: usize,
    /// Its Hyperband bracket (0 without one).
    pub bracket: usize,
    /// Its hyperparameters.
    pub params: Params,
    /// The best value of the objective over its epochs (Keras Tuner's rule); NaN if it
    /// only reported NaN. With folds, the best of the per-epoch means over the folds.
    pub score: f64,
    /// The objective after every epoch (the mean over the folds).
    pub values: Vec<f64>,
    /// The budget it last trained (its epochs).
    pub epochs: usize,
    /// Complete or pruned.
    pub status: TrialStatus,
    /// Its memory, if the trial recorded it.
    pub memory: Option<TrialMemory>,
    /// The histories its closure returned, one per fold (one without folds).
    pub histories: Vec<History>,
    /// The wall time of its runs, reruns included (the only field that depends on the
    /// machine).
    pub time: Duration,
}

/// The trials of a search, by index, with the objective they were ranked on.
#[derive(Clone, Debug)]
pub struct SearchResults {
    /// Every trial, in index order.
    pub trials: Vec<TrialResult>,
    /// The objective (`val_loss`).
    pub objective: &'static str,
    /// Its direction, resolved (`Min` or `Max`).
    pub direction: MonitorMode,
}

impl SearchResults {
    /// Whether score `a` ranks before `b`: better in the objective's direction, NaN last.
    pub(crate) fn ranks_before(direction: MonitorMode, a: f64, b: f64) -> bool {
        match (a.is_nan(), b.is_nan()) {
            (false, true) => true,
            (_, true) | (true, false) => false,
            _ => direction.better(a, b, 0.0),
        }
    }

    /// The trial with the best score, among those that trained the longest budget of
    /// the search (a trial pruned after a short rung is not compared with fully trained
    /// ones); the lower index on ties.
    pub fn best(&self) -> &TrialResult {
        let longest = self.trials.iter().map(|t| t.epochs).max().unwrap_or(0);
        let mut best: Option<&TrialResult> = None;
        for t in self.trials.iter().filter(|t| t.epochs == longest) {
            if best.is_none_or(|b| Self::ranks_before(self.direction, t.score, b.score)) {
                best = Some(t);
            }
        }
        best.unwrap_or(&self.trials[0])
    }

    /// The table as CSV: `trial,bracket,status,epochs,<objective>,memory_bytes` and a
    /// column per parameter; one row per trial, in index order. Times are left out, so
    /// the table is the same on any number of threads.
    pub fn to_csv(&self) -> String {
        let names: Vec<&str> =
            self.trials.first().map(|t| t.params.iter().map(|(n, _)| n).collect()).unwrap_or_default();
        let mut out = format!("trial,bracket,status,epochs,{},memory_bytes", self.objective);
        names.iter().for_each(|n| out.push_str(&format!(",{n}")));
        out.push('\n');
        for t in &self.trials {
            let memory = t.memory.map(|m| format!("{}", m.total())).unwrap_or_default();
            out.push_str(&format!("{},{},{},{},{},{memory}", t.index, t.bracket, t.status, t.epochs, t.score));
            for (_, v) in t.params.iter() {
                out.push_str(&format!(",{}", csv_cell(&format!("{v}"))));
            }
            out.push('\n');
        }
        out
    }

    /// Writes [`SearchResults::to_csv`] to `path` atomically (a temporary file in the
    /// same directory, renamed).
    pub fn save_csv(&self, path: impl AsRef<Path>) -> Result<(), SearchError> {
        let path = path.as_ref();
        crate::io::write_atomic(path, self.to_csv().as_bytes())
            .map_err(|source| SearchError::Io { path: path.to_path_buf(), source })
    }
}

/// A value to 4 significant digits: `0.001234`, `1.234e-5`, `12.35`.
fn short(v: Value) -> String {
    match v {
        Value::Float(x) if x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e4) => format!("{x:.3e}"),
        Value::Float(x) if x != 0.0 => {
            let digits = (3 - x.abs().log10().floor() as i32).max(0) as usize;
            format!("{x:.digits$}")
        }
        other => format!("{other}"),
    }
}

/// A CSV cell, quoted when it holds a comma, a quote or a line break.
fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { String::from(s) }
}

impl fmt::Display for SearchResults {
    /// An aligned table, the best trial marked with `*`, floats to 4 significant digits
    /// (the CSV has them all).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let best = self.best().index;
        writeln!(
            f,
            "{:>5}  {:>7}  {:<14}  {:>6}  {:>10}  {:>9}  parameters",
            "trial", "bracket", "status", "epochs", self.objective, "memory"
        )?;
        for t in &self.trials {
            let memory = t.memory.map(|m| format!("{}", m.total())).unwrap_or_else(|| String::from("-"));
            let mark = if t.index == best { "*" } else { " " };
            writeln!(
                f,
                "{:>4}{mark}  {:>7}  {:<14}  {:>6}  {:>10.4}  {:>9}  {}",
                t.index,
                t.bracket,
                format!("{}", t.status),
                t.epochs,
                t.score,
                memory,
                t.params.iter().map(|(n, v)| format!("{n}={}", short(v))).collect::<Vec<_>>().join(", ")
            )?;
        }
        Ok(())
    }
}
