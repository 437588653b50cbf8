//! How a kernel multiplies and adds: separately (portable), or fused into one rounding
//! (`fma`), which halves the instructions where the processor has it.

/// `a · b + c`.
pub trait MulAdd {
    /// `a · b + c`, rounded once ([`Fused`]) or twice ([`Separate`]).
    fn mul_add(a: f32, b: f32, c: f32) -> f32;
}

/// A multiplication then an addition: any target, no `std` needed.
pub struct Separate;

impl MulAdd for Separate {
    #[inline(always)]
    fn mul_add(a: f32, b: f32, c: f32) -> f32 {
        a * b + c
    }
}

/// A fused multiply-add. Only used inside functions compiled with the `fma` target
/// feature, where it is one instruction (elsewhere `f32::mul_add` is a slow library call).
#[cfg(feature = "std")]
pub struct Fused;

#[cfg(feature = "std")]
impl MulAdd for Fused {
    #[inline(always)]
    fn mul_add(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
}

/// The same choice made at run time, for the elementwise loops of [`super::vectorised_fma`]:
/// after inlining into a kernel's function the compiler sees which variant it is and keeps
/// that arm only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fma {
    /// [`Separate`]: the portable path.
    Separate,
    /// [`Fused`]: the AVX2 and AVX-512 paths, compiled with `fma`.
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    Fused,
}

impl Fma {
    /// `a · b + c`, as [`MulAdd::mul_add`] of the chosen kind.
    #[inline(always)]
    pub(crate) fn mul_add(self, a: f32, b: f32, c: f32) -> f32 {
        match self {
            Fma::Separate => Separate::mul_add(a, b, c),
            #[cfg(all(feature = "std", target_arch = "x86_64"))]
            Fma::Fused => Fused::mul_add(a, b, c),
        }
    }
}
