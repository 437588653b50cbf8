//! The named values of an epoch or a batch that callbacks read: Keras's `logs` dict.

use core::fmt;

/// How many values [`Logs`] holds: the loss, the learning rate and metrics, each also for
/// validation, with room to spare.
pub const LOGS_CAPACITY: usize = 24;

/// Named f64 values (`loss`, `val_loss`, `accuracy`, `lr`, ...), Keras's `logs` dict, in
/// a fixed-capacity array so that it works without an allocator. A validation value is
/// named `val_` and the training name, as in Keras.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Logs {
    entries: [(Key, f64); LOGS_CAPACITY],
    len: usize,
}

/// A name in [`Logs`]: a metric name and whether it is the validation value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    /// The metric (`loss`, `accuracy`).
    pub name: &'static str,
    /// Whether this is the value on the validation data (`val_loss`).
    pub validation: bool,
}

impl Key {
    /// Whether `name` (`val_loss`, `loss`) names this key.
    pub fn is(&self, name: &str) -> bool {
        match name.strip_prefix("val_") {
            Some(rest) if self.validation => rest == self.name,
            _ => !self.validation && name == self.name,
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.validation {
            f.write_str("val_")?;
        }
        f.write_str(self.name)
    }
}

/// [`Logs`] already holds [`LOGS_CAPACITY`] values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogsFull {
    /// The value that did not fit.
    pub key: Key,
}

impl fmt::Display for LogsFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "logs hold at most {LOGS_CAPACITY} values, no room for `{}`", self.key)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for LogsFull {}

impl Default for Logs {
    fn default() -> Self {
        Self::new()
    }
}

impl Logs {
    /// No values.
    pub const fn new() -> Self {
        Logs { entries: [(Key { name: "", validation: false }, 0.0); LOGS_CAPACITY], len: 0 }
    }

    /// The value named `name` (`loss`, `val_loss`).
    pub fn get(&self, name: &str) -> Option<f64> {
        self.iter().find(|(k, _)| k.is(name)).map(|(_, v)| v)
    }

    /// Sets the training value `name`, replacing one already there.
    pub fn set(&mut self, name: &'static str, value: f64) -> Result<(), LogsFull> {
        self.insert(Key { name, validation: false }, value)
    }

    /// Sets the validation value of `name` (read back as `val_<name>`).
    pub fn set_validation(&mut self, name: &'static str, value: f64) -> Result<(), LogsFull> {
        self.insert(Key { name, validation: true }, value)
    }

    /// Sets the value of `key`, replacing one already there.
    pub fn insert(&mut self, key: Key, value: f64) -> Result<(), LogsFull> {
        if let Some(entry) = self.entries[..self.len].iter_mut().find(|(k, _)| *k == key) {
            entry.1 = value;
            return Ok(());
        }
        let entry = self.entries.get_mut(self.len).ok_or(LogsFull { key })?;
        *entry = (key, value);
        self.len += 1;
        Ok(())
    }

    /// The values in the order they were first set.
    pub fn iter(&self) -> impl Iterator<Item = (Key, f64)> + '_ {
        self.entries[..self.len].iter().copied()
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Removes every value.
    pub fn clear(&mut self) {
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_by_name_with_validation_prefixes() {
        let mut logs = Logs::new();
        logs.set("loss", 0.5).unwrap();
        logs.set_validation("loss", 0.7).unwrap();
        logs.set("loss", 0.4).unwrap();
        assert_eq!((logs.get("loss"), logs.get("val_loss"), logs.get("val_accuracy")), (Some(0.4), Some(0.7), None));
        assert_eq!(logs.len(), 2);
        let names: std::vec::Vec<std::string::String> = logs.iter().map(|(k, _)| std::format!("{k}")).collect();
        assert_eq!(names, ["loss", "val_loss"]);
        // A metric called `val_x` without validation is found by its own name only.
        logs.set("val_x", 1.0).unwrap();
        assert_eq!(logs.get("val_x"), Some(1.0));
        let mut full = Logs::new();
        const NAMES: [&str; LOGS_CAPACITY] = ["m"; LOGS_CAPACITY];
        for (i, _) in NAMES.iter().enumerate() {
            full.insert(
                Key { name: ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"][i % 12], validation: i >= 12 },
                0.0,
            )
            .unwrap();
        }
        let err = full.set("lr", 0.1).unwrap_err();
        assert_eq!(std::format!("{err}"), "logs hold at most 24 values, no room for `lr`");
    }
}
