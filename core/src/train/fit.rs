//! Keras's `model.fit`: epochs of mini-batch training over a [`BatchSource`], with
//! validation, metrics and callbacks.
//!
//! ```text
//! let history = fit(&mut model, &mut ws, &mut adam, &CrossEntropyLoss)
//!     .epochs(30)
//!     .validation_data(&mut val)
//!     .metrics(&mut [&mut Accuracy::new()])
//!     .callbacks(&mut [&mut EarlyStopping::new("val_loss").patience(3)])
//!     .run(&mut train)?;
//! ```
//!
//! [`Fit::run`] (with `std`) allocates the batch buffers once per call and returns the
//! [`History`](super::callbacks::History); [`Fit::run_in`] takes buffers from the caller
//! and allocates nothing, for firmware. Either way a training step allocates nothing.

use core::fmt;

use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::callbacks::{Callback, CallbackError, Control, Logs, LogsFull};
use super::metrics::Metric;
use super::training_workspace::TrainingWorkspace;
use crate::batches::BatchSource;
use crate::error::Error;
use crate::flat::{Zeroable, reshape};
use crate::inference::InferenceWorkspace;
use crate::layer::Layer;
use crate::loss::LossFor;
use crate::model::Model;
use crate::optim::Optimizer;
#[cfg(feature = "std")]
use crate::parallel::ParallelWorkspace;
use crate::workspace::Workspace;

/// Buffers for one batch of `B` samples of `IN` values with targets `T`, filled from a
/// [`BatchSource`]: `B · (4 · IN + size_of::<T>())` bytes.
pub struct BatchBuffers<const IN: usize, T, const B: usize> {
    /// The samples.
    pub inputs: [[f32; IN]; B],
    /// Their targets.
    pub targets: [T; B],
}

impl<const IN: usize, T: Copy + Default, const B: usize> Default for BatchBuffers<IN, T, B> {
    fn default() -> Self {
        BatchBuffers { inputs: [[0.0; IN]; B], targets: [T::default(); B] }
    }
}

// SAFETY: two arrays of `Zeroable` values, for which all-zero bytes are valid.
unsafe impl<const IN: usize, T: Zeroable, const B: usize> Zeroable for BatchBuffers<IN, T, B> {}

/// What stopped [`Fit::run`]. Its `Display` is one line.
#[derive(Debug)]
#[non_exhaustive]
pub enum FitError {
    /// A training step or the validation failed (a NaN, a label out of range, ...); the
    /// model holds the parameters from before the failing batch.
    Step {
        /// The epoch, from 0.
        epoch: usize,
        /// The batch of the epoch, from 0 (for validation, the validation batch).
        batch: usize,
        /// Whether it was a validation batch.
        validation: bool,
        /// What went wrong.
        error: Error,
    },
    /// A callback failed.
    Callback(CallbackError),
    /// The training or the validation source has no samples.
    Empty {
        /// Whether it is the validation source.
        validation: bool,
    },
    /// `batch_size` is 0 or more than the workspace holds.
    BatchSize {
        /// The batch size asked for.
        asked: usize,
        /// The workspace's capacity.
        capacity: usize,
    },
    /// A sample of the training or validation data is bad (a NaN, a class out of
    /// range): found by the check of every sample before the first step, so nothing
    /// trained. Its row is the sample's position in the source's order (with
    /// `validation_split`, in the training source's, for both parts).
    Data {
        /// Whether it is the validation data.
        validation: bool,
        /// What is wrong, with the sample's position as its row.
        error: Error,
    },
    /// Validation without `std` needs an inference workspace from the caller.
    NoValidationWorkspace,
    /// `validation_split` is not in (0, 1), or leaves no training or no validation
    /// sample.
    ValidationSplit {
        /// The fraction asked for.
        fraction: f64,
        /// The training source's samples.
        samples: usize,
    },
    /// Both `validation_split` and `validation_data` were given, or `validation_split`
    /// with [`Fit::run_in`] (it needs `std`: without, pass the split as validation data).
    ValidationSplitWith {
        /// What it was given with: `"validation_data"` or `"run_in"`.
        with: &'static str,
    },
    /// The operating system refused the worker threads [`Fit::threads`] asked for.
    Threads {
        /// Threads asked for.
        threads: usize,
    },
    /// [`Fit::threads`] asked for several threads with a fused workspace, which trains on
    /// one.
    FusedThreads {
        /// Threads asked for.
        threads: usize,
    },
}

