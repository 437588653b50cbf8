//! What [`Fit::run`](super::Fit::run) shows while it trains, Keras's `verbose`, and the
//! [`History`] it returns.

use std::io::{IsTerminal, Write};
use std::string::String;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::callbacks::{Callback, CallbackError, Control, History, Logs};
use crate::layer::Layer;

/// The running values on the bar are rewritten at most this often, so that formatting
/// them costs nothing measurable per step (the bar itself redraws at most 20 times a second).
const MESSAGE_INTERVAL: Duration = Duration::from_millis(100);

/// Records the [`History`] and shows progress: nothing (`verbose` 0), a bar per epoch
/// with the step count, steps per second, the time left and the running loss and metrics
/// (1), or one line per epoch (2, and 1 when standard output is not a terminal, so that
/// logs hold no escape codes).
pub(super) struct Progress {
    history: History,
    verbose: u8,
    epochs: usize,
    steps: usize,
    bar: Option<ProgressBar>,
    message_at: Instant,
    epoch_start: Instant,
}

impl Progress {
    /// Progress of a run to epoch `epochs` (shown as `Epoch e/epochs`), `steps` steps each.
    pub(super) fn new(verbose: u8, epochs: usize, steps: usize) -> Self {
        let verbose = match verbose {
            1 if !std::io::stdout().is_terminal() => 2,
            v => v.min(2),
        };
        let now = Instant::now();
        Progress { history: History::new(), verbose, epochs, steps, bar: None, message_at: now, epoch_start: now }
    }

    /// The history recorded.
    pub(super) fn into_history(self) -> History {
        self.history
    }
}

/// `loss: 0.1234 - accuracy: 0.9600 - ...`, Keras's format.
fn format_logs(logs: &Logs) -> String {
    let mut line = String::new();
    for (i, (key, value)) in logs.iter().enumerate() {
        if i > 0 {
            line.push_str(" - ");
        }
        let _ = std::fmt::Write::write_fmt(&mut line, format_args!("{key}: {value:.4}"));
    }
    line
}

impl<N: Layer> Callback<N> for Progress {
    fn on_train_begin(&mut self, run: &mut Control<'_, N>) -> Result<(), CallbackError> {
        Callback::<N>::on_train_begin(&mut self.history, run)
    }

    fn on_epoch_begin(&mut self, epoch: usize, run: &mut Control<'_, N>) -> Result<(), CallbackError> {
        self.epoch_start = Instant::now();
        if self.verbose == 1 {
            let bar = ProgressBar::with_draw_target(Some(self.steps as u64), ProgressDrawTarget::stdout());
            let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {per_sec} ETA {eta} {msg}")
                .map(|s| s.progress_chars("=> "))
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_prefix(std::format!("Epoch {}/{}", epoch + 1, self.epochs));
            self.bar = Some(bar);
        }
        Callback::<N>::on_epoch_begin(&mut self.history, epoch, run)
    }

    fn on_train_batch_end(&mut self, batch: usize, logs: &Logs, _: &mut Control<'_, N>) -> Result<(), CallbackError> {
        if let Some(bar) = &self.bar {
            bar.set_position(batch as u64 + 1);
            if self.message_at.elapsed() >= MESSAGE_INTERVAL {
                self.message_at = Instant::now();
                bar.set_message(format_logs(logs));
            }
        }
        Ok(())
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &mut Logs, run: &mut Control<'_, N>) -> Result<(), CallbackError> {
        let line = std::format!(
            "Epoch {}/{} - {:.2} s - {}",
            epoch + 1,
            self.epochs,
            self.epoch_start.elapsed().as_secs_f64(),
            format_logs(logs)
        );
        match (self.bar.take(), self.verbose) {
            (Some(bar), _) => bar.finish_and_clear(),
            (None, 2) => {}
            _ => return Callback::<N>::on_epoch_end(&mut self.history, epoch, logs, run),
        }
        let _ = writeln!(std::io::stdout(), "{line}");
        Callback::<N>::on_epoch_end(&mut self.history, epoch, logs, run)
    }
}
