//! Callbacks that set the learning rate: from a schedule, or on a plateau.

use super::control::{Callback, Control};
use super::error::CallbackError;
use super::logs::Logs;
use super::monitor::MonitorMode;
use crate::layer::Layer;
use crate::schedule::{PlateauMode, ReduceLrOnPlateau, Schedule, ThresholdMode};
use crate::state::{Resumable, StateVisitor};

/// Keras's `LearningRateScheduler`: sets the optimizer's rate from any [`Schedule`],
/// before each epoch (`lr(epoch)`, Keras's behaviour) or before each batch (`lr(step)`,
/// counting every batch of the run), and logs it as `lr` at each epoch's end.
///
/// Keras's schedule is a function of `(epoch, lr)`; here it is a [`Schedule`] of `t`, the
/// form every schedule of `staticnet::schedule` has. A resumed run starts the step count
/// where it was with [`LearningRateScheduler::starting_at`], or by restoring its step
/// count from a [`Checkpoint`](crate::train::Checkpoint) part (it is [`Resumable`]).
#[derive(Clone, Debug)]
pub struct LearningRateScheduler<S> {
    schedule: S,
    per_step: bool,
    step: usize,
}

impl<S: Schedule> LearningRateScheduler<S> {
    /// `lr(epoch)` before each epoch.
    pub fn per_epoch(schedule: S) -> Self {
        LearningRateScheduler { schedule, per_step: false, step: 0 }
    }

    /// `lr(step)` before each batch, the step counting from 0 over the whole run.
    pub fn per_step(schedule: S) -> Self {
        LearningRateScheduler { schedule, per_step: true, step: 0 }
    }

    /// Counts steps from `step` (a resumed run's [`Progress::step`](crate::train::Progress)).
    pub fn starting_at(mut self, step: usize) -> Self {
        self.step = step;
        self
    }
}

impl<N: Layer, S: Schedule> Callback<N> for LearningRateScheduler<S> {
    fn on_epoch_begin(&mut self, epoch: usize, run: &mut Control<'_, N>) -> Result<(), CallbackError> {
        if !self.per_step {
            run.set_learning_rate(self.schedule.lr(epoch));
        }
        Ok(())
    }

    fn on_train_batch_begin(&mut self, _: usize, run: &mut Control<'_, N>) -> Result<(), CallbackError> {
        if self.per_step {
            run.set_learning_rate(self.schedule.lr(self.step));
            self.step += 1;
        }
        Ok(())
    }

    fn on_epoch_end(&mut self, _: usize, logs: &mut Logs, run: &mut Control<'_, N>) -> Result<(), CallbackError> {
        Ok(logs.set("lr", f64::from(run.learning_rate()))?)
    }
}

/// Keras's `ReduceLROnPlateau` callback, on staticnet's
/// [`ReduceLrOnPlateau`](crate::schedule::ReduceLrOnPlateau) schedule: after each epoch
/// it observes `monitor` and sets the optimizer's rate, then logs it as `lr`.
///
/// Keras's defaults: `monitor = "val_loss"`, `factor = 0.1`, `patience = 10`, mode
/// [`MonitorMode::Auto`], `min_delta = 1e-4` (absolute), `cooldown = 0`, `min_lr = 0`.
/// The counting is the schedule's, which is PyTorch's: the rate is cut once the epochs
/// without improvement EXCEED `patience` (Keras cuts when they reach it), so
/// `patience = p` here waits one epoch longer than Keras's `p`; staticnet keeps one
/// plateau rule for both the schedule and the callback.
///
/// A run that starts at `initial_epoch > 0` keeps the schedule's state (Keras resets
/// it), which is [`Resumable`] for a [`Checkpoint`](crate::train::Checkpoint).
#[derive(Clone, Debug)]
pub struct ReduceLROnPlateau {
    /// The value watched.
    pub monitor: &'static str,
    /// Factor applied to the rate on a plateau.
    pub factor: f64,
    /// Epochs without improvement tolerated.
    pub patience: u32,
    /// Whether lower or higher is better.
    pub mode: MonitorMode,
    /// The smallest absolute change that counts as an improvement.
    pub min_delta: f64,
    /// Epochs after a cut during which nothing is counted.
    pub cooldown: u32,
    /// The floor of the rate.
    pub min_lr: f64,
    schedule: Option<ReduceLrOnPlateau>,
}

