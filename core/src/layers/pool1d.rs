//! 1-D pooling on `[C, L]` signals, PyTorch's `nn.MaxPool1d` and `nn.AvgPool1d`: the 2-D
//! layers on images one row high, through a view (`[[f32; L]; C]` and `[[[f32; L]; 1]; C]`
//! are the same values in the same order), so the two share one implementation.

use super::{AvgPool2d, MaxPool2d, MaxPool2dCache};
use crate::flat::{reshape, reshape_mut};
use crate::layer::{Forward, GradMode, Layer, Mode};
use rand::RngCore;

/// Max pooling over windows of `K` moved by `S` on `[C, L]` signals, each channel on its
/// own, as `nn.MaxPool1d(K, S, P)`: `y[c][j] = max_{u < K} xpad[c][j·S + u]`, `xpad` padded
/// with `P` values of `-inf` at each end (at most half the window),
/// `OL = (L + 2P - K) / S + 1`. Backward sends each window's `dy` to its first maximum;
/// overlapping windows add up. It is [`MaxPool2d`] on `[C, 1, L]` images.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MaxPool1d<const C: usize, const L: usize, const K: usize, const S: usize, const P: usize, const OL: usize>;

/// Average pooling over windows of `K` moved by `S` on `[C, L]` signals, as
/// `nn.AvgPool1d(K, S, P)` with `count_include_pad=True`: the padding counts as zeros and
/// the divisor is always `K`. It is [`AvgPool2d`] on `[C, 1, L]` images.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AvgPool1d<const C: usize, const L: usize, const K: usize, const S: usize, const P: usize, const OL: usize>;

/// The 2-D layer a 1-D one is.
type Max2d<const C: usize, const L: usize, const K: usize, const S: usize, const P: usize, const OL: usize> =
    MaxPool2d<C, 1, L, 1, K, 1, S, 0, P, 1, OL>;
type Avg2d<const C: usize, const L: usize, const K: usize, const S: usize, const P: usize, const OL: usize> =
    AvgPool2d<C, 1, L, 1, K, 1, S, 0, P, 1, OL>;

macro_rules! pool1d {
    ($name:ident, $inner:ident, $cache:ty) => {
        impl<const C: usize, const L: usize, const K: usize, const S: usize, const P: usize, const OL: usize> Forward
            for $name<C, L, K, S, P, OL>
        {
            type Input = [[f32; L]; C];
            type Output = [[f32; OL]; C];
            type Params = ();
            type State = ();
            type Scratch<const B: usize> = ();

            fn infer<const B: usize>(&self, _: &(), _: &(), x: &[Self::Input], y: &mut [Self::Output], _: &mut ()) {
                $inner::<C, L, K, S, P, OL>::default().infer::<B>(&(), &(), reshape(x), reshape_mut(y), &mut ());
            }
        }

        impl<const C: usize, const L: usize, const K: usize, const S: usize, const P: usize, const OL: usize> Layer
            for $name<C, L, K, S, P, OL>
        {
            type Cache<const B: usize> = $cache;

            fn init<R: RngCore + ?Sized>(&self, _: &mut (), _: &mut (), _: &mut R) {}

            fn forward<const B: usize>(
                &self,
                _: &(),
                _: &(),
                x: &[Self::Input],
                y: &mut [Self::Output],
                cache: &mut Self::Cache<B>,
                mode: Mode,
            ) {
                $inner::<C, L, K, S, P, OL>::default().forward::<B>(&(), &(), reshape(x), reshape_mut(y), cache, mode);
            }

            fn backward<const B: usize>(
                &self,
                _: &(),
                x: &[Self::Input],
                y: &[Self::Output],
                dy: &[Self::Output],
                cache: &mut Self::Cache<B>,
                dx: Option<&mut [Self::Input]>,
                _: &mut (),
                mode: GradMode,
            ) {
                $inner::<C, L, K, S, P, OL>::default().backward::<B>(
                    &(),
                    reshape(x),
                    reshape(y),
                    reshape(dy),
                    cache,
                    dx.map(|dx| reshape_mut(dx)),
                    &mut (),
                    mode,
                );
            }
        }
    };
}

pool1d!(MaxPool1d, Max2d, MaxPool2dCache<C, 1, OL, B>);
pool1d!(AvgPool1d, Avg2d, ());