impl fmt::Display for FitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FitError::Step { epoch, batch, validation, error } => {
                let what = if *validation { "validation batch" } else { "batch" };
                write!(f, "epoch {}, {what} {}: {error}", epoch + 1, batch + 1)
            }
            FitError::Callback(e) => e.fmt(f),
            FitError::Empty { validation } => {
                write!(f, "the {} data have no samples", if *validation { "validation" } else { "training" })
            }
            FitError::BatchSize { asked, capacity } => {
                write!(f, "batch_size {asked}: it must be from 1 to the workspace's capacity, {capacity}")
            }
            FitError::Data { validation, error } => {
                write!(f, "{} data: {error}", if *validation { "validation" } else { "training" })
            }
            FitError::NoValidationWorkspace => {
                write!(f, "validation without std needs an InferenceWorkspace: pass one with `validation_workspace`")
            }
            FitError::ValidationSplit { fraction, samples } => write!(
                f,
                "validation_split {fraction} of {samples} samples: it must be between 0 and 1 (exclusive) and leave at least one training and one validation sample"
            ),
            FitError::ValidationSplitWith { with } => {
                write!(f, "validation_split cannot be used with {with}: pass the validation samples as validation_data")
            }
            FitError::Threads { threads } => write!(f, "could not start {threads} training threads"),
            FitError::FusedThreads { threads } => write!(
                f,
                "threads({threads}) with a FusedWorkspace: a fused step updates each layer as backward reaches it, on one thread; train with a Workspace to split batches over threads"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for FitError {}

impl From<CallbackError> for FitError {
    fn from(e: CallbackError) -> Self {
        FitError::Callback(e)
    }
}

impl From<LogsFull> for FitError {
    fn from(e: LogsFull) -> Self {
        FitError::Callback(CallbackError::Logs(e))
    }
}

/// A training run being set up: [`fit`] starts one, the methods set Keras's arguments,
/// [`Fit::run`] or [`Fit::run_in`] trains.
pub struct Fit<'a, N: Layer, O, L, V, const B: usize, const OUT: usize, T, Ws = Workspace<N, B>> {
    model: &'a mut Model<N>,
    ws: &'a mut Ws,
    optimizer: &'a mut O,
    loss: &'a L,
    validation: Option<&'a mut V>,
    validation_ws: Option<&'a mut InferenceWorkspace<N, B>>,
    metrics: &'a mut [&'a mut dyn Metric<[f32; OUT], T>],
    callbacks: &'a mut [&'a mut dyn Callback<N>],
    epochs: usize,
    initial_epoch: usize,
    batch_size: usize,
    shuffle: bool,
    seed: u64,
    validation_freq: usize,
    validation_split: Option<f64>,
    verbose: u8,
    /// Threads [`Fit::run`] trains on; 0 for [`default_threads`](crate::parallel::default_threads).
    threads: usize,
    /// The parallel workspace [`Fit::run`] trains in when it uses more than one thread.
    #[cfg(feature = "std")]
    parallel: Option<std::boxed::Box<ParallelWorkspace<N, B>>>,
}

