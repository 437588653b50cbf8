//! The fixed-point multiplier that rescales an i32 accumulator to the next tensor's int8
//! codes with integer arithmetic only, as gemmlowp and TFLite.

use crate::error::Error;

/// A real multiplier `M > 0` as `M = multiplier · 2^(shift - 31)` with `multiplier` in
/// `[2^30, 2^31)` (Q31), TFLite's `QuantizeMultiplier`. [`Requantize::apply`] computes
/// `acc · M` rounded to the nearest integer in integer arithmetic, as TFLite's
/// `MultiplyByQuantizedMultiplier`:
///
/// `apply(acc) = RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(acc · 2^max(shift, 0), multiplier), max(-shift, 0))`
///
/// where `SaturatingRoundingDoublingHighMul(a, b) = round(a · b / 2^31)` with ties toward
/// +∞ and `RoundingDivideByPOT(x, e) = round(x / 2^e)` with ties away from zero, exactly as
/// gemmlowp computes them (so a tie made by the first rounding can move the result by one
/// from `round(acc · M)`: `5 · 0.25` gives 2). Where TFLite's `acc · 2^shift` would
/// overflow i32 it saturates here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requantize {
    /// The Q31 mantissa, in `[2^30, 2^31)`, or 0 for a multiplier below `2^-32`.
    pub multiplier: i32,
    /// The power of two, in `-31..=30`.
    pub shift: i32,
}

impl Requantize {
    /// The fixed-point form of `m`, rounding the mantissa to nearest. A multiplier below
    /// `2^-32` (every accumulator rounds to 0) becomes 0, as in TFLite; one that is not
    /// finite and positive, or `>= 2^30`, is [`Error::NotQuantizable`].
    pub fn from_real(layer: &'static str, m: f64) -> Result<Self, Error> {
        if !(m.is_finite() && m > 0.0 && m < (1u64 << 30) as f64) {
            return Err(Error::NotQuantizable { layer, why: "its requantization multiplier is not in (0, 2^30)" });
        }
        // m = q · 2^shift with q in [0.5, 1): frexp, exact since it only scales by 2.
        let (mut q, mut shift) = (m, 0i32);
        while q >= 1.0 {
            q /= 2.0;
            shift += 1;
        }
        while q < 0.5 {
            q *= 2.0;
            shift -= 1;
        }
        let mut fixed = libm::round(q * (1u64 << 31) as f64) as i64;
        if fixed == 1 << 31 {
            fixed /= 2;
            shift += 1;
        }
        if shift < -31 {
            return Ok(Requantize { multiplier: 0, shift: 0 });
        }
        Ok(Requantize { multiplier: fixed as i32, shift })
    }

    /// `round(acc · multiplier · 2^(shift - 31))`, integer only (see the type's doc).
    #[inline(always)]
    pub fn apply(self, acc: i32) -> i32 {
        let left = self.shift.max(0) as u32;
        let right = (-self.shift).max(0) as u32;
        let x = ((acc as i64) << left).clamp(i32::MIN as i64, i32::MAX as i64);
        // SaturatingRoundingDoublingHighMul: x · m / 2^31 nudged by ±1/2 (just under 1/2
        // below zero), then truncated toward zero, as gemmlowp's division.
        let ab = x * self.multiplier as i64;
        let nudged = ab + if ab >= 0 { 1i64 << 30 } else { 1 - (1i64 << 30) };
        // Division by 2^31 truncating toward zero, with shifts only (so that it vectorises):
        // add 2^31 - 1 to negative values before the arithmetic shift.
        let high = (nudged + ((nudged >> 63) & ((1i64 << 31) - 1))) >> 31;
        // RoundingDivideByPOT: arithmetic shift, plus one when the remainder is above half
        // (at least half for negative values).
        let mask = (1i64 << right) - 1;
        let remainder = high & mask;
        let threshold = (mask >> 1) + ((high >> 63) & 1);
        let y = (high >> right) + i64::from(remainder > threshold);
        y.clamp(i32::MIN as i64, i32::MAX as i64) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixed_point_form_represents_the_multiplier() {
        for m in [0.5, 0.75, 1.0, 1.5, 0.001, 3.3e-5, 7.0e-9, 123.456] {
            let r = Requantize::from_real("x", m).unwrap();
            assert!((1 << 30..=i32::MAX).contains(&r.multiplier), "{m}: {r:?}");
            let back = r.multiplier as f64 * 2f64.powi(r.shift - 31);
            assert!((back - m).abs() <= m * 2f64.powi(-30), "{m}: {back}");
        }
        // Exactly representable: 0.5 = 2^30 · 2^(0 - 31).
        assert_eq!(Requantize::from_real("x", 0.5).unwrap(), Requantize { multiplier: 1 << 30, shift: 0 });
        assert_eq!(Requantize::from_real("x", 1e-12).unwrap(), Requantize { multiplier: 0, shift: 0 });
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 2f64.powi(30)] {
            assert!(Requantize::from_real("fc", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn apply_rounds_as_gemmlowp() {
        // M = 0.5 exactly (shift 0): only the high multiply rounds, ties toward +∞.
        let half = Requantize::from_real("x", 0.5).unwrap();
        assert_eq!([3, -3, 5, -5, 4, -4, 0].map(|a| half.apply(a)), [2, -1, 3, -2, 2, -2, 0]);
        // M = 0.25 = 2^30 · 2^(-1 - 31): the high multiply halves, then the shift halves
        // again with ties away from zero; 5 · 0.25 rounds twice (2.5 to 3, 1.5 to 2).
        let quarter = Requantize::from_real("x", 0.25).unwrap();
        assert_eq!(quarter.shift, -1);
        assert_eq!([2, -2, 6, -6, 5, -5, 7].map(|a| quarter.apply(a)), [1, -1, 2, -2, 2, -1, 2]);
        // M = 3: a left shift.
        let three = Requantize::from_real("x", 3.0).unwrap();
        assert_eq!([7, -7, 0].map(|a| three.apply(a)), [21, -21, 0]);
    }
}
