//! Reducing the learning rate when a metric stops improving.

/// Whether [`ReduceLrOnPlateau`]'s metric should fall (a loss) or rise (an accuracy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PlateauMode {
    /// Lower is better.
    #[default]
    Min,
    /// Higher is better.
    Max,
}

/// How [`ReduceLrOnPlateau`]'s threshold defines a significant improvement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ThresholdMode {
    /// Relative: `x < best (1 - threshold)` (`Min`), `x > best (1 + threshold)` (`Max`).
    #[default]
    Rel,
    /// Absolute: `x < best - threshold` (`Min`), `x > best + threshold` (`Max`).
    Abs,
}

/// PyTorch's `ReduceLROnPlateau`: multiplies the rate by `factor` when the metric has not
/// improved for more than `patience` observations.
///
/// Per call of [`observe`](ReduceLrOnPlateau::observe) with metric `x` (once per epoch,
/// usually the validation loss):
///
/// ```text
/// if x is better than best (by the threshold):  best = x, bad = 0   else bad += 1
/// if cooldown > 0:                               cooldown -= 1, bad = 0
/// if bad > patience:
///     η_new = max(η · factor, min_lr);  if η - η_new > eps: η = η_new
///     cooldown = cooldown_epochs, bad = 0
/// ```
///
/// PyTorch's defaults: mode `Min`, `factor = 0.1`, `patience = 10`, `threshold = 1e-4`
/// relative, no cooldown, `min_lr = 0`, `eps = 1e-8`. A NaN metric is never better.
///
/// Keras' `ReduceLROnPlateau` differs: its `min_delta` is absolute, it reduces once the
/// wait *reaches* `patience` (`≥`, PyTorch's is `>`), and its cooldown does not reset the
/// count in the same way.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReduceLrOnPlateau {
    /// Whether lower or higher metrics are better.
    pub mode: PlateauMode,
    /// Factor applied to the rate on a plateau.
    pub factor: f64,
    /// Observations without improvement tolerated before a reduction.
    pub patience: u32,
    /// Minimum significant improvement.
    pub threshold: f64,
    /// Relative or absolute threshold.
    pub threshold_mode: ThresholdMode,
    /// Observations after a reduction during which bad observations are not counted.
    pub cooldown: u32,
    /// The floor of the rate.
    pub min_lr: f64,
    /// Reductions smaller than this are skipped.
    pub eps: f64,
    lr: f64,
    best: f64,
    num_bad_epochs: u32,
    cooldown_counter: u32,
}

impl ReduceLrOnPlateau {
    /// Calls `visitor` with the running state (the current rate, the best metric, the
    /// count of bad epochs and the cooldown left), to save or restore it.
    pub fn visit_state(&mut self, visitor: &mut dyn crate::state::StateVisitor) {
        visitor.real("lr", &mut self.lr);
        visitor.real("best", &mut self.best);
        let mut bad = u64::from(self.num_bad_epochs);
        visitor.count("num_bad_epochs", &mut bad);
        let mut cooldown = u64::from(self.cooldown_counter);
        visitor.count("cooldown_counter", &mut cooldown);
        self.num_bad_epochs = u32::try_from(bad).unwrap_or(u32::MAX);
        self.cooldown_counter = u32::try_from(cooldown).unwrap_or(u32::MAX);
    }

    /// Starts at rate `lr`, with PyTorch's defaults.
    pub const fn new(lr: f64) -> Self {
        ReduceLrOnPlateau {
            mode: PlateauMode::Min,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            threshold_mode: ThresholdMode::Rel,
            cooldown: 0,
            min_lr: 0.0,
            eps: 1e-8,
            lr,
            best: f64::INFINITY,
            num_bad_epochs: 0,
            cooldown_counter: 0,
        }
    }

    /// Sets the mode (and resets the best value seen to the mode's worst).
    pub const fn mode(mut self, mode: PlateauMode) -> Self {
        self.mode = mode;
        self.best = match mode {
            PlateauMode::Min => f64::INFINITY,
            PlateauMode::Max => f64::NEG_INFINITY,
        };
        self
    }

    /// Sets the reduction factor.
    pub const fn factor(mut self, factor: f64) -> Self {
        self.factor = factor;
        self
    }

    /// Sets the patience.
    pub const fn patience(mut self, patience: u32) -> Self {
        self.patience = patience;
        self
    }

    /// Sets the threshold and how it is applied.
    pub const fn threshold(mut self, threshold: f64, mode: ThresholdMode) -> Self {
        self.threshold = threshold;
        self.threshold_mode = mode;
        self
    }

    /// Sets the cooldown.
    pub const fn cooldown(mut self, cooldown: u32) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// Sets the floor of the rate.
    pub const fn min_lr(mut self, min_lr: f64) -> Self {
        self.min_lr = min_lr;
        self
    }

    /// Sets the smallest reduction applied.
    pub const fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// The current learning rate.
    pub fn lr(&self) -> f32 {
        self.lr as f32
    }

    /// The best metric seen (infinite before the first observation).
    pub fn best(&self) -> f64 {
        self.best
    }

    /// Observations since the last improvement (or reduction, or cooldown).
    pub fn num_bad_epochs(&self) -> u32 {
        self.num_bad_epochs
    }

    /// Observations of cooldown left.
    pub fn cooldown_counter(&self) -> u32 {
        self.cooldown_counter
    }

    fn is_better(&self, x: f64) -> bool {
        let (best, th) = (self.best, self.threshold);
        match (self.mode, self.threshold_mode) {
            (PlateauMode::Min, ThresholdMode::Rel) => x < best * (1.0 - th),
            (PlateauMode::Min, ThresholdMode::Abs) => x < best - th,
            (PlateauMode::Max, ThresholdMode::Rel) => x > best * (th + 1.0),
            (PlateauMode::Max, ThresholdMode::Abs) => x > best + th,
        }
    }

    /// Takes one observation of the metric (after an epoch) and returns the learning
    /// rate for the next epoch.
    pub fn observe(&mut self, metric: f32) -> f32 {
        let x = metric as f64;
        if self.is_better(x) {
            self.best = x;
            self.num_bad_epochs = 0;
        } else {
            self.num_bad_epochs = self.num_bad_epochs.saturating_add(1);
        }
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.num_bad_epochs = 0;
        }
        if self.num_bad_epochs > self.patience {
            let new_lr = (self.lr * self.factor).max(self.min_lr);
            if self.lr - new_lr > self.eps {
                self.lr = new_lr;
            }
            self.cooldown_counter = self.cooldown;
            self.num_bad_epochs = 0;
        }
        self.lr as f32
    }

    /// [`observe`](ReduceLrOnPlateau::observe), then sets the optimizer's rate.
    pub fn observe_and_apply<N: crate::layer::Layer, O: crate::optim::Optimizer<N>>(
        &mut self,
        metric: f32,
        optimizer: &mut O,
    ) -> f32 {
        let lr = self.observe(metric);
        optimizer.set_learning_rate(lr);
        lr
    }
}
