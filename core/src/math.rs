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
/// `m = max_j x_j`, so no `exp` overflows. The exponentials are the branch-free
/// polynomial of the recurrent gates, which vectorises (`libm`'s `expf` took a fifth of
/// a 64-32-10 training step), within 2 units in the last place of `expf`; it stops at `e^-87.3 ≈ 1.2e-38` where `expf` goes
/// on into the subnormals: a class more than 87 below the largest gets a probability of
/// about `1e-38 / Σ` instead of less, which no gradient or loss in f32 can tell apart.
pub fn softmax<const N: usize>(x: &[f32; N], y: &mut [f32; N]) {
    let max = max_propagating_nan(x);
    for (y, &x) in y.iter_mut().zip(x) {
        *y = crate::vector_math::exp(x - max);
    }
    let sum: f32 = y.iter().sum();
    y.iter_mut().for_each(|y| *y /= sum);
}

/// `max_j x_j`, NaN if any `x_j` is NaN (`-∞` for no values).
#[inline(always)]
pub(crate) fn max_propagating_nan<const N: usize>(x: &[f32; N]) -> f32 {
    x.iter().fold(f32::NEG_INFINITY, |m, &v| if v > m || v.is_nan() { v } else { m })
}
