//! The search loop: trials on every core, pruned rung by rung.

use std::boxed::Box;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};
use std::vec::Vec;

use super::error::SearchError;
use super::params::Params;
use super::progress::SearchProgress;
use super::pruner::{Bracket, Pruner};
use super::results::{SearchResults, TrialResult, TrialStatus};
use super::sampler::{Sampler, stream};
use super::trial::{Trial, TrialMemory};
use crate::data::Split;
use crate::train::callbacks::{History, MonitorMode};

/// A hyperparameter search (Keras Tuner's `Tuner`, Optuna's `Study`): the configurations
/// of a [`Sampler`], trained as a [`Pruner`] says, by a closure, on `threads` workers.
///
/// ```
/// use staticnet_core::search::{Pruner, RandomSearch, SearchSpace, Tuner};
/// use staticnet_core::train::callbacks::{History, MonitorMode};
///
/// let space = SearchSpace::new().log_float("lr", 1e-4, 1.0);
/// let results = Tuner::new(RandomSearch::new(space, 7), Pruner::hyperband(9, 3))
///     .objective("val_loss", MonitorMode::Min)
///     .threads(2)
///     .verbose(0)
///     .run(|trial| {
///         // A stand-in for training: the loss falls with the epochs, fastest at lr 0.01.
///         let lr = trial.params().get_f64("lr")?;
///         for epoch in 1..=trial.epochs() {
///             trial.report((lr.log10() + 2.0).powi(2) + 1.0 / epoch as f64);
///         }
///         Ok::<_, staticnet_core::search::SearchError>(History::new())
///     })?;
/// let best = results.best();
/// assert!((best.params.get_f64("lr")?.log10() + 2.0).abs() < 0.5);
/// assert_eq!(results.trials.len(), 9 + 5 + 3); // Hyperband's three brackets
/// # Ok::<(), staticnet_core::search::SearchError>(())
/// ```
///
/// A trial is the closure's call for one configuration and budget: it builds its model,
/// workspace and optimizer (once per call), trains [`Trial::epochs`] epochs from scratch,
/// reports the objective after each epoch ([`Trial::report`], or [`Trial::callback`] in
/// [`fit`](crate::train::fit)) and returns the [`History`] (`History::new()` if it keeps
/// none). With [`Tuner::folds`] it is called once per fold, and the per-epoch values are
/// averaged over the folds.
///
/// Reproducible: a trial's parameters depend on the sampler's seed and its index, its
/// [`Trial::seed`] on the tuner's seed and its index, and pruning decisions on whole
/// rungs with ties to the lower index, so the results (everything but the times) are the
/// same on 1 thread or 64. Workers take runs longest-bracket-first from a shared queue
/// (a lock per finished run, none while training).
pub struct Tuner<S> {
    sampler: S,
    pruner: Pruner,
    objective: &'static str,
    direction: MonitorMode,
    folds: Vec<Split>,
    threads: usize,
    verbose: u8,
    seed: u64,
}

impl<S: Sampler> Tuner<S> {
    /// A search of `sampler`'s configurations, budgets by `pruner`; objective
    /// `val_loss`, all cores, `verbose` 1, seed 0.
    pub fn new(sampler: S, pruner: Pruner) -> Self {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        Tuner {
            sampler,
            pruner,
            objective: "val_loss",
            direction: MonitorMode::Auto,
            folds: Vec::new(),
            threads,
            verbose: 1,
            seed: 0,
        }
    }

    /// The value to rank trials on, as the logs name it (`val_accuracy`), and which way
    /// is better ([`MonitorMode::Auto`] decides from the name, as `EarlyStopping` does).
    pub fn objective(mut self, name: &'static str, direction: MonitorMode) -> Self {
        self.objective = name;
        self.direction = direction;
        self
    }

    /// Cross-validation: every run is repeated on each split (from
    /// [`KFold`](crate::data::KFold)), the closure reading it from [`Trial::fold`].
    pub fn folds(mut self, folds: impl IntoIterator<Item = Split>) -> Self {
        self.folds = folds.into_iter().collect();
        self
    }

    /// Worker threads (default: every core); 0 is taken as 1.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// 0 silent, 1 a progress bar with the best value so far (lines when standard
    /// output is not a terminal), 2 a line per finished run.
    pub fn verbose(mut self, level: u8) -> Self {
        self.verbose = level;
        self
    }

    /// The seed [`Trial::seed`] is derived from.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The brackets this search will run: check the cost before running it.
    pub fn brackets(&self) -> Result<Vec<Bracket>, SearchError> {
        self.sampler.check()?;
        self.pruner.brackets(self.sampler.configurations())
    }

