//! Feature scaling with scikit-learn's definitions: standardisation and min-max scaling.

use crate::error::Error;

/// A per-feature affine map `x' = (x - offset) / scale` fitted on training samples, then
/// applied unchanged to validation, test and new data; its inverse maps predictions of a
/// scaled regression target back to the target's units.
pub trait Scaler<const N: usize>: Sized {
    /// Name written into saved files (the scikit-learn class name).
    const KIND: &'static str;

    /// Fits on `samples` (the training split only: statistics of the test split would
    /// leak into the model). No samples is [`Error::EmptyBatch`]; a non-finite value
    /// [`Error::NonFiniteInput`].
    fn fit(samples: &[[f32; N]]) -> Result<Self, Error>;

    /// The subtracted `offset` and divisor `scale` of each feature.
    fn parts(&self) -> (&[f32; N], &[f32; N]);

    /// A scaler from saved parts; a zero or non-finite scale or a non-finite offset is
    /// [`Error::NonFiniteInput`] (row 0 for offsets, 1 for scales).
    fn from_parts(offset: [f32; N], scale: [f32; N]) -> Result<Self, Error>;

    /// `(x - offset) / scale`.
    fn transform(&self, x: &[f32; N]) -> [f32; N] {
        let (offset, scale) = self.parts();
        core::array::from_fn(|i| (x[i] - offset[i]) / scale[i])
    }

    /// `x' · scale + offset`, the inverse of [`Scaler::transform`].
    fn inverse_transform(&self, x: &[f32; N]) -> [f32; N] {
        let (offset, scale) = self.parts();
        core::array::from_fn(|i| x[i] * scale[i] + offset[i])
    }

    /// [`Scaler::transform`] of every sample, in place.
    fn transform_all(&self, samples: &mut [[f32; N]]) {
        samples.iter_mut().for_each(|x| *x = self.transform(x));
    }
}

/// Standardisation, scikit-learn's `StandardScaler`: `x' = (x - μ) / σ` with the mean `μ`
/// and the population standard deviation `σ = sqrt(Σ (x - μ)² / n)` of each feature over
/// the training samples (accumulated in f64). A constant feature has `σ = 1` (it becomes 0),
/// never a division by zero.
///
/// ```
/// use staticnet_core::data::{Scaler, StandardScaler};
///
/// let train = [[1.0, 10.0], [3.0, 10.0]];
/// let scaler = StandardScaler::fit(&train)?;
/// assert_eq!((scaler.mean, scaler.scale), ([2.0, 10.0], [1.0, 1.0]));
/// assert_eq!(scaler.transform(&[3.0, 12.0]), [1.0, 2.0]);
/// assert_eq!(scaler.inverse_transform(&[1.0, 2.0]), [3.0, 12.0]);
/// # Ok::<(), staticnet_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StandardScaler<const N: usize> {
    /// Mean of each feature.
    pub mean: [f32; N],
    /// Population standard deviation of each feature (1 where it is 0).
    pub scale: [f32; N],
}

/// Min-max scaling to `[0, 1]`, scikit-learn's `MinMaxScaler` with its default
/// `feature_range=(0, 1)`: `x' = (x - min) / (max - min)` per feature over the training
/// samples. A constant feature has range 1 (it becomes 0). Values outside the training
/// range map outside `[0, 1]` (scikit-learn's default `clip=False`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MinMaxScaler<const N: usize> {
    /// Minimum of each feature.
    pub min: [f32; N],
    /// `max - min` of each feature (1 where it is 0).
    pub scale: [f32; N],
}

/// [`Error::EmptyBatch`] or [`Error::NonFiniteInput`] for the first non-finite value.
fn check<const N: usize>(samples: &[[f32; N]]) -> Result<(), Error> {
    if samples.is_empty() {
        return Err(Error::EmptyBatch);
    }
    for (row, x) in samples.iter().enumerate() {
        if let Some((index, &value)) = x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::NonFiniteInput { row, index, value });
        }
    }
    Ok(())
}

/// [`Error::NonFiniteInput`] unless every offset is finite and every scale finite and
/// non-zero.
fn check_parts<const N: usize>(offset: &[f32; N], scale: &[f32; N]) -> Result<(), Error> {
    if let Some((index, &value)) = offset.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(Error::NonFiniteInput { row: 0, index, value });
    }
    if let Some((index, &value)) = scale.iter().enumerate().find(|(_, v)| !v.is_finite() || **v == 0.0) {
        return Err(Error::NonFiniteInput { row: 1, index, value });
    }
    Ok(())
}

/// A scale of 0 (a constant feature) becomes 1, as scikit-learn's `_handle_zeros_in_scale`.
fn nonzero(scale: f64) -> f32 {
    if scale == 0.0 || (scale as f32) == 0.0 { 1.0 } else { scale as f32 }
}

impl<const N: usize> Scaler<N> for StandardScaler<N> {
    const KIND: &'static str = "StandardScaler";

    fn fit(samples: &[[f32; N]]) -> Result<Self, Error> {
        check(samples)?;
        let n = samples.len() as f64;
        let mean: [f64; N] = core::array::from_fn(|i| samples.iter().map(|x| f64::from(x[i])).sum::<f64>() / n);
        let scale = core::array::from_fn(|i| {
            let var = samples.iter().map(|x| (f64::from(x[i]) - mean[i]).powi(2)).sum::<f64>() / n;
            nonzero(libm::sqrt(var))
        });
        Ok(StandardScaler { mean: mean.map(|m| m as f32), scale })
    }

    fn parts(&self) -> (&[f32; N], &[f32; N]) {
        (&self.mean, &self.scale)
    }

    fn from_parts(mean: [f32; N], scale: [f32; N]) -> Result<Self, Error> {
        check_parts(&mean, &scale)?;
        Ok(StandardScaler { mean, scale })
    }
}

impl<const N: usize> Scaler<N> for MinMaxScaler<N> {
    const KIND: &'static str = "MinMaxScaler";

    fn fit(samples: &[[f32; N]]) -> Result<Self, Error> {
        check(samples)?;
        let min: [f32; N] = core::array::from_fn(|i| samples.iter().map(|x| x[i]).fold(f32::INFINITY, f32::min));
        let scale = core::array::from_fn(|i| {
            let max = samples.iter().map(|x| x[i]).fold(f32::NEG_INFINITY, f32::max);
            nonzero(f64::from(max) - f64::from(min[i]))
        });
        Ok(MinMaxScaler { min, scale })
    }

    fn parts(&self) -> (&[f32; N], &[f32; N]) {
        (&self.min, &self.scale)
    }

    fn from_parts(min: [f32; N], scale: [f32; N]) -> Result<Self, Error> {
        check_parts(&min, &scale)?;
        Ok(MinMaxScaler { min, scale })
    }
}
