//! The search space: named dimensions, each uniform, log-uniform, integer or categorical.

use std::vec::Vec;

use rand::Rng;

use super::error::SearchError;
use super::params::Value;

/// One dimension of a [`SearchSpace`]. Bounds are inclusive.
#[derive(Clone, Debug, PartialEq)]
pub enum Dimension {
    /// A real number in `[low, high]`: `U(low, high)`, or with `log`, log-uniform,
    /// `exp(U(ln low, ln high))` (needs `0 < low`), so that every decade is as likely.
    Float {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
        /// Log-uniform instead of uniform.
        log: bool,
    },
    /// An integer in `[low, high]`, each equally likely; with `log`, Optuna's log-uniform
    /// integers: `round(exp(U(ln(low - 0.5), ln(high + 0.5))))` (needs `1 <= low`).
    Int {
        /// Lower bound.
        low: i64,
        /// Upper bound.
        high: i64,
        /// Log-uniform instead of uniform.
        log: bool,
    },
    /// One of the values, each equally likely (Keras Tuner's `Choice`, Optuna's
    /// `suggest_categorical`): numbers, or names such as architectures.
    Choice(Vec<Value>),
}

impl Dimension {
    /// Draws a value.
    pub(crate) fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Value {
        match *self {
            Dimension::Float { low, high, log: false } => Value::Float(low + (high - low) * rng.random::<f64>()),
            Dimension::Float { low, high, log: true } => {
                let (a, b) = (low.ln(), high.ln());
                Value::Float((a + (b - a) * rng.random::<f64>()).exp().clamp(low, high))
            }
            Dimension::Int { low, high, log: false } => Value::Int(rng.random_range(low..=high)),
            Dimension::Int { low, high, log: true } => {
                let (a, b) = ((low as f64 - 0.5).ln(), (high as f64 + 0.5).ln());
                let v = (a + (b - a) * rng.random::<f64>()).exp().round() as i64;
                Value::Int(v.clamp(low, high))
            }
            Dimension::Choice(ref values) => values[rng.random_range(0..values.len())],
        }
    }

    /// The values a grid takes: every choice; every integer if there are at most `points`,
    /// else `points` of them evenly spaced (geometrically with `log`), rounded; `points`
    /// evenly spaced floats from `low` to `high` (geometrically with `log`), ends included.
    pub(crate) fn grid(&self, points: usize) -> Vec<Value> {
        let spaced = |low: f64, high: f64, log: bool, n: usize| -> Vec<f64> {
            if n == 1 || low == high {
                return std::vec![low];
            }
            let (a, b) = if log { (low.ln(), high.ln()) } else { (low, high) };
            (0..n)
                .map(|i| {
                    let t = a + (b - a) * i as f64 / (n - 1) as f64;
                    match i {
                        0 => low,
                        _ if i == n - 1 => high,
                        _ if log => t.exp().clamp(low, high),
                        _ => t,
                    }
                })
                .collect()
        };
        match *self {
            Dimension::Float { low, high, log } => {
                spaced(low, high, log, points).into_iter().map(Value::Float).collect()
            }
            Dimension::Int { low, high, .. } if ((high - low) as u64) < points as u64 => {
                (low..=high).map(Value::Int).collect()
            }
            Dimension::Int { low, high, log } => {
                let mut v: Vec<i64> =
                    spaced(low as f64, high as f64, log, points).into_iter().map(|x| x.round() as i64).collect();
                v.dedup();
                v.into_iter().map(Value::Int).collect()
            }
            Dimension::Choice(ref values) => values.clone(),
        }
    }

    fn check(&self, name: &'static str) -> Result<(), SearchError> {
        let bad = |low: f64, high: f64, why| Err(SearchError::BadBounds { name, low, high, why });
        match *self {
            Dimension::Float { low, high, log } => {
                if !low.is_finite() || !high.is_finite() {
                    bad(low, high, "bounds must be finite")
                } else if low > high {
                    bad(low, high, "low is above high")
                } else if log && low <= 0.0 {
                    bad(low, high, "a log scale needs low > 0")
                } else {
                    Ok(())
                }
            }
            Dimension::Int { low, high, log } => {
                if low > high {
                    bad(low as f64, high as f64, "low is above high")
                } else if log && low < 1 {
                    bad(low as f64, high as f64, "a log scale needs low >= 1")
                } else {
                    Ok(())
                }
            }
            Dimension::Choice(ref values) if values.is_empty() => Err(SearchError::EmptyChoice { name }),
            Dimension::Choice(ref values) => {
                match values.iter().find(|v| matches!(v, Value::Float(x) if !x.is_finite())) {
                    Some(&Value::Float(x)) => bad(x, x, "choices must be finite"),
                    _ => Ok(()),
                }
            }
        }
    }
}

