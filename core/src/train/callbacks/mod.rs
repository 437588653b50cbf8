//! Callbacks: code a training loop calls at Keras's hooks (train begin and end, epoch
//! begin and end with the epoch's [`Logs`], batch begin and end), which can stop the run
//! and change the learning rate.
//!
//! The trait and the callbacks that need no operating system ([`EarlyStopping`],
//! [`TerminateOnNaN`], [`ReduceLROnPlateau`], [`LearningRateScheduler`],
//! [`LambdaCallback`]) work without `std` (early stopping's `restore_best_weights` and
//! the closure callback need `alloc`); [`History`], [`CsvLogger`] and [`ModelCheckpoint`]
//! write files or read the clock and need `std`; with the feature `plot`, a [`History`]
//! draws its learning curves as SVG (`History::plot_svg`, `History::save_plot`).
//!
//! A callback reaches the model and the optimizer through the [`Control`] each hook
//! receives, so one callback type serves every loop that drives the hooks.

mod control;
#[cfg(feature = "std")]
mod csv_logger;
mod early_stopping;
mod error;
#[cfg(feature = "std")]
mod history;
#[cfg(feature = "alloc")]
mod lambda;
#[cfg(feature = "plot")]
mod learning_curves;
mod learning_rate;
mod logs;
#[cfg(feature = "std")]
mod model_checkpoint;
mod monitor;
mod terminate_on_nan;

pub use control::{Callback, Control};
#[cfg(feature = "std")]
pub use csv_logger::CsvLogger;
pub use early_stopping::EarlyStopping;
pub use error::CallbackError;
#[cfg(feature = "std")]
pub use history::History;
#[cfg(feature = "alloc")]
pub use lambda::LambdaCallback;
#[cfg(feature = "plot")]
pub use learning_curves::register_plot_font;
pub use learning_rate::{LearningRateScheduler, ReduceLROnPlateau};
pub use logs::{Key, LOGS_CAPACITY, Logs, LogsFull};
#[cfg(feature = "std")]
pub use model_checkpoint::ModelCheckpoint;
pub use monitor::MonitorMode;
pub use terminate_on_nan::TerminateOnNaN;
