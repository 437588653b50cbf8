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
    /// Where the per-epoch lines go (standard output).
    out: std::boxed::Box<dyn Write>,
}

impl Progress {
    /// Progress of a run to epoch `epochs` (shown as `Epoch e/epochs`), `steps` steps each.
    pub(super) fn new(verbose: u8, epochs: usize, steps: usize) -> Self {
        let terminal = std::io::stdout().is_terminal();
        Self::with_output(verbose, epochs, steps, std::boxed::Box::new(std::io::stdout()), terminal)
    }

    /// Progress written to `out`, which is a terminal (the bar is drawn on standard
    /// output) or not (verbose 1 becomes 2: plain lines).
    fn with_output(verbose: u8, epochs: usize, steps: usize, out: std::boxed::Box<dyn Write>, terminal: bool) -> Self {
        let verbose = match verbose {
            1 if !terminal => 2,
            v => v.min(2),
        };
        let now = Instant::now();
        Progress { history: History::new(), verbose, epochs, steps, bar: None, message_at: now, epoch_start: now, out }
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
        let _ = writeln!(self.out, "{line}");
        Callback::<N>::on_epoch_end(&mut self.history, epoch, logs, run)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::Dense;
    use crate::model::Model;
    use crate::optim::Sgd;
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::vec::Vec;

    /// A writer whose bytes the test reads afterwards.
    #[derive(Clone, Default)]
    struct Shared(Rc<RefCell<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Drives `progress` through 3 epochs of 4 batches, as `fit` does; returns the output.
    fn drive(verbose: u8) -> (String, usize) {
        let out = Shared::default();
        let mut progress = Progress::with_output(verbose, 3, 4, std::boxed::Box::new(out.clone()), false);
        let (mut model, mut sgd) = (Model::<Dense<1, 1>>::new(0), Sgd::new(0.1));
        let mut run = Control::new(&mut model, &mut sgd);
        let p: &mut dyn Callback<Dense<1, 1>> = &mut progress;
        p.on_train_begin(&mut run).unwrap();
        for epoch in 0..3 {
            p.on_epoch_begin(epoch, &mut run).unwrap();
            let mut logs = Logs::new();
            for batch in 0..4 {
                logs.set("loss", 1.0 / (batch + 1) as f64).unwrap();
                p.on_train_batch_end(batch, &logs, &mut run).unwrap();
            }
            logs.set_validation("loss", 0.5).unwrap();
            p.on_epoch_end(epoch, &mut logs, &mut run).unwrap();
        }
        p.on_train_end(&Logs::new(), &mut run).unwrap();
        let epochs = progress.into_history().len();
        let text = String::from_utf8(out.0.borrow().clone()).unwrap();
        (text, epochs)
    }

    #[test]
    fn a_non_terminal_gets_one_plain_line_per_epoch_at_verbose_1_and_2_and_nothing_at_0() {
        for verbose in [1, 2] {
            let (text, epochs) = drive(verbose);
            assert_eq!(epochs, 3);
            assert!(!text.contains('\x1b') && !text.contains('\r'), "no escape codes: {text:?}");
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), 3, "one line per epoch: {text:?}");
            for (epoch, line) in lines.iter().enumerate() {
                let head = std::format!("Epoch {}/3 - ", epoch + 1);
                assert!(line.starts_with(&head) && line.ends_with(" s - loss: 0.2500 - val_loss: 0.5000"), "{line}");
            }
        }
        let (text, epochs) = drive(0);
        assert_eq!((text.as_str(), epochs), ("", 3), "silent, and the history recorded");
    }
}
