//! The softmax over the features of each sample.

use crate::layer::{Forward, GradMode, Layer, Mode};
use crate::math::softmax;
use rand::RngCore;

/// Softmax over each sample: `y_i = e^(x_i - m) / Σ_j e^(x_j - m)`, `m = max_j x_j`.
///
/// Backward: `dx_i = y_i (dy_i - Σ_j dy_j y_j)`. To train a classifier, prefer raw logits
/// with [`CrossEntropyLoss`](crate::loss::CrossEntropyLoss), which fuses both steps and
/// stays exact when the softmax saturates; a `Softmax` layer pairs with
/// [`NllLoss`](crate::loss::NllLoss) on probabilities.
#[derive(Clone, Copy, Debug, Default)]
pub struct Softmax<const N: usize>;

impl<const N: usize> Forward for Softmax<N> {
    type Input = [f32; N];
    type Output = [f32; N];
    type Params = ();
    type State = ();
    type Scratch<const B: usize> = ();

    fn infer<const B: usize>(&self, _: &(), _: &(), x: &[[f32; N]], y: &mut [[f32; N]], _: &mut ()) {
        for (x, y) in x.iter().zip(y) {
            softmax(x, y);
        }
    }
}

impl<const N: usize> Layer for Softmax<N> {
    type Cache<const B: usize> = ();

    fn init<R: RngCore + ?Sized>(&self, _: &mut (), _: &mut (), _: &mut R) {}

    fn forward<const B: usize>(&self, _: &(), _: &(), x: &[[f32; N]], y: &mut [[f32; N]], _: &mut (), _: Mode) {
        self.infer::<B>(&(), &(), x, y, &mut ());
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
        _: GradMode,
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
