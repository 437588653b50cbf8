//! Saving the model after epochs.

use std::path::PathBuf;
use std::string::{String, ToString};

use super::control::{Callback, Control};
use super::error::CallbackError;
use super::logs::Logs;
use super::monitor::MonitorMode;
use crate::layer::Layer;

/// Keras's `ModelCheckpoint`: saves the model file ([`Model::save`](crate::Model::save):
/// parameters and state, atomically) after every epoch, or only after epochs that improve
/// `monitor` (`save_best_only`).
///
/// The path may hold `{epoch}` or `{epoch:0Nd}` (`model-{epoch:03d}.safetensors`), replaced
/// by the epoch counted from 1, as Keras does. Keras's defaults: `monitor = "val_loss"`,
/// mode [`MonitorMode::Auto`], `save_best_only = false`, saved every epoch. What it saves
/// is Keras's `save_weights_only = True`: the model file (loadable by PyTorch); a
/// checkpoint that resumes training with the optimizer's state is
/// [`Checkpoint`](crate::train::Checkpoint). Keras's `initial_value_threshold` is
/// [`ModelCheckpoint::initial_value_threshold`].
pub struct ModelCheckpoint {
    /// The file-name pattern.
    pub filepath: String,
    /// The value that decides "best".
    pub monitor: &'static str,
    /// Whether lower or higher is better.
    pub mode: MonitorMode,
    /// Saves only when `monitor` improves.
    pub save_best_only: bool,
    best: Option<f64>,
    last: Option<PathBuf>,
}

impl ModelCheckpoint {
    /// Saves to `filepath` after every epoch.
    pub fn new(filepath: impl Into<String>) -> Self {
        ModelCheckpoint {
            filepath: filepath.into(),
            monitor: "val_loss",
            mode: MonitorMode::Auto,
            save_best_only: false,
            best: None,
            last: None,
        }
    }

    /// Watches `monitor` for `save_best_only`.
    pub fn monitor(mut self, monitor: &'static str) -> Self {
        self.monitor = monitor;
        self
    }

    /// Sets the mode.
    pub fn mode(mut self, mode: MonitorMode) -> Self {
        self.mode = mode;
        self
    }

    /// Saves only epochs that improve `monitor`.
    pub fn save_best_only(mut self, best_only: bool) -> Self {
        self.save_best_only = best_only;
        self
    }

    /// With `save_best_only`, a value the first save must beat.
    pub fn initial_value_threshold(mut self, threshold: f64) -> Self {
        self.best = Some(threshold);
        self
    }

    /// The file saved last, if any.
    pub fn last_saved(&self) -> Option<&std::path::Path> {
        self.last.as_deref()
    }

    /// The path for `epoch` (from 0): `{epoch}` and `{epoch:0Nd}` become `epoch + 1`.
    pub fn path_for(&self, epoch: usize) -> PathBuf {
        let (mut out, mut rest) = (String::new(), self.filepath.as_str());
        while let Some(start) = rest.find("{epoch") {
            out.push_str(&rest[..start]);
            let after = &rest[start + "{epoch".len()..];
            let Some(end) = after.find('}') else { break };
            let spec = &after[..end];
            let width = spec.strip_prefix(":0").and_then(|s| s.strip_suffix('d')).and_then(|w| w.parse().ok());
            match (spec, width) {
                ("", _) => out.push_str(&(epoch + 1).to_string()),
                (_, Some(width)) => out.push_str(&std::format!("{:0width$}", epoch + 1)),
                _ => out.push_str(&rest[start..start + "{epoch".len() + end + 1]),
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        PathBuf::from(out)
    }
}

impl<N: Layer> Callback<N> for ModelCheckpoint {
    fn on_epoch_end(&mut self, epoch: usize, logs: &mut Logs, run: &mut Control<'_, N>) -> Result<(), CallbackError> {
        if self.save_best_only {
            let value = logs
                .get(self.monitor)
                .ok_or(CallbackError::MissingLog { callback: "ModelCheckpoint", name: self.monitor })?;
            let mode = self.mode.resolve(self.monitor);
            if !self.best.is_none_or(|best| mode.better(value, best, 0.0)) {
                return Ok(());
            }
            self.best = Some(value);
        }
        let path = self.path_for(epoch);
        run.model.save(&path).map_err(CallbackError::Model)?;
        self.last = Some(path);
        Ok(())
    }
}
