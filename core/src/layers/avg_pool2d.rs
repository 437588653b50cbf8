//! 2-D average pooling, PyTorch's `nn.AvgPool2d` (`ceil_mode = False`,
//! `count_include_pad = True`).

use super::max_pool2d::{pool_shapes_agree, window};
use crate::layer::{Forward, GradMode, Layer, Mode};
use rand::RngCore;

/// Average pooling over `KH × KW` windows moved by `SH`, `SW` on NCHW images, each channel
/// on its own, as PyTorch's `nn.AvgPool2d` with its defaults:
///
/// `y[c][i][j] = (1 / (KH·KW)) Σ_{u < KH, v < KW} xpad[c][i·SH + u][j·SW + v]`
///
/// where `xpad` is `x` padded with `PH` rows and `PW` columns of zeros, and the divisor is
/// always `KH·KW`, also for windows that overlap the padding (`count_include_pad = True`).
/// Output size and padding limit as for [`MaxPool2d`](super::MaxPool2d).
///
/// Backward: `dy[c][i][j] / (KH·KW)` is added to every input element of window `(i, j)`;
/// where windows overlap, the gradients add up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AvgPool2d<
    const C: usize,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const OH: usize,
    const OW: usize,
>;

impl<
    const C: usize,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const OH: usize,
    const OW: usize,
> Forward for AvgPool2d<C, H, W, KH, KW, SH, SW, PH, PW, OH, OW>
{
    type Input = [[[f32; W]; H]; C];
    type Output = [[[f32; OW]; OH]; C];
    type Params = ();
    type State = ();
    type Scratch<const B: usize> = ();

    fn infer<const B: usize>(&self, _: &(), _: &(), x: &[Self::Input], y: &mut [Self::Output], _: &mut ()) {
        const {
            assert!(
                pool_shapes_agree(H, W, KH, KW, SH, SW, PH, PW, OH, OW),
                "AvgPool2d: OH and OW must be (H + 2PH - KH) / SH + 1 and (W + 2PW - KW) / SW + 1, \
                 with window and stride >= 1 and padding at most half the window"
            )
        };
        let scale = 1.0 / (KH * KW) as f32;
        for (x, y) in x.iter().zip(y.iter_mut()) {
            for (x, y) in x.iter().zip(y.iter_mut()) {
                for (i, y) in y.iter_mut().enumerate() {
                    let rows = window(i, SH, PH, KH, H);
                    for (j, y) in y.iter_mut().enumerate() {
                        let cols = window(j, SW, PW, KW, W);
                        let sum: f32 = x[rows.clone()].iter().map(|row| row[cols.clone()].iter().sum::<f32>()).sum();
                        *y = sum * scale;
                    }
                }
            }
        }
    }
}

impl<
    const C: usize,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const OH: usize,
    const OW: usize,
> Layer for AvgPool2d<C, H, W, KH, KW, SH, SW, PH, PW, OH, OW>
{
    type Cache<const B: usize> = ();

    fn init<R: RngCore + ?Sized>(&self, _: &mut (), _: &mut (), _: &mut R) {}

    fn forward<const B: usize>(&self, _: &(), _: &(), x: &[Self::Input], y: &mut [Self::Output], _: &mut (), _: Mode) {
        self.infer::<B>(&(), &(), x, y, &mut ());
    }

    fn backward<const B: usize>(
        &self,
        _: &(),
        _x: &[Self::Input],
        _y: &[Self::Output],
        dy: &[Self::Output],
        _: &mut (),
        dx: Option<&mut [Self::Input]>,
        _: &mut (),
        _: GradMode,
    ) {
        let Some(dx) = dx else { return };
        let scale = 1.0 / (KH * KW) as f32;
        for (dx, dy) in dx.iter_mut().zip(dy) {
            for (dx, dy) in dx.iter_mut().zip(dy) {
                dx.iter_mut().for_each(|row| row.fill(0.0));
                for (i, dy) in dy.iter().enumerate() {
                    let rows = window(i, SH, PH, KH, H);
                    for (j, &g) in dy.iter().enumerate() {
                        let cols = window(j, SW, PW, KW, W);
                        for row in &mut dx[rows.clone()] {
                            row[cols.clone()].iter_mut().for_each(|d| *d += g * scale);
                        }
                    }
                }
            }
        }
    }
}