    /// Calls `f` with the trial of `result` as the search ran it last: the same index,
    /// parameters, budget and seed, without folds (so train on all the training data),
    /// its reports ignored. Trials are reproducible, so this is how to get the best
    /// trial's model back and save it: the search itself keeps no models.
    pub fn rerun<R>(&self, result: &TrialResult, f: impl FnOnce(&mut Trial<'_>) -> R) -> R {
        let seed = stream(self.seed, result.index as u64);
        f(&mut Trial::new(result.index, &result.params, result.epochs, None, seed, self.objective))
    }

    /// Runs every trial and returns their results in index order. The first error of a
    /// trial (the lowest index among those that failed before the workers stopped) ends
    /// the search; a trial that panics fails with the panic's message.
    pub fn run<F, E>(&self, objective: F) -> Result<SearchResults, SearchError>
    where
        F: Fn(&mut Trial<'_>) -> Result<History, E> + Sync,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let brackets = self.brackets()?;
        if self.folds.iter().any(|f| f.train.is_empty() || f.test.is_empty()) {
            return Err(SearchError::BadSetting {
                setting: "folds",
                why: "every fold needs training and test samples".into(),
            });
        }
        let direction = self.direction.resolve(self.objective);
        let mut plan = Plan::new(&brackets, &self.sampler);
        let total_runs = brackets.iter().map(|b| b.rungs.iter().map(|r| r.trials).sum::<usize>()).sum();
        let progress = SearchProgress::new(self.verbose, total_runs, self.objective);
        plan.direction = direction;
        let shared = (Mutex::new(plan), Condvar::new());
        std::thread::scope(|scope| {
            for _ in 0..self.threads.min(total_runs) {
                scope.spawn(|| self.worker(&shared, &objective, &progress, total_runs));
            }
        });
        progress.finish();
        let plan = shared.0.into_inner().unwrap_or_else(|e| e.into_inner());
        if let Some((_, error)) = plan.error {
            return Err(error);
        }
        Ok(SearchResults { trials: plan.results, objective: self.objective, direction })
    }

    fn worker<F, E>(&self, shared: &(Mutex<Plan>, Condvar), objective: &F, progress: &SearchProgress, total: usize)
    where
        F: Fn(&mut Trial<'_>) -> Result<History, E> + Sync,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (lock, ready) = shared;
        loop {
            let job = {
                let mut plan = lock.lock().unwrap_or_else(|e| e.into_inner());
                loop {
                    if plan.error.is_some() || plan.finished == total {
                        return;
                    }
                    if let Some(job) = plan.take() {
                        break job;
                    }
                    plan = ready.wait(plan).unwrap_or_else(|e| e.into_inner());
                }
            };
            let started = Instant::now();
            // A panicking trial becomes its error, so that the other workers do not wait
            // for its rung forever.
            let run = || self.run_job(&job, objective, &self.sampler.params(job.trial));
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_or_else(|panic| {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| std::string::String::from(*s))
                    .or_else(|| panic.downcast_ref::<std::string::String>().cloned())
                    .unwrap_or_else(|| "a panic".into());
                Err(SearchError::Trial {
                    trial: job.trial,
                    fold: None,
                    source: std::format!("panicked: {message}").into(),
                })
            });
            let mut plan = lock.lock().unwrap_or_else(|e| e.into_inner());
            match outcome {
                Ok(run) => {
                    let (score, epochs) = (run.score, job.epochs);
                    plan.finish(job, run, started.elapsed());
                    let (done, best) = (plan.finished, plan.best);
                    drop(plan);
                    progress.run_done(done, job.trial, epochs, score, best);
                }
                Err(error) => {
                    if plan.error.as_ref().is_none_or(|(t, _)| job.trial < *t) {
                        plan.error = Some((job.trial, error));
                    }
                    drop(plan);
                }
            }
            ready.notify_all();
        }
    }

    /// One run of a trial: every fold, the values averaged per epoch.
    fn run_job<F, E>(&self, job: &Job, objective: &F, params: &Params) -> Result<Run, SearchError>
    where
        F: Fn(&mut Trial<'_>) -> Result<History, E>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let seed = stream(self.seed, job.trial as u64);
        let folds: Vec<Option<(usize, &Split)>> =
            if self.folds.is_empty() { std::vec![None] } else { self.folds.iter().enumerate().map(Some).collect() };
        let (mut sums, mut histories, mut memory) = (Vec::<f64>::new(), Vec::new(), None);
        for fold in &folds {
            let mut trial = Trial::new(job.trial, params, job.epochs, *fold, seed, self.objective);
            let history = objective(&mut trial).map_err(|e| SearchError::Trial {
                trial: job.trial,
                fold: fold.map(|f| f.0),
                source: e.into(),
            })?;
            if trial.values.is_empty() {
                return Err(SearchError::NoReports { trial: job.trial, objective: self.objective });
            }
            // Epochs every fold reported (a fold that diverged stops them all).
            if sums.is_empty() {
                sums = trial.values;
            } else {
                sums.truncate(trial.values.len());
                sums.iter_mut().zip(&trial.values).for_each(|(s, v)| *s += v);
            }
            histories.push(history);
            memory = memory.or(trial.memory);
        }
        let values: Vec<f64> = sums.iter().map(|s| s / folds.len() as f64).collect();
        let direction = self.direction.resolve(self.objective);
        let score = values
            .iter()
            .copied()
            .fold(f64::NAN, |best, v| if SearchResults::ranks_before(direction, v, best) { v } else { best });
        Ok(Run { score, values, memory, histories })
    }
}

