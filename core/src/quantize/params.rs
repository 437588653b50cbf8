//! The affine map between f32 values and int8 codes of one tensor.

use crate::error::Error;

/// Per-tensor asymmetric int8 quantization: `q = clamp(round(x / scale) + zero_point,
/// -128, 127)` and `x ≈ scale · (q - zero_point)`, rounding half away from zero.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantParams {
    /// The real value of one step, `> 0`.
    pub scale: f32,
    /// The code of real 0, in `-128..=127`.
    pub zero_point: i32,
}

impl QuantParams {
    /// The parameters covering `[min, max]` widened to contain 0, as TFLite:
    /// `scale = (max - min) / 255`, `zero_point = round(-128 - min / scale)` (clamped to
    /// `-128..=127`). A range of only 0 gets scale 1. Non-finite or reversed bounds are
    /// [`Error::NotQuantizable`].
    pub fn from_range(layer: &'static str, min: f32, max: f32) -> Result<Self, Error> {
        if !(min.is_finite() && max.is_finite() && min <= max) {
            return Err(Error::NotQuantizable { layer, why: "its calibrated range is not a finite interval" });
        }
        let (min, max) = (min.min(0.0) as f64, max.max(0.0) as f64);
        let scale = (max - min) / 255.0;
        if scale == 0.0 {
            return Ok(QuantParams { scale: 1.0, zero_point: 0 });
        }
        let zero_point = libm::round(-128.0 - min / scale).clamp(-128.0, 127.0) as i32;
        let scale = scale as f32;
        if scale.is_normal() {
            Ok(QuantParams { scale, zero_point })
        } else {
            Err(Error::NotQuantizable { layer, why: "its calibrated range is too narrow for an f32 scale" })
        }
    }

    /// The code of `x`. NaN gives `zero_point`.
    ///
    /// Branch-free, so that a loop over it vectorises: `v = x / scale` limited to ±256
    /// (beyond, every code saturates anyway), truncated, and moved one away from zero
    /// when the part cut off is at least one half (exact: both steps are exact in f32).
    #[inline(always)]
    pub fn quantize(self, x: f32) -> i8 {
        let v = (x / self.scale).clamp(-256.0, 256.0);
        let t = v as i32; // NaN gives 0
        let cut = v - t as f32;
        let rounded = t + i32::from(cut >= 0.5) - i32::from(cut <= -0.5);
        (rounded + self.zero_point).clamp(-128, 127) as i8
    }

    /// The real value of code `q`: `scale · (q - zero_point)`.
    #[inline]
    pub fn dequantize(self, q: i8) -> f32 {
        self.scale * (q as i32 - self.zero_point) as f32
    }

    /// `q[i] = quantize(x[i])`, over the shorter of the two.
    pub fn quantize_into(self, x: &[f32], q: &mut [i8]) {
        crate::gemm::vectorised(
            #[inline(always)]
            || {
                for (q, &x) in q.iter_mut().zip(x) {
                    *q = self.quantize(x);
                }
            },
        )
    }

    /// `x[i] = dequantize(q[i])`, over the shorter of the two.
    pub fn dequantize_into(self, q: &[i8], x: &mut [f32]) {
        for (x, &q) in x.iter_mut().zip(q) {
            *x = self.dequantize(q);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_maps_onto_the_int8_codes_with_zero_exact() {
        let p = QuantParams::from_range("x", -1.0, 3.0).unwrap();
        assert_eq!(p.scale, (4.0f64 / 255.0) as f32);
        assert_eq!(p.zero_point, -64); // round(-128 + 63.75)
        assert_eq!(p.quantize(0.0), -64);
        assert_eq!(p.quantize(-1.0), -128);
        assert_eq!(p.quantize(3.0), 127);
        assert_eq!(p.quantize(100.0), 127);
        assert_eq!(p.dequantize(p.quantize(0.0)), 0.0);
        assert_eq!(p.quantize(f32::NAN), -64);
        // Half a step rounds away from zero; just under half rounds toward it.
        let unit = QuantParams { scale: 1.0, zero_point: 0 };
        assert_eq!(
            [0.5, -0.5, 1.5, -2.5, 0.49999997, -0.49999997, 2.4999998].map(|x| unit.quantize(x)),
            [1, -1, 2, -3, 0, 0, 2]
        );
        for x in [-1e30, -300.0, 300.0, 1e30, f32::INFINITY] {
            assert_eq!(unit.quantize(x), if x > 0.0 { 127 } else { -128 });
        }
        // A range above zero is widened to start at 0: the zero point is -128.
        assert_eq!(QuantParams::from_range("x", 2.0, 5.1).unwrap().zero_point, -128);
        assert_eq!(QuantParams::from_range("x", 0.0, 0.0).unwrap(), QuantParams { scale: 1.0, zero_point: 0 });
    }

    #[test]
    fn bad_ranges_are_errors() {
        for (min, max) in [(f32::NAN, 1.0), (0.0, f32::INFINITY), (2.0, 1.0)] {
            assert!(matches!(
                QuantParams::from_range("fc1", min, max),
                Err(Error::NotQuantizable { layer: "fc1", .. })
            ));
        }
    }
}
