//! Int8 samples: nested arrays of `i8` viewed as their values in row-major order.

use crate::flat::Zeroable;

/// A sample of int8 values: `[i8; N]`, an image `[[[i8; W]; H]; C]`, ... viewed as one
/// row-major slice (safely, through `as_flattened`), as [`Flat`](crate::Flat) views f32
/// blocks.
pub trait Int8Sample: Zeroable + Copy {
    /// Number of values.
    const LEN: usize;
    /// The values in row-major order.
    fn as_values(&self) -> &[i8];
    /// Mutable form of [`Int8Sample::as_values`].
    fn as_values_mut(&mut self) -> &mut [i8];
}

impl<const N: usize> Int8Sample for [i8; N] {
    const LEN: usize = N;
    fn as_values(&self) -> &[i8] {
        self
    }
    fn as_values_mut(&mut self) -> &mut [i8] {
        self
    }
}

impl<const N: usize, const M: usize> Int8Sample for [[i8; N]; M] {
    const LEN: usize = N * M;
    fn as_values(&self) -> &[i8] {
        self.as_flattened()
    }
    fn as_values_mut(&mut self) -> &mut [i8] {
        self.as_flattened_mut()
    }
}

impl<const N: usize, const M: usize, const K: usize> Int8Sample for [[[i8; N]; M]; K] {
    const LEN: usize = N * M * K;
    fn as_values(&self) -> &[i8] {
        self.as_flattened().as_flattened()
    }
    fn as_values_mut(&mut self) -> &mut [i8] {
        self.as_flattened_mut().as_flattened_mut()
    }
}
