//! What a search can fail at.

use core::fmt;
use std::boxed::Box;
use std::path::PathBuf;
use std::string::String;

/// Why a search space, a sampler, a pruner, a trial or the results file is refused. Its
/// `Display` is one line naming the dimension, the trial or the file.
#[derive(Debug)]
#[non_exhaustive]
pub enum SearchError {
    /// The search space has no dimensions.
    EmptySpace,
    /// Two dimensions have the same name.
    DuplicateName {
        /// The name.
        name: &'static str,
    },
    /// A dimension's bounds are not finite, inverted, or not positive on a log scale.
    BadBounds {
        /// The dimension.
        name: &'static str,
        /// The bounds as given.
        low: f64,
        /// The bounds as given.
        high: f64,
        /// What is wrong.
        why: &'static str,
    },
    /// A categorical dimension has no values.
    EmptyChoice {
        /// The dimension.
        name: &'static str,
    },
    /// A trial asked for a parameter the space does not have.
    UnknownParameter {
        /// The name asked for.
        name: String,
        /// The names the space has, comma-separated.
        known: String,
    },
    /// A trial asked for a parameter as the wrong kind (a string as a float).
    WrongKind {
        /// The parameter.
        name: String,
        /// The kind asked for (`a float`).
        expected: &'static str,
        /// The value it has.
        found: String,
    },
    /// A search setting is out of range (no trials, a factor below 2, ...).
    BadSetting {
        /// The setting (`max_trials`, `factor`).
        setting: &'static str,
        /// What is wrong.
        why: String,
    },
    /// A trial failed.
    Trial {
        /// The trial, from 0.
        trial: usize,
        /// The cross-validation fold, from 0, if the search has folds.
        fold: Option<usize>,
        /// What went wrong.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A trial returned without reporting any value of the objective.
    NoReports {
        /// The trial, from 0.
        trial: usize,
        /// The objective (`val_loss`).
        objective: &'static str,
    },
    /// Writing the results table failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl fmt::Display for SearchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SearchError::EmptySpace => f.write_str("the search space has no dimensions"),
            SearchError::DuplicateName { name } => write!(f, "the search space has two dimensions named `{name}`"),
            SearchError::BadBounds { name, low, high, why } => {
                write!(f, "dimension `{name}`: bounds [{low}, {high}]: {why}")
            }
            SearchError::EmptyChoice { name } => write!(f, "dimension `{name}`: a choice needs at least one value"),
            SearchError::UnknownParameter { name, known } => {
                write!(f, "no parameter `{name}` in the search space (it has {known})")
            }
            SearchError::WrongKind { name, expected, found } => {
                write!(f, "parameter `{name}` is {found}, not {expected}")
            }
            SearchError::BadSetting { setting, why } => write!(f, "{setting}: {why}"),
            SearchError::Trial { trial, fold: None, source } => write!(f, "trial {trial}: {source}"),
            SearchError::Trial { trial, fold: Some(k), source } => write!(f, "trial {trial}, fold {k}: {source}"),
            SearchError::NoReports { trial, objective } => {
                write!(
                    f,
                    "trial {trial} reported no value of `{objective}` (report it every epoch, or use Trial::callback)"
                )
            }
            SearchError::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for SearchError {}
