//! ReLU on int8 codes.

/// `y = max(x, zero_point)`: ReLU on codes of one scale and zero point, which the output
/// keeps. (A ReLU right after a `Dense` or `Conv2d` is fused into its clamp instead.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuantizedRelu {
    /// The code of real 0.
    pub zero_point: i8,
}

impl QuantizedRelu {
    /// `y` from `x`, over the shorter of the two.
    pub fn infer(&self, x: &[i8], y: &mut [i8]) {
        for (y, &x) in y.iter_mut().zip(x) {
            *y = x.max(self.zero_point);
        }
    }
}