/// Named dimensions to search, built in order with Optuna's `suggest_*` names and
/// bounds (`float(name, low, high)`, inclusive; Keras Tuner calls them `Float`, `Int`,
/// `Choice` with `min_value`, `max_value` and `sampling="log"`):
///
/// ```
/// use staticnet_core::search::SearchSpace;
///
/// let space = SearchSpace::new()
///     .log_float("lr", 1e-4, 1e-1)           // exp(U(ln 1e-4, ln 1e-1))
///     .float("dropout", 0.0, 0.5)
///     .log_int("batch_size", 8, 64)
///     .choice("arch", ["narrow", "wide"]);
/// assert!(space.check().is_ok());
/// assert_eq!(space.names().collect::<Vec<_>>(), ["lr", "dropout", "batch_size", "arch"]);
/// ```
///
/// The builder methods record the first mistake (bounds inverted, a log scale from 0, a
/// name used twice, a choice of nothing) and [`SearchSpace::check`] returns it; a search
/// checks its space before the first trial. Unlike Keras Tuner, whose trials declare
/// their hyperparameters as they run, the whole space is declared up front, so that a
/// grid is known before anything trains and a trial's parameters depend only on the seed
/// and its index.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchSpace {
    dims: Vec<(&'static str, Dimension)>,
    error: Option<(&'static str, Dimension)>,
}

impl SearchSpace {
    /// No dimensions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a dimension (the methods below are shorthands).
    pub fn dimension(mut self, name: &'static str, dim: Dimension) -> Self {
        let fine = dim.check(name).is_ok() && !self.dims.iter().any(|(n, _)| *n == name);
        if !fine && self.error.is_none() {
            self.error = Some((name, dim.clone()));
        }
        self.dims.push((name, dim));
        self
    }

    /// A float, uniform in `[low, high]` (Optuna's `suggest_float`).
    pub fn float(self, name: &'static str, low: f64, high: f64) -> Self {
        self.dimension(name, Dimension::Float { low, high, log: false })
    }

    /// A float, log-uniform in `[low, high]`: `exp(U(ln low, ln high))`, `0 < low`
    /// (Optuna's `suggest_float(log=True)`).
    pub fn log_float(self, name: &'static str, low: f64, high: f64) -> Self {
        self.dimension(name, Dimension::Float { low, high, log: true })
    }

    /// An integer, uniform in `[low, high]` (Optuna's `suggest_int`).
    pub fn int(self, name: &'static str, low: i64, high: i64) -> Self {
        self.dimension(name, Dimension::Int { low, high, log: false })
    }

    /// An integer, log-uniform in `[low, high]`, `1 <= low` (Optuna's
    /// `suggest_int(log=True)`).
    pub fn log_int(self, name: &'static str, low: i64, high: i64) -> Self {
        self.dimension(name, Dimension::Int { low, high, log: true })
    }

    /// One of `values` (Optuna's `suggest_categorical`, Keras Tuner's `Choice`): numbers
    /// (`[16, 32, 64]`, `[0.0, 0.1]`) or names (`["narrow", "wide"]`).
    pub fn choice<V: Into<Value>>(self, name: &'static str, values: impl IntoIterator<Item = V>) -> Self {
        self.dimension(name, Dimension::Choice(values.into_iter().map(Into::into).collect()))
    }

    /// The first mistake in the space, or an empty space.
    pub fn check(&self) -> Result<(), SearchError> {
        if let Some((name, dim)) = &self.error {
            return Err(match dim.check(name) {
                Err(e) => e,
                Ok(()) => SearchError::DuplicateName { name },
            });
        }
        if self.dims.is_empty() {
            return Err(SearchError::EmptySpace);
        }
        Ok(())
    }

    /// The dimensions' names, in order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.dims.iter().map(|(n, _)| *n)
    }

    /// The dimensions, in order.
    pub fn dimensions(&self) -> impl Iterator<Item = (&'static str, &Dimension)> + '_ {
        self.dims.iter().map(|(n, d)| (*n, d))
    }

    /// Number of dimensions.
    pub fn len(&self) -> usize {
        self.dims.len()
    }

    /// Whether there are no dimensions.
    pub fn is_empty(&self) -> bool {
        self.dims.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn mistakes_are_reported_once_checked() {
        assert!(matches!(SearchSpace::new().check(), Err(SearchError::EmptySpace)));
        let e = SearchSpace::new().float("a", 0.0, 1.0).log_float("lr", 0.0, 1.0).int("b", 3, 1).check();
        assert_eq!(e.unwrap_err().to_string(), "dimension `lr`: bounds [0, 1]: a log scale needs low > 0");
        let e = SearchSpace::new().int("b", 3, 1).check().unwrap_err().to_string();
        assert_eq!(e, "dimension `b`: bounds [3, 1]: low is above high");
        let e = SearchSpace::new().float("x", f64::NAN, 1.0).check().unwrap_err().to_string();
        assert_eq!(e, "dimension `x`: bounds [NaN, 1]: bounds must be finite");
        let e = SearchSpace::new().float("a", 0.0, 1.0).int("a", 0, 1).check().unwrap_err().to_string();
        assert_eq!(e, "the search space has two dimensions named `a`");
        let none: [i32; 0] = [];
        let e = SearchSpace::new().choice("c", none).check().unwrap_err().to_string();
        assert_eq!(e, "dimension `c`: a choice needs at least one value");
        assert!(SearchSpace::new().log_int("n", 0, 5).check().is_err());
    }

    #[test]
    fn grid_values_include_the_ends() {
        let f = Dimension::Float { low: 1e-3, high: 1e-1, log: true }.grid(3);
        let Value::Float(mid) = f[1] else { panic!() };
        assert!((mid - 1e-2).abs() < 1e-12 && f[0] == Value::Float(1e-3) && f[2] == Value::Float(1e-1));
        assert_eq!(Dimension::Int { low: 1, high: 3, log: false }.grid(5), [1, 2, 3].map(Value::Int));
        assert_eq!(Dimension::Int { low: 0, high: 10, log: false }.grid(3), [0, 5, 10].map(Value::Int));
    }
}
