//! Scalar math for hot loops and the functions layers and losses share. With `std`, the
//! compiler's intrinsics, which vectorise (`sqrt` becomes one `vsqrtps` per 8 or 16
//! values); without it, `libm`.

/// `√x`.
#[inline(always)]
pub fn sqrt(x: f32) -> f32 {
    #[cfg(feature = "std")]
    {
        x.sqrt()
    }
    #[cfg(not(feature = "std"))]
    {
        libm::sqrtf(x)
    }
}

/// The logistic function `1 / (1 + e^-x)`, evaluated without overflow for any `x`.
pub fn logistic(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + libm::expf(-x))
    } else {
        let e = libm::expf(x);
        e / (1.0 + e)
    }
}

/// Writes the softmax of `x` into `y`, `y_i = e^(x_i - m) / Σ_j e^(x_j - m)` with
/// `m = max_j x_j`, so no `exp` overflows.
pub fn softmax<const N: usize>(x: &[f32; N], y: &mut [f32; N]) {
    let max = x.iter().fold(f32::NEG_INFINITY, |m, &v| if v > m || v.is_nan() { v } else { m });
    let mut sum = 0.0;
    for (y, &x) in y.iter_mut().zip(x) {
        *y = libm::expf(x - max);
        sum += *y;
    }
    y.iter_mut().for_each(|y| *y /= sum);
}
