//! A trial's hyperparameters: a small map from dimension names to typed values.

use core::fmt;
use std::format;
use std::string::{String, ToString};
use std::vec::Vec;

use super::error::SearchError;

/// One hyperparameter value: a float, an integer, or a string (a categorical choice such
/// as an architecture's name).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// A real number (`float` dimensions, numeric choices written with a point).
    Float(f64),
    /// An integer (`int` dimensions, integer choices).
    Int(i64),
    /// A name (string choices).
    Str(&'static str),
}

impl Value {
    fn describe(&self) -> String {
        match self {
            Value::Float(v) => format!("the float {v}"),
            Value::Int(v) => format!("the integer {v}"),
            Value::Str(s) => format!("the string \"{s}\""),
        }
    }
}

impl fmt::Display for Value {
    /// Floats in Rust's shortest round-trip form (`0.001`), integers, strings unquoted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Float(v) => write!(f, "{v}"),
            Value::Int(v) => write!(f, "{v}"),
            Value::Str(s) => f.write_str(s),
        }
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

impl From<f32> for Value {
    fn from(v: f32) -> Self {
        Value::Float(f64::from(v))
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(i64::from(v))
    }
}

impl From<usize> for Value {
    fn from(v: usize) -> Self {
        Value::Int(v as i64)
    }
}

impl From<&'static str> for Value {
    fn from(v: &'static str) -> Self {
        Value::Str(v)
    }
}

/// The hyperparameters of one trial, in the order of the space's dimensions. The getters
/// check the name and the kind: a missing name or a string read as a float is a
/// [`SearchError`] (Keras Tuner's `hp.get` raises on an unknown name too; Optuna's
/// `trial.params[name]` is a `KeyError`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params {
    values: Vec<(&'static str, Value)>,
}

impl Params {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `name` to `value`, replacing a value already there (to build a configuration
    /// by hand, such as the defaults to compare with).
    pub fn set(mut self, name: &'static str, value: impl Into<Value>) -> Self {
        let value = value.into();
        match self.values.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = value,
            None => self.values.push((name, value)),
        }
        self
    }

    /// The value of `name`, of any kind.
    pub fn get(&self, name: &str) -> Result<Value, SearchError> {
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| *v).ok_or_else(|| SearchError::UnknownParameter {
            name: name.to_string(),
            known: self.values.iter().map(|(n, _)| format!("`{n}`")).collect::<Vec<_>>().join(", "),
        })
    }

    /// The float `name` (an integer is not converted: ask for it with [`Params::get_i64`]).
    pub fn get_f64(&self, name: &str) -> Result<f64, SearchError> {
        match self.get(name)? {
            Value::Float(v) => Ok(v),
            other => Err(wrong(name, "a float", other)),
        }
    }

    /// The float `name`, rounded to `f32` (learning rates, dropout rates).
    pub fn get_f32(&self, name: &str) -> Result<f32, SearchError> {
        self.get_f64(name).map(|v| v as f32)
    }

    /// The integer `name`.
    pub fn get_i64(&self, name: &str) -> Result<i64, SearchError> {
        match self.get(name)? {
            Value::Int(v) => Ok(v),
            other => Err(wrong(name, "an integer", other)),
        }
    }

    /// The integer `name`, which must not be negative (widths, batch sizes).
    pub fn get_usize(&self, name: &str) -> Result<usize, SearchError> {
        match self.get(name)? {
            Value::Int(v) if v >= 0 => Ok(v as usize),
            other => Err(wrong(name, "a non-negative integer", other)),
        }
    }

    /// The string `name` (a categorical choice).
    pub fn get_str(&self, name: &str) -> Result<&'static str, SearchError> {
        match self.get(name)? {
            Value::Str(s) => Ok(s),
            other => Err(wrong(name, "a string", other)),
        }
    }

    /// The names and values, in the space's order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, Value)> + '_ {
        self.values.iter().copied()
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

fn wrong(name: &str, expected: &'static str, found: Value) -> SearchError {
    SearchError::WrongKind { name: name.to_string(), expected, found: found.describe() }
}

impl fmt::Display for Params {
    /// `lr=0.001, width=32, arch=wide`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, value)) in self.values.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{name}={value}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getters_check_names_and_kinds() {
        let p = Params::new().set("lr", 0.01).set("width", 32usize).set("arch", "wide").set("lr", 0.02);
        assert_eq!(
            (p.get_f64("lr").unwrap(), p.get_usize("width").unwrap(), p.get_str("arch").unwrap()),
            (0.02, 32, "wide")
        );
        assert_eq!(p.len(), 3);
        assert_eq!(p.to_string(), "lr=0.02, width=32, arch=wide");
        let e = p.get_f32("rate").unwrap_err().to_string();
        assert_eq!(e, "no parameter `rate` in the search space (it has `lr`, `width`, `arch`)");
        assert_eq!(p.get_f64("arch").unwrap_err().to_string(), "parameter `arch` is the string \"wide\", not a float");
        assert_eq!(p.get_i64("lr").unwrap_err().to_string(), "parameter `lr` is the float 0.02, not an integer");
        let negative = Params::new().set("n", -1);
        assert!(matches!(negative.get_usize("n"), Err(SearchError::WrongKind { .. })));
    }
}