/// A run to do: trial `trial` of bracket `bracket`, rung `rung`, for `epochs` epochs.
#[derive(Clone, Copy, Debug)]
struct Job {
    trial: usize,
    bracket: usize,
    rung: usize,
    epochs: usize,
}

/// What a run gave.
struct Run {
    score: f64,
    values: Vec<f64>,
    memory: Option<TrialMemory>,
    histories: Vec<History>,
}

/// The state the workers share: runs ready to go, each bracket's current rung, the
/// results so far.
struct Plan {
    brackets: Vec<Bracket>,
    /// Per bracket: the scores of the current rung's finished runs, and how many are left.
    rung_scores: Vec<Vec<(usize, f64)>>,
    pending: Vec<usize>,
    /// Runs whose rung has started and that no worker has taken.
    ready: Vec<Job>,
    results: Vec<TrialResult>,
    finished: usize,
    best: (usize, usize, f64),
    error: Option<(usize, SearchError)>,
    direction: MonitorMode,
}

impl Plan {
    fn new<S: Sampler>(brackets: &[Bracket], sampler: &S) -> Self {
        let mut ready = Vec::new();
        let mut first = 0;
        let mut results = Vec::new();
        for (b, bracket) in brackets.iter().enumerate() {
            let rung = bracket.rungs[0];
            for trial in first..first + rung.trials {
                ready.push(Job { trial, bracket: b, rung: 0, epochs: rung.epochs });
                results.push(TrialResult {
                    index: trial,
                    bracket: b,
                    params: sampler.params(trial),
                    score: f64::NAN,
                    values: Vec::new(),
                    epochs: 0,
                    status: TrialStatus::Complete,
                    memory: None,
                    histories: Vec::new(),
                    time: Duration::ZERO,
                });
            }
            first += rung.trials;
        }
        Plan {
            rung_scores: brackets.iter().map(|_| Vec::new()).collect(),
            pending: brackets.iter().map(|b| b.rungs[0].trials).collect(),
            brackets: brackets.to_vec(),
            ready,
            results,
            finished: 0,
            best: (0, 0, f64::NAN),
            error: None,
            direction: MonitorMode::Min,
        }
    }

    /// The ready run whose bracket has the most epochs left to train (its critical
    /// path), the lower trial index on ties.
    fn take(&mut self) -> Option<Job> {
        let left = |j: &Job| self.brackets[j.bracket].rungs[j.rung..].iter().map(|r| r.epochs).sum::<usize>();
        let pick = (0..self.ready.len()).min_by_key(|&i| (usize::MAX - left(&self.ready[i]), self.ready[i].trial))?;
        Some(self.ready.swap_remove(pick))
    }

    /// Records a finished run; when it completes its rung, promotes the rung's best.
    fn finish(&mut self, job: Job, run: Run, time: Duration) {
        self.finished += 1;
        let direction = self.direction;
        // The best so far (for the display): the longest budget, then the score.
        let (longer, same) = (job.epochs > self.best.1, job.epochs == self.best.1);
        let better = same && SearchResults::ranks_before(direction, run.score, self.best.2);
        if !run.score.is_nan() && (longer || better || self.best.2.is_nan()) {
            self.best = (job.trial, job.epochs, run.score);
        }
        let r = &mut self.results[job.trial];
        (r.score, r.values, r.epochs, r.memory, r.histories) =
            (run.score, run.values, job.epochs, run.memory, run.histories);
        r.time += time;
        let b = job.bracket;
        self.rung_scores[b].push((job.trial, run.score));
        self.pending[b] -= 1;
        if self.pending[b] > 0 {
            return;
        }
        let mut scores = core::mem::take(&mut self.rung_scores[b]);
        scores.sort_by(|x, y| {
            if SearchResults::ranks_before(direction, x.1, y.1) {
                core::cmp::Ordering::Less
            } else if SearchResults::ranks_before(direction, y.1, x.1) {
                core::cmp::Ordering::Greater
            } else {
                x.0.cmp(&y.0)
            }
        });
        let Some(next) = self.brackets[b].rungs.get(job.rung + 1).copied() else { return };
        for &(trial, _) in &scores[next.trials.min(scores.len())..] {
            self.results[trial].status = TrialStatus::Pruned { epochs: job.epochs };
        }
        for &(trial, _) in &scores[..next.trials.min(scores.len())] {
            self.ready.push(Job { trial, bracket: b, rung: job.rung + 1, epochs: next.epochs });
        }
        self.pending[b] = next.trials.min(scores.len());
    }
}
