//! Reshaping any sample to a flat vector, PyTorch's `nn.Flatten`.

use core::marker::PhantomData;

use crate::flat::{Flat, flatten, flatten_mut};
use crate::layer::{Forward, GradMode, Layer, Mode};
use rand::RngCore;

/// `y = x` with the sample `S` (e.g. an image `[[[f32; W]; H]; C]`) viewed as `[f32; N]`,
/// in row-major (C, H, W) order, as PyTorch's `nn.Flatten` on NCHW tensors. A copy.
/// `N` must be `S::LEN` (a compile error otherwise).
///
/// Backward: `dx = dy` reshaped back.
pub struct Flatten<S, const N: usize> {
    _shape: PhantomData<fn() -> S>,
}

impl<S, const N: usize> Default for Flatten<S, N> {
    fn default() -> Self {
        Flatten { _shape: PhantomData }
    }
}

impl<S, const N: usize> Clone for Flatten<S, N> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S, const N: usize> Copy for Flatten<S, N> {}
impl<S, const N: usize> core::fmt::Debug for Flatten<S, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Flatten<{N}>")
    }
}

impl<S: Flat, const N: usize> Forward for Flatten<S, N> {
    type Input = S;
    type Output = [f32; N];
    type Params = ();
    type State = ();
    type Scratch<const B: usize> = ();

    fn infer<const B: usize>(&self, _: &(), _: &(), x: &[S], y: &mut [[f32; N]], _: &mut ()) {
        const { assert!(S::LEN == N, "Flatten<S, N>: N must be the number of values of the sample S") };
        flatten_mut(y).copy_from_slice(flatten(x));
    }
}

impl<S: Flat, const N: usize> Layer for Flatten<S, N> {
    type Cache<const B: usize> = ();

    fn init<R: RngCore + ?Sized>(&self, _: &mut (), _: &mut (), _: &mut R) {}

    fn forward<const B: usize>(&self, _: &(), _: &(), x: &[S], y: &mut [[f32; N]], _: &mut (), _: Mode) {
        self.infer::<B>(&(), &(), x, y, &mut ());
    }

    fn backward<const B: usize>(
        &self,
        _: &(),
        _x: &[S],
        _y: &[[f32; N]],
        dy: &[[f32; N]],
        _: &mut (),
        dx: Option<&mut [S]>,
        _: &mut (),
        _: GradMode,
    ) {
        if let Some(dx) = dx {
            flatten_mut(dx).copy_from_slice(flatten(dy));
        }
    }
}