/// Keras's `model.fit`: trains `model` with `optimizer` on `loss`, in batches of up to `B`
/// rows in `ws`, a [`Workspace`] or a [`FusedWorkspace`](crate::FusedWorkspace) (fused
/// steps, with an elementwise optimizer). Set the run up with the returned [`Fit`]'s
/// methods, then call [`Fit::run`].
///
/// Defaults as Keras's: 1 epoch, shuffled every epoch, validation (when given) after every
/// epoch, `verbose` 1; the batch size defaults to the workspace's capacity `B` (Keras's 32).
/// The loss and the targets are `Sync` (every built-in one is), so that [`Fit::run`] can
/// split batches over threads ([`Fit::threads`]).
pub fn fit<'a, N, O, L, T, Ws, const B: usize, const OUT: usize>(
    model: &'a mut Model<N>,
    ws: &'a mut Ws,
    optimizer: &'a mut O,
    loss: &'a L,
) -> Fit<'a, N, O, L, NoValidation<T>, B, OUT, T, Ws>
where
    N: Layer<Output = [f32; OUT]>,
    O: Optimizer<N>,
    L: LossFor<[f32; OUT], T> + Sync,
    T: Sync,
    Ws: TrainingWorkspace<N, O, B>,
{
    Fit {
        model,
        ws,
        optimizer,
        loss,
        validation: None,
        validation_ws: None,
        metrics: &mut [],
        callbacks: &mut [],
        epochs: 1,
        initial_epoch: 0,
        batch_size: B,
        shuffle: true,
        seed: 0,
        validation_freq: 1,
        validation_split: None,
        verbose: 1,
        threads: 0,
        #[cfg(feature = "std")]
        parallel: None,
    }
}

/// The validation source of a run without validation data: it has no samples.
pub struct NoValidation<T>(core::marker::PhantomData<T>);

impl<const IN: usize, T> BatchSource<IN> for NoValidation<T> {
    type Target = T;
    fn len(&self) -> usize {
        0
    }
    fn fill(&self, _: usize, _: &mut [[f32; IN]], _: &mut [T]) -> usize {
        0
    }
    fn shuffle(&mut self, _: &mut dyn rand::RngCore) {}
}