impl Default for ReduceLROnPlateau {
    fn default() -> Self {
        Self::new("val_loss")
    }
}

impl ReduceLROnPlateau {
    /// Watches `monitor`, with Keras's defaults.
    pub fn new(monitor: &'static str) -> Self {
        ReduceLROnPlateau {
            monitor,
            factor: 0.1,
            patience: 10,
            mode: MonitorMode::Auto,
            min_delta: 1e-4,
            cooldown: 0,
            min_lr: 0.0,
            schedule: None,
        }
    }

    /// Sets the factor.
    pub fn factor(mut self, factor: f64) -> Self {
        self.factor = factor;
        self
    }

    /// Sets the patience.
    pub fn patience(mut self, patience: u32) -> Self {
        self.patience = patience;
        self
    }

    /// Sets `min_delta`.
    pub fn min_delta(mut self, min_delta: f64) -> Self {
        self.min_delta = min_delta;
        self
    }

    /// Sets the cooldown.
    pub fn cooldown(mut self, cooldown: u32) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// Sets the floor of the rate.
    pub fn min_lr(mut self, min_lr: f64) -> Self {
        self.min_lr = min_lr;
        self
    }

    /// The schedule, once training began.
    pub fn schedule(&self) -> Option<&ReduceLrOnPlateau> {
        self.schedule.as_ref()
    }

    /// The schedule of these settings, starting at rate `lr`.
    fn plateau(&self, lr: f64) -> ReduceLrOnPlateau {
        let mode = match self.mode.resolve(self.monitor) {
            MonitorMode::Max => PlateauMode::Max,
            _ => PlateauMode::Min,
        };
        ReduceLrOnPlateau::new(lr)
            .mode(mode)
            .factor(self.factor)
            .patience(self.patience)
            .threshold(self.min_delta, ThresholdMode::Abs)
            .cooldown(self.cooldown)
            .min_lr(self.min_lr)
    }
}

impl Resumable for ReduceLROnPlateau {
    /// The schedule's running state: the rate, the best value, the bad epochs and the
    /// cooldown left (see [`ReduceLrOnPlateau::visit_state`]). Restored into a callback
    /// that has not trained yet, it makes the schedule a resumed run continues with.
    fn visit_state(&mut self, visitor: &mut dyn StateVisitor) {
        let plateau = self.plateau(0.0);
        self.schedule.get_or_insert(plateau).visit_state(visitor);
    }
}

impl<N: Layer> Callback<N> for ReduceLROnPlateau {
    fn on_train_begin(&mut self, run: &mut Control<'_, N>) -> Result<(), CallbackError> {
        if run.initial_epoch() == 0 || self.schedule.is_none() {
            self.schedule = Some(self.plateau(f64::from(run.learning_rate())));
        }
        Ok(())
    }

    fn on_epoch_end(&mut self, _: usize, logs: &mut Logs, run: &mut Control<'_, N>) -> Result<(), CallbackError> {
        let value = logs
            .get(self.monitor)
            .ok_or(CallbackError::MissingLog { callback: "ReduceLROnPlateau", name: self.monitor })?;
        let schedule = self.schedule.get_or_insert_with(|| ReduceLrOnPlateau::new(f64::from(run.learning_rate())));
        let lr = schedule.observe(value as f32);
        run.set_learning_rate(lr);
        Ok(logs.set("lr", f64::from(lr))?)
    }
}

impl<S> Resumable for LearningRateScheduler<S> {
    /// The step count (`step`), for a per-step schedule.
    fn visit_state(&mut self, visitor: &mut dyn StateVisitor) {
        let mut step = self.step as u64;
        visitor.count("step", &mut step);
        self.step = usize::try_from(step).unwrap_or(usize::MAX);
    }
}
