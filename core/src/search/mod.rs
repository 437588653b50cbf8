//! Hyperparameter search (feature `std`): grid and random search over uniform,
//! log-uniform, integer and categorical dimensions, successive halving and Hyperband,
//! optional k-fold cross-validation, trials in parallel on every core, reproducible
//! whatever the thread count.
//!
//! ```text
//! let space = SearchSpace::new().log_float("lr", 1e-4, 1e-1).choice("width", [16, 32, 64]);
//! let results = Tuner::new(RandomSearch::new(space, 0), Pruner::hyperband(27, 3))
//!     .objective("val_loss", MonitorMode::Min)
//!     .run(|trial| { /* build, fit with trial.callback(), return the History */ })?;
//! println!("{results}\nbest: {}", results.best().params);
//! results.save_csv("search.csv")?;
//! ```
//!
//! The pieces follow Optuna's split into a sampler (which configuration:
//! [`GridSearch`], [`RandomSearch`]) and a pruner (how long: [`Pruner`]), with Keras
//! Tuner's names for Hyperband's parameters. Trials are closures that train from
//! scratch for a budget of epochs and report the objective every epoch; they keep no
//! model between rungs (see [`Pruner`] for what that costs), so save the best model by
//! training its configuration again with its seed, which gives the same model.
//! A search across machines belongs to a distributed engine: `examples/optuna_search.py`
//! drives staticnet trials from Optuna.

mod error;
mod grid;
mod params;
mod progress;
mod pruner;
mod random;
mod results;
mod sampler;
mod space;
mod trial;
mod tuner;

pub use error::SearchError;
pub use grid::GridSearch;
pub use params::{Params, Value};
pub use pruner::{Bracket, Pruner, Rung};
pub use random::RandomSearch;
pub use results::{SearchResults, TrialResult, TrialStatus};
pub use sampler::Sampler;
pub use space::{Dimension, SearchSpace};
pub use trial::{Trial, TrialCallback, TrialMemory};
pub use tuner::Tuner;
