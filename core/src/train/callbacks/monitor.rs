//! Which way a monitored value improves.

/// Whether a monitored value improves downwards or upwards, Keras's `mode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MonitorMode {
    /// Lower is better.
    Min,
    /// Higher is better.
    Max,
    /// From the name: higher is better for accuracies (`accuracy`, `acc`, `*_accuracy`,
    /// `auc`, `precision`, `recall`, `r2`, with or without `val_`), lower for anything
    /// else (losses, errors). Keras 3 asks the metric object for its direction; the logs
    /// here hold only names, so the rule is Keras 2's, extended to the metrics above.
    #[default]
    Auto,
}

impl MonitorMode {
    /// `Min` or `Max` for the value `name`.
    pub fn resolve(self, name: &str) -> MonitorMode {
        match self {
            MonitorMode::Auto => {
                let base = name.strip_prefix("val_").unwrap_or(name);
                let higher = ["acc", "auc", "precision", "recall", "r2"].contains(&base) || base.ends_with("accuracy");
                if higher { MonitorMode::Max } else { MonitorMode::Min }
            }
            mode => mode,
        }
    }

    /// Whether `value` is better than `reference` by more than `min_delta` (≥ 0):
    /// `value - min_delta < reference` (`Min`), `value + min_delta > reference` (`Max`),
    /// Keras's `monitor_op(value - min_delta, reference)` with its sign flip. NaN is never
    /// better.
    pub(crate) fn better(self, value: f64, reference: f64, min_delta: f64) -> bool {
        match self {
            MonitorMode::Max => value - min_delta > reference,
            _ => value + min_delta < reference,
        }
    }
}
