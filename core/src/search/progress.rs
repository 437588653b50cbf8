//! What a search shows while it runs: trials done and the best so far.

use std::io::{IsTerminal, Write};
use std::string::String;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Nothing (`verbose` 0), or a bar over the search's runs with the best value so far
/// (1; when standard output is not a terminal, a line at every tenth of the runs), or
/// one line per finished run (2).
/// Shared by the workers: a call per finished run, never inside a training step.
pub(super) struct SearchProgress {
    verbose: u8,
    total: usize,
    objective: &'static str,
    bar: Option<ProgressBar>,
    /// Without a terminal at `verbose` 1: the tenths of the runs already printed.
    tenths: Option<Mutex<usize>>,
}

impl SearchProgress {
    pub(super) fn new(verbose: u8, total: usize, objective: &'static str) -> Self {
        let terminal = std::io::stdout().is_terminal();
        let tenths = (verbose == 1 && !terminal).then(|| Mutex::new(0));
        let verbose = if tenths.is_some() { 2 } else { verbose.min(2) };
        let bar = (verbose == 1).then(|| {
            let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stdout());
            let style = ProgressStyle::with_template("search [{bar:30}] {pos}/{len} runs, {elapsed} {msg}")
                .map(|s| s.progress_chars("=> "))
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        SearchProgress { verbose, total, objective, bar, tenths }
    }

    /// Run `done` of `total` finished: trial `trial` after `epochs` epochs scored `score`;
    /// `best` is the best (trial, epochs, score) so far.
    pub(super) fn run_done(&self, done: usize, trial: usize, epochs: usize, score: f64, best: (usize, usize, f64)) {
        let best = std::format!("best {} {:.4} (trial {}, {} epochs)", self.objective, best.2, best.0, best.1);
        match (&self.bar, self.verbose) {
            (Some(bar), _) => {
                bar.set_position(done as u64);
                bar.set_message(best);
            }
            (None, 2) => {
                if let Some(tenths) = &self.tenths {
                    let mut printed = tenths.lock().unwrap_or_else(|e| e.into_inner());
                    if done * 10 / self.total <= *printed {
                        return;
                    }
                    *printed = done * 10 / self.total;
                }
                let line: String = std::format!(
                    "run {done}/{}: trial {trial}, {epochs} epochs, {} {score:.4}; {best}",
                    self.total,
                    self.objective
                );
                let _ = writeln!(std::io::stdout(), "{line}");
            }
            _ => {}
        }
    }

    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
