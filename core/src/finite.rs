//! Finding NaN and infinity where propagation alone cannot be relied on.
//!
//! Every layer and loss propagates NaN as PyTorch does, so a non-finite value anywhere in
//! a forward pass shows in the loss. What propagation cannot catch is checked here: the
//! inputs and targets of a batch (before the forward pass, so the error names the row)
//! and the parameter gradients (a finite loss can still have an overflowing backward
//! pass), before the optimizer touches anything.

use crate::error::Error;
use crate::flat::{Flat, flatten};
use crate::gemm::vectorised;

/// Whether every value is finite: `Σ x·0` over 64 lanes (16 without the x86-64 vector
/// kernels) stays 0 unless some `x` is NaN or infinite (`±inf · 0 = NaN`). Lane-wise float
/// adds vectorise on any x86-64 (unlike an integer max, which needs SSE4.1), and run in
/// the widest vectors the processor has.
#[inline]
pub fn all_finite(values: &[f32]) -> bool {
    vectorised(
        #[inline(always)]
        || {
            let (chunks, tail) = values.as_chunks::<LANES>();
            let mut lanes = [0.0f32; LANES];
            for chunk in chunks {
                for (lane, &v) in lanes.iter_mut().zip(chunk) {
                    *lane += v * 0.0;
                }
            }
            lanes.iter().all(|&lane| lane == 0.0) && tail.iter().all(|v| v.is_finite())
        },
    )
}

/// The sums of [`all_finite`]: with the vector kernels of x86-64, 64 (4 to 8 independent
/// sums in vector registers, enough to hide the adds' latency; the gradients of 784-128-10,
/// 101,770 values, took 10 µs with 16 lanes in SSE2, about 5% of its step); elsewhere 16,
/// which a microcontroller without vector registers keeps on its stack.
const LANES: usize = if cfg!(all(feature = "std", target_arch = "x86_64")) { 64 } else { 16 };

/// Index and value of the first NaN or infinity in `values`, if any.
pub fn first_non_finite(values: &[f32]) -> Option<(usize, f32)> {
    if all_finite(values) {
        return None;
    }
    values.iter().copied().enumerate().find(|(_, v)| !v.is_finite())
}

/// The first non-finite value of a batch as `(row, index in the row, value)`.
fn first_in_rows<T: Flat>(rows: &[T]) -> Option<(usize, usize, f32)> {
    let (i, v) = first_non_finite(flatten(rows))?;
    let width = T::LEN.max(1);
    Some((i / width, i % width, v))
}

/// [`Error::NonFiniteInput`] for the first NaN or infinity in a batch of inputs.
pub fn check_inputs<T: Flat>(inputs: &[T]) -> Result<(), Error> {
    match first_in_rows(inputs) {
        Some((row, index, value)) => Err(Error::NonFiniteInput { row, index, value }),
        None => Ok(()),
    }
}

/// [`Error::NonFiniteTarget`] for the first NaN or infinity in a batch of targets.
pub fn check_targets<T: Flat>(targets: &[T]) -> Result<(), Error> {
    match first_in_rows(targets) {
        Some((row, index, value)) => Err(Error::NonFiniteTarget { row, index, value }),
        None => Ok(()),
    }
}

/// [`Error::NonFiniteGradient`] for the first NaN or infinity in a parameter gradient block.
pub fn check_gradients<P: Flat>(grads: &P) -> Result<(), Error> {
    match first_non_finite(grads.as_flat()) {
        Some((index, value)) => Err(Error::NonFiniteGradient { index, value }),
        None => Ok(()),
    }
}

/// [`Error::NonFiniteLoss`] unless `loss` is finite.
pub fn check_loss(loss: f32) -> Result<f32, Error> {
    if loss.is_finite() { Ok(loss) } else { Err(Error::NonFiniteLoss(loss)) }
}

/// `x` clamped below at `low`, keeping NaN (`f32::max` would return `low`).
#[inline(always)]
pub(crate) fn max_keep_nan(x: f32, low: f32) -> f32 {
    if x < low { low } else { x }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_nan_or_infinity() {
        assert_eq!(first_non_finite(&[0.0, -1.0, f32::MAX, f32::MIN_POSITIVE]), None);
        assert_eq!(first_non_finite(&[0.0, f32::INFINITY, f32::NAN]), Some((1, f32::INFINITY)));
        assert_eq!(first_non_finite(&[0.0, 2.0, 3.0, f32::NEG_INFINITY]), Some((3, f32::NEG_INFINITY)));
        assert!(first_non_finite(&[1.0, -f32::NAN]).is_some_and(|(i, v)| i == 1 && v.is_nan()));
        // In the 64-lane body as well as in the tail, at every position.
        for len in [15, 63, 64, 65, 130] {
            for i in 0..len {
                let mut v = std::vec![f32::MAX; len];
                v[i] = f32::NEG_INFINITY;
                assert_eq!(first_non_finite(&v), Some((i, f32::NEG_INFINITY)));
            }
        }
    }

    #[test]
    fn names_the_row_and_index() {
        let rows = [[0.0f32; 3], [0.0, 0.0, f32::NAN]];
        assert!(matches!(check_inputs(&rows), Err(Error::NonFiniteInput { row: 1, index: 2, .. })));
        assert!(matches!(check_targets(&rows), Err(Error::NonFiniteTarget { row: 1, index: 2, .. })));
        assert_eq!(check_loss(f32::INFINITY), Err(Error::NonFiniteLoss(f32::INFINITY)));
        assert!(max_keep_nan(f32::NAN, 0.0).is_nan() && max_keep_nan(-1.0, 0.0) == 0.0);
    }
}
