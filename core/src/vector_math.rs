//! `exp`, the logistic function and `tanh` without branches or calls, so that a loop over
//! them vectorises (4 to 16 values per instruction) where `libm`'s scalar functions run one
//! value at a time. The recurrent cells evaluate five of them per hidden unit and step.
//!
//! `exp` is Cephes' (`expf.c`): `e^x = 2^n · e^r` with `n = round(x / ln 2)` and
//! `|r| ≤ ln 2 / 2`, `e^r` by a degree-6 polynomial and `2^n` written into the exponent
//! bits; the logistic function is `1 / (1 + e^-x)`. `tanh` is a rational function fitted
//! for this file (`scripts/fit_tanh.py`), which needs no `e^x`. The relative error is a few
//! units in the last place (the tests bound it against `libm`). Where staticnet's results
//! differ from PyTorch's (which uses SLEEF, within 1 ulp) they differ by that much.
//! NaN propagates through all three, as in PyTorch. Inside the vector kernels
//! ([`crate::gemm::vectorised_fma`]) the multiply-adds are fused, one rounding fewer each.

use crate::gemm::Fma;

/// `ln 2` split in two for an exact `n · ln 2` (Cephes' `C1 + C2`).
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// Beyond these `e^x` would leave the normal f32 range; inputs are clamped to them.
const EXP_MAX: f32 = 88.3;
const EXP_MIN: f32 = -87.3;
/// `1.5 · 2^23`: adding and subtracting it rounds an f32 below `2^22` to an integer.
const ROUNDER: f32 = 12_582_912.0;

/// `e^x`, clamped to the normal range: `e^88.3` above, `e^-87.3` below (where `expf` gives
/// infinity and subnormals). NaN stays NaN.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    exp_with(x, Fma::Separate)
}

/// [`exp`] with its multiply-adds done as `m` says (fused inside the vector kernels).
#[inline(always)]
pub(crate) fn exp_with(x: f32, m: Fma) -> f32 {
    // `if` on a comparison, not `max`/`min`: a NaN fails both tests and passes through.
    let x = if x > EXP_MAX { EXP_MAX } else { x };
    let x = if x < EXP_MIN { EXP_MIN } else { x };
    let n = m.mul_add(x, core::f32::consts::LOG2_E, ROUNDER) - ROUNDER;
    let r = m.mul_add(n, -LN2_LO, m.mul_add(n, -LN2_HI, x));
    let p = [1.398_2e-3, 8.333_452e-3, 4.166_579_6e-2, 0.166_666_65, 0.5]
        .into_iter()
        .fold(1.987_569_2e-4, |p, c| m.mul_add(p, r, c));
    let e_r = m.mul_add(p * r, r, r) + 1.0;
    // 2^n for n in -126..=127: the biased exponent n + 127 in bits 23..31, read off the
    // low mantissa bits of `n + 127 + ROUNDER` (exact: integers below 2^24). Not `n as
    // i32`: a saturating float-to-int cast does not vectorise.
    let scale = f32::from_bits((n + (127.0 + ROUNDER)).to_bits() << 23);
    e_r * scale
}

/// The logistic function `σ(x) = 1 / (1 + e^-x)`, multiply-adds as `m` says.
#[inline(always)]
pub(crate) fn logistic_with(x: f32, m: Fma) -> f32 {
    1.0 / (1.0 + exp_with(-x, m))
}

/// Beyond this `|x|` the rational form of [`tanh_with`] is not fitted; `tanh x` rounds to
/// ±1 in f32 from 9.01 on.
const TANH_CLAMP: f32 = 9.5;
/// The numerator `P(z)` of [`tanh_with`], highest power first.
const TANH_P: [f32; 7] =
    [-7.126_967e-14, 4.731_592_2e-11, -1.906_250_6e-8, 1.086_289_2e-5, 3.075_868_8e-3, 0.130_588_14, 1.0];
/// The denominator `Q(z)`, highest power first.
const TANH_Q: [f32; 4] = [2.505_368_6e-4, 2.438_315_7e-2, 0.463_921_37, 1.0];