impl<'a, N, O, L, V, T, Ws, const B: usize, const OUT: usize> Fit<'a, N, O, L, V, B, OUT, T, Ws>
where
    N: Layer<Output = [f32; OUT]>,
    O: Optimizer<N>,
    L: LossFor<[f32; OUT], T> + Sync,
    T: Sync,
    Ws: TrainingWorkspace<N, O, B>,
{
    /// Trains until epoch `epochs` (Keras's `epochs`: with `initial_epoch`, the index to
    /// stop at, not a count).
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }

    /// The epoch to start at, for a resumed run (Keras's `initial_epoch`). With
    /// `shuffle`, the earlier epochs' shuffles are replayed first, so that a training
    /// source in its original order (reloaded, or split by `validation_split`) is
    /// visited as the uninterrupted run visited it; together with a
    /// [`Checkpoint`](super::Checkpoint) of the model, the optimizer and the stateful
    /// callbacks, the resumed run then trains as the uninterrupted one. Callbacks keep
    /// their state at the start of a resumed run (see
    /// [`Control::initial_epoch`](super::callbacks::Control::initial_epoch)); Keras resets it.
    pub fn initial_epoch(mut self, epoch: usize) -> Self {
        self.initial_epoch = epoch;
        self
    }

    /// Rows per step, from 1 to the workspace's capacity `B` (Keras's `batch_size`).
    pub fn batch_size(mut self, rows: usize) -> Self {
        self.batch_size = rows;
        self
    }

    /// Whether to reorder the training samples before every epoch (Keras's `shuffle`).
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }

    /// The seed of the shuffling (Keras takes it from the global seed).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Evaluate on the validation data every `epochs` epochs (Keras's `validation_freq`);
    /// 0 is taken as 1.
    pub fn validation_freq(mut self, epochs: usize) -> Self {
        self.validation_freq = epochs.max(1);
        self
    }

    /// Keras's `verbose`: 0 silent, 1 a progress bar per epoch (one line per epoch when
    /// standard output is not a terminal), 2 one line per epoch. Without `std`, silent.
    pub fn verbose(mut self, level: u8) -> Self {
        self.verbose = level;
        self
    }

    /// The metrics to report on training and validation data (`accuracy`,
    /// `val_accuracy`, ...).
    pub fn metrics(mut self, metrics: &'a mut [&'a mut dyn Metric<[f32; OUT], T>]) -> Self {
        self.metrics = metrics;
        self
    }

    /// The callbacks, called in this order at every hook.
    pub fn callbacks(mut self, callbacks: &'a mut [&'a mut dyn Callback<N>]) -> Self {
        self.callbacks = callbacks;
        self
    }

    /// Data to evaluate on, in evaluation mode, after the epochs `validation_freq` says
    /// (Keras's `validation_data`). Its loss has no weight penalties (Keras adds them).
    pub fn validation_data<W>(self, data: &'a mut W) -> Fit<'a, N, O, L, W, B, OUT, T, Ws> {
        Fit {
            model: self.model,
            ws: self.ws,
            optimizer: self.optimizer,
            loss: self.loss,
            validation: Some(data),
            validation_ws: self.validation_ws,
            metrics: self.metrics,
            callbacks: self.callbacks,
            epochs: self.epochs,
            initial_epoch: self.initial_epoch,
            batch_size: self.batch_size,
            shuffle: self.shuffle,
            seed: self.seed,
            validation_freq: self.validation_freq,
            validation_split: self.validation_split,
            verbose: self.verbose,
            threads: self.threads,
            #[cfg(feature = "std")]
            parallel: self.parallel,
        }
    }

    /// Keras's `validation_split` (with `std`, in [`Fit::run`]): the LAST `fraction` of the
    /// training source's samples, in its order at the call and before any shuffling,
    /// become the validation data; the first `floor(len · (1 − fraction))` train, shuffled
    /// among themselves every epoch (the source itself is not reordered). Shuffle the
    /// source first if its order is sorted (by class, by date). A fraction outside (0, 1),
    /// a split leaving either side empty, or a split together with `validation_data` is
    /// [`FitError::ValidationSplit`] / [`FitError::ValidationSplitWith`] (Keras lets
    /// `validation_data` win silently).
    pub fn validation_split(mut self, fraction: f64) -> Self {
        self.validation_split = Some(fraction);
        self
    }

    /// The forward-only workspace validation runs in. With `std`, [`Fit::run`] allocates
    /// one when none is given; [`Fit::run_in`] needs one to validate.
    pub fn validation_workspace(mut self, ws: &'a mut InferenceWorkspace<N, B>) -> Self {
        self.validation_ws = Some(ws);
        self
    }

    /// Trains with the batch buffers given, allocating nothing; returns the last epoch's
    /// logs. `observer` is called after the callbacks at every hook.
    pub fn run_in<S, const IN: usize>(
        mut self,
        train: &mut S,
        buffers: &mut BatchBuffers<IN, T, B>,
        observer: &mut dyn Callback<N>,
    ) -> Result<Logs, FitError>
    where
        S: BatchSource<IN, Target = T>,
        V: BatchSource<IN, Target = T>,
    {
        if self.validation_split.is_some() {
            return Err(FitError::ValidationSplitWith { with: "run_in" });
        }
        let validation_ws = self.validation_ws.take();
        let validation = self.validation.take();
        self.train(train, validation.as_deref(), buffers, validation_ws, observer)
    }

    /// The loop of [`Fit::run_in`], validating on `validation` in `validation_ws`.
    fn train<S, W, const IN: usize>(
        mut self,
        train: &mut S,
        validation: Option<&W>,
        buffers: &mut BatchBuffers<IN, T, B>,
        mut validation_ws: Option<&mut InferenceWorkspace<N, B>>,
        observer: &mut dyn Callback<N>,
    ) -> Result<Logs, FitError>
    where
        S: BatchSource<IN, Target = T>,
        W: BatchSource<IN, Target = T>,
    {
        if self.batch_size == 0 || self.batch_size > B {
            return Err(FitError::BatchSize { asked: self.batch_size, capacity: B });
        }
        if train.is_empty() {
            return Err(FitError::Empty { validation: false });
        }
        if let Some(v) = validation {
            if v.is_empty() {
                return Err(FitError::Empty { validation: true });
            }
            if validation_ws.is_none() {
                return Err(FitError::NoValidationWorkspace);
            }
        }
        self.check_data(&*train, buffers, false)?;
        if let Some(v) = validation {
            self.check_data(v, buffers, true)?;
        }
        let mut rng = SmallRng::seed_from_u64(self.seed);
        if self.shuffle {
            // A resumed run replays the earlier epochs' shuffles, so that a source in its
            // original order gets the orders the uninterrupted run gave it.
            (0..self.initial_epoch).for_each(|_| train.shuffle(&mut rng));
        }
        let mut logs = Logs::new();
        self.hook(observer, |cb, run| cb.on_train_begin(run))?;
        for epoch in self.initial_epoch..self.epochs {
            if self.shuffle {
                train.shuffle(&mut rng);
            }
            self.hook(observer, |cb, run| cb.on_epoch_begin(epoch, run))?;
            let stopped = self.train_epoch(epoch, train, buffers, observer, &mut logs)?;
            if let (Some(data), Some(ws), true) =
                (validation, validation_ws.as_deref_mut(), (epoch + 1) % self.validation_freq == 0)
            {
                self.validate(epoch, data, buffers, ws, &mut logs)?;
            }
            logs.set("lr", f64::from(self.optimizer.learning_rate()))?;
            let epoch_stopped = self.hook(observer, |cb, run| cb.on_epoch_end(epoch, &mut logs, run))?;
            if stopped || epoch_stopped {
                break;
            }
        }
        self.hook(observer, |cb, run| cb.on_train_end(&logs, run))?;
        Ok(logs)
    }

    /// Checks every input and target of `data` (finite, classes in range, values the
    /// loss takes), batch by batch in the source's order, before anything trains.
    fn check_data<D: BatchSource<IN, Target = T>, const IN: usize>(
        &self,
        data: &D,
        buffers: &mut BatchBuffers<IN, T, B>,
        validation: bool,
    ) -> Result<(), FitError> {
        let mut start = 0;
        loop {
            let rows = data.fill(start, &mut buffers.inputs, &mut buffers.targets);
            if rows == 0 {
                return Ok(());
            }
            let checked = crate::finite::check_inputs(&buffers.inputs[..rows])
                .and_then(|()| self.loss.check_targets(L::targets(&buffers.targets[..rows])));
            if let Err(error) = checked {
                return Err(FitError::Data { validation, error: error.offset_rows(start) });
            }
            start += rows;
        }
    }

    /// One epoch over `train`; the epoch's `loss` and metrics go into `logs`. Returns
    /// whether a callback stopped training.
    fn train_epoch<S: BatchSource<IN, Target = T>, const IN: usize>(
        &mut self,
        epoch: usize,
        train: &S,
        buffers: &mut BatchBuffers<IN, T, B>,
        observer: &mut dyn Callback<N>,
        logs: &mut Logs,
    ) -> Result<bool, FitError> {
        self.metrics.iter_mut().for_each(|m| m.reset());
        let (mut loss_sum, mut seen, mut batch) = (0.0f64, 0usize, 0usize);
        let mut batch_logs = Logs::new();
        let mut stopped = false;
        loop {
            let (inputs, targets) = (&mut buffers.inputs[..self.batch_size], &mut buffers.targets[..self.batch_size]);
            let rows = train.fill(seen, inputs, targets);
            if rows == 0 {
                break;
            }
            stopped |= self.hook(observer, |cb, run| cb.on_train_batch_begin(batch, run))?;
            let (inputs, targets) = (&inputs[..rows], &targets[..rows]);
            let loss = self.step(reshape(inputs), targets).map_err(|error| FitError::Step {
                epoch,
                batch,
                validation: false,
                error,
            })?;
            #[cfg(feature = "std")]
            let outputs = match self.parallel.as_ref() {
                Some(parallel) => parallel.outputs(),
                None => self.ws.outputs(),
            };
            #[cfg(not(feature = "std"))]
            let outputs = self.ws.outputs();
            self.metrics.iter_mut().for_each(|m| m.update(outputs, targets));
            loss_sum += f64::from(loss) * rows as f64;
            seen += rows;
            // Keras's batch logs: the epoch's running means so far.
            batch_logs.set("loss", loss_sum / seen as f64)?;
            for m in self.metrics.iter() {
                batch_logs.set(m.name(), m.result())?;
            }
            stopped |= self.hook(observer, |cb, run| cb.on_train_batch_end(batch, &batch_logs, run))?;
            batch += 1;
            if stopped {
                break;
            }
        }
        logs.clear();
        logs.set("loss", loss_sum / seen.max(1) as f64)?;
        for m in self.metrics.iter() {
            logs.set(m.name(), m.result())?;
        }
        Ok(stopped)
    }

    /// One training step, on the parallel workspace if [`Fit::run`] made one.
    fn step(&mut self, inputs: &[N::Input], targets: &[T]) -> Result<f32, Error> {
        #[cfg(feature = "std")]
        if let Some(parallel) = self.parallel.as_mut() {
            return parallel.train_step(self.model, inputs, targets, self.loss, self.optimizer);
        }
        self.ws.train_step(self.model, inputs, targets, self.loss, self.optimizer)
    }

    /// The validation loss and metrics, in evaluation mode through the forward-only path.
    fn validate<W: BatchSource<IN, Target = T>, const IN: usize>(
        &mut self,
        epoch: usize,
        data: &W,
        buffers: &mut BatchBuffers<IN, T, B>,
        ws: &mut InferenceWorkspace<N, B>,
        logs: &mut Logs,
    ) -> Result<(), FitError> {
        self.metrics.iter_mut().for_each(|m| m.reset());
        let (mut loss_sum, mut seen, mut batch) = (0.0f64, 0usize, 0usize);
        loop {
            let rows = data.fill(seen, &mut buffers.inputs, &mut buffers.targets);
            if rows == 0 {
                break;
            }
            let (inputs, targets) = (&buffers.inputs[..rows], &buffers.targets[..rows]);
            let step = |error| FitError::Step { epoch, batch, validation: true, error };
            let outputs = ws.forward(self.model, reshape(inputs)).map_err(step)?;
            let loss = self.loss.loss(outputs, L::targets(targets)).map_err(step)?;
            self.metrics.iter_mut().for_each(|m| m.update(outputs, targets));
            loss_sum += f64::from(loss) * rows as f64;
            seen += rows;
            batch += 1;
        }
        logs.set_validation("loss", loss_sum / seen.max(1) as f64)?;
        for m in self.metrics.iter() {
            logs.set_validation(m.name(), m.result())?;
        }
        Ok(())
    }

    /// Calls `hook` on every callback, then on `observer`; returns whether one asked to
    /// stop.
    fn hook(
        &mut self,
        observer: &mut dyn Callback<N>,
        mut hook: impl FnMut(&mut dyn Callback<N>, &mut Control<'_, N>) -> Result<(), CallbackError>,
    ) -> Result<bool, FitError> {
        let mut run = Control::new(self.model, self.optimizer).starting_at(self.initial_epoch);
        for cb in self.callbacks.iter_mut() {
            hook(&mut **cb, &mut run)?;
        }
        hook(observer, &mut run)?;
        Ok(run.stopped())
    }
}

#[cfg(feature = "std")]
impl<'a, N, O, L, V, T, Ws, const B: usize, const OUT: usize> Fit<'a, N, O, L, V, B, OUT, T, Ws>
where
    N: Layer<Output = [f32; OUT]> + 'a,
    O: Optimizer<N>,
    L: LossFor<[f32; OUT], T> + Sync,
    Ws: TrainingWorkspace<N, O, B>,
    T: Zeroable + Sync,
{
    /// Threads [`Fit::run`] splits each batch over (see
    /// [`ParallelWorkspace`](crate::parallel::ParallelWorkspace)): `1` trains in the
    /// workspace given to [`fit`], on this thread; the default, `0`, picks
    /// [`default_threads`](crate::parallel::default_threads), which is 1 for small networks
    /// and batches. [`Fit::run_in`] and a [`FusedWorkspace`](crate::FusedWorkspace) always
    /// train on one thread (asking a fused one for more is [`FitError::FusedThreads`]). With more than one, batch
    /// norm normalises each shard with its own statistics, the dropout streams are the
    /// parallel workspace's (a checkpoint does not hold them), and the result differs from
    /// one thread's by rounding: use `threads(1)` for runs that must repeat bit for bit on
    /// machines with different numbers of cores.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Trains on `train` and returns the [`History`](super::callbacks::History): every
    /// epoch's loss, metrics, validation values, learning rate and time. Allocates the
    /// batch buffers (and the validation workspace, if none was given) once.
    pub fn run<S, const IN: usize>(mut self, train: &mut S) -> Result<super::callbacks::History, FitError>
    where
        S: BatchSource<IN, Target = T>,
        V: BatchSource<IN, Target = T>,
    {
        use super::validation_split::{Head, Tail, training_samples};
        use crate::flat::boxed_zeroed;
        let mut buffers = boxed_zeroed::<BatchBuffers<IN, T, B>>();
        let validates = self.validation.is_some() || self.validation_split.is_some();
        let mut own_ws = match (validates, &self.validation_ws) {
            (true, None) => Some(InferenceWorkspace::<N, B>::new_boxed()),
            _ => None,
        };
        let validation_ws = self.validation_ws.take().or(own_ws.as_deref_mut());
        let validation = self.validation.take();
        let threads = match (self.threads, Ws::FUSED) {
            (0 | 1, true) => 1,
            (threads, true) => return Err(FitError::FusedThreads { threads }),
            (0, false) => crate::parallel::default_threads::<N, B>(),
            (n, false) => n,
        };
        if threads > 1 {
            let parallel = ParallelWorkspace::<N, B>::new_boxed(threads).map_err(|_| FitError::Threads { threads })?;
            self.parallel = Some(parallel);
        }
        let Some(fraction) = self.validation_split else {
            let steps = train.len().div_ceil(self.batch_size.max(1));
            let mut observer = super::progress::Progress::new(self.verbose, self.epochs, steps);
            self.train(train, validation.as_deref(), &mut buffers, validation_ws, &mut observer)?;
            return Ok(observer.into_history());
        };
        if validation.is_some() {
            return Err(FitError::ValidationSplitWith { with: "validation_data" });
        }
        let samples = train.len();
        let split = training_samples(fraction, samples).ok_or(FitError::ValidationSplit { fraction, samples })?;
        let (mut head, tail) = (Head::new(&*train, split), Tail { source: &*train, start: split });
        let steps = split.div_ceil(self.batch_size.max(1));
        let mut observer = super::progress::Progress::new(self.verbose, self.epochs, steps);
        // A bad validation sample is named by its position in the source, as training ones are.
        self.train(&mut head, Some(&tail), &mut buffers, validation_ws, &mut observer).map_err(|e| match e {
            FitError::Data { validation: true, error } => {
                FitError::Data { validation: true, error: error.offset_rows(split) }
            }
            e => e,
        })?;
        Ok(observer.into_history())
    }
}
