//! Scalar math for hot loops. With `std`, the compiler's intrinsics, which vectorise
//! (`sqrt` becomes one `vsqrtps` per 8 or 16 values); without it, `libm`.

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
