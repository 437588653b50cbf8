//! The softmax over the features of each sample.

use crate::layer::{Layer, Mode};
use rand::RngCore;

/// Softmax over each sample: `y_i = e^(x_i - m) / Σ_j e^(x_j - m)`, `m = max_j x_j`.
///
/// Backward: `dx_i = y_i (dy_i - Σ_j dy_j y_j)`. To train a classifier, prefer raw logits
/// with [`CrossEntropyLoss`](crate::loss::CrossEntropyLoss), which fuses both steps and
/// stays exact when the softmax saturates; a `Softmax` layer pairs with
/// [`NllLoss`](crate::loss::NllLoss) on probabilities.
#[derive(Clone, Copy, Debug, Default)]
pub struct Softmax<const N: usize>;

impl<const N: usize> Layer for Softmax<N> {
    type Input = [f32; N];
    type Output = [f32; N];
    type Params = ();
    type State = ();
    type Cache<const B: usize> = ();

    fn init<R: RngCore + ?Sized>(&self, _: &mut (), _: &mut (), _: &mut R) {}

    fn forward<const B: usize>(&self, _: &(), _: &(), x: &[[f32; N]], y: &mut [[f32; N]], _: &mut (), _: Mode) {
        for (x, y) in x.iter().zip(y) {
            softmax(x, y);
        }
    }

    fn backward<const B: usize>(
        &self,
        _: &(),
        _x: &[[f32; N]],
        y: &[[f32; N]],
        dy: &[[f32; N]],
        _: &mut (),
        dx: Option<&mut [[f32; N]]>,
        _: &mut (),
    ) {
        let Some(dx) = dx else { return };
        for ((y, dy), dx) in y.iter().zip(dy).zip(dx) {
            let dot: f32 = y.iter().zip(dy).map(|(y, g)| y * g).sum();
            for ((dx, y), g) in dx.iter_mut().zip(y).zip(dy) {
                *dx = y * (g - dot);
            }
        }
    }
}

/// Writes the softmax of `x` into `y`, subtracting the maximum first so no `exp` overflows.
pub(crate) fn softmax<const N: usize>(x: &[f32; N], y: &mut [f32; N]) {
    // `f32::max` skips a NaN here, but `e^(NaN - m)` is NaN, so NaN still propagates.
    let max = x.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let mut sum = 0.0;
    for (y, &x) in y.iter_mut().zip(x) {
        *y = libm::expf(x - max);
        sum += *y;
    }
    y.iter_mut().for_each(|y| *y /= sum);
}
