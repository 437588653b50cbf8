//! Calibration: the range of a tensor over sample inputs, PyTorch's `MinMaxObserver`.

use super::params::QuantParams;
use crate::error::Error;
use crate::finite::first_non_finite;

/// The smallest and largest value seen of a tensor over the calibration samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MinMaxObserver {
    /// Smallest value seen (`+inf` before any).
    pub min: f32,
    /// Largest value seen (`-inf` before any).
    pub max: f32,
}

impl MinMaxObserver {
    /// An observer that has seen nothing.
    pub const EMPTY: Self = MinMaxObserver { min: f32::INFINITY, max: f32::NEG_INFINITY };

    /// Widens the range to `values`, the output of `layer` on calibration sample `row`;
    /// a NaN or infinity is [`Error::NonFiniteActivation`] and leaves the range unchanged.
    pub fn observe(&mut self, layer: &'static str, row: usize, values: &[f32]) -> Result<(), Error> {
        if let Some((_, value)) = first_non_finite(values) {
            return Err(Error::NonFiniteActivation { layer, row, value });
        }
        for &v in values {
            self.min = self.min.min(v);
            self.max = self.max.max(v);
        }
        Ok(())
    }

    /// The int8 parameters of the range seen ([`QuantParams::from_range`]).
    pub fn params(&self, layer: &'static str) -> Result<QuantParams, Error> {
        QuantParams::from_range(layer, self.min, self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_covers_every_batch_and_rejects_nan() {
        let mut o = MinMaxObserver::EMPTY;
        o.observe("a", 0, &[0.5, -2.0]).unwrap();
        o.observe("a", 1, &[3.0]).unwrap();
        assert_eq!((o.min, o.max), (-2.0, 3.0));
        let nan = o.observe("a", 2, &[1.0, f32::NAN]);
        assert!(matches!(nan, Err(Error::NonFiniteActivation { layer: "a", row: 2, value }) if value.is_nan()));
        assert_eq!((o.min, o.max), (-2.0, 3.0));
        assert!(MinMaxObserver::EMPTY.params("a").is_err());
    }
}