/// `tanh x ≈ sign(x) min(1, a P(a²) / Q(a²))` with `a = min(|x|, 9.5)`: `P` of degree 6
/// and `Q` of degree 3, fitted for the least largest relative error on `[0, 9.5]`
/// (`scripts/fit_tanh.py`: 1.6e-8 in exact arithmetic, within 2.5 ulp in f32).
/// One division and no `e^x`: about half the work of Cephes' `1 - 2 / (e^{2|x|} + 1)`
/// (`examples/mnist_rows.rs`' LSTM epoch went from 0.185 to 0.174 s with AVX-512 on an
/// Intel Xeon). Multiply-adds as `m` says.
#[inline(always)]
pub(crate) fn tanh_with(x: f32, m: Fma) -> f32 {
    // `if` on a comparison, not `min`: a NaN fails the test and passes through.
    let a = x.abs();
    let a = if a > TANH_CLAMP { TANH_CLAMP } else { a };
    let z = a * a;
    let horner = |c: &[f32]| c.iter().skip(1).fold(c[0], |p, &c| m.mul_add(p, z, c));
    let t = a * horner(&TANH_P) / horner(&TANH_Q);
    let t = if t > 1.0 { 1.0 } else { t };
    t.copysign(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The largest error of `f` against `reference` over `lo..hi` (relative, or absolute
    /// where the value is below `floor`), in multiples of f32's epsilon.
    fn worst(f: impl Fn(f32) -> f32, reference: fn(f32) -> f32, lo: f32, hi: f32, floor: f32) -> f32 {
        let steps = 200_000;
        (0..=steps)
            .map(|i| {
                let x = lo + (hi - lo) * i as f32 / steps as f32;
                let (got, want) = (f(x), reference(x));
                (got - want).abs() / want.abs().max(floor) / f32::EPSILON
            })
            .fold(0.0, f32::max)
    }

    /// Both kinds of multiply-add this target has (outside a kernel, a fused one is
    /// `f32::mul_add`'s library call: the same value, slowly).
    fn kinds() -> impl Iterator<Item = Fma> {
        [
            Fma::Separate,
            #[cfg(all(feature = "std", target_arch = "x86_64"))]
            Fma::Fused,
        ]
        .into_iter()
    }

    #[test]
    fn exp_is_within_a_few_ulp_of_libm() {
        for m in kinds() {
            let e = worst(|x| exp_with(x, m), libm::expf, -87.0, 88.0, 0.0);
            assert!(e < 2.0, "exp ({m:?}): {e} epsilons");
        }
    }

    #[test]
    fn logistic_and_tanh_are_within_a_few_ulp_of_libm() {
        for m in kinds() {
            let e = worst(|x| logistic_with(x, m), crate::math::logistic, -30.0, 30.0, 1e-30);
            assert!(e < 3.0, "logistic ({m:?}): {e} epsilons");
            // Relative near zero, where tanh x ≈ x; absolute against 1 near saturation.
            let e = worst(|x| tanh_with(x, m), libm::tanhf, -10.0, 10.0, 0.0);
            assert!(e < 3.0, "tanh ({m:?}): {e} epsilons");
            let e = worst(|x| tanh_with(x, m), libm::tanhf, -1e-3, 1e-3, 0.0);
            assert!(e < 2.0, "tanh near 0 ({m:?}): {e} epsilons");
        }
    }

    #[test]
    fn extremes_saturate_and_nan_propagates() {
        for m in kinds() {
            let (logistic, tanh) = (|x| logistic_with(x, m), |x| tanh_with(x, m));
            // σ saturates to 1 above; below it reaches e^-88.3 ≈ 5e-39 rather than 0.
            assert_eq!((logistic(200.0), logistic(f32::INFINITY)), (1.0, 1.0));
            for x in [-200.0, f32::NEG_INFINITY] {
                assert!((0.0..1e-37).contains(&logistic(x)), "σ({x}) = {}", logistic(x));
            }
            assert_eq!((tanh(50.0), tanh(-50.0), tanh(f32::INFINITY), tanh(f32::NEG_INFINITY)), (1.0, -1.0, 1.0, -1.0));
            assert!(exp_with(f32::NAN, m).is_nan() && logistic(f32::NAN).is_nan() && tanh(f32::NAN).is_nan());
            assert_eq!(tanh(0.0).to_bits(), 0.0f32.to_bits());
            // Odd, and never beyond ±1 (1 - tanh² is a derivative in the backward pass).
            for i in 0..=100_000 {
                let x = i as f32 * 1e-4;
                assert!(tanh(x) <= 1.0 && tanh(-x) == -tanh(x), "tanh({x}) = {}", tanh(x));
            }
            assert_eq!(tanh(-0.0).to_bits(), (-0.0f32).to_bits());
        }
    }
}
