//! Global average pooling: one mean per channel.

use super::batch_norm::lane_sum;
use crate::layer::{Forward, GradMode, Layer, Mode};
use rand::RngCore;

/// `y[c] = (1 / (H·W)) Σ_{h, w} x[c][h][w]`: the mean of each channel of an NCHW image, as
/// PyTorch's `nn.AdaptiveAvgPool2d(1)` followed by a flatten. Output `[f32; C]`.
///
/// Backward: `dx[c][h][w] = dy[c] / (H·W)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GlobalAvgPool<const C: usize, const H: usize, const W: usize>;

impl<const C: usize, const H: usize, const W: usize> Forward for GlobalAvgPool<C, H, W> {
    type Input = [[[f32; W]; H]; C];
    type Output = [f32; C];
    type Params = ();
    type State = ();
    type Scratch<const B: usize> = ();

    fn infer<const B: usize>(&self, _: &(), _: &(), x: &[Self::Input], y: &mut [[f32; C]], _: &mut ()) {
        const { assert!(H * W > 0, "GlobalAvgPool: the image must have at least one pixel") };
        let scale = 1.0 / (H * W) as f32;
        for (x, y) in x.iter().zip(y.iter_mut()) {
            for (x, y) in x.iter().zip(y.iter_mut()) {
                *y = lane_sum(x.as_flattened()) * scale;
            }
        }
    }
}

impl<const C: usize, const H: usize, const W: usize> Layer for GlobalAvgPool<C, H, W> {
    type Cache<const B: usize> = ();

    fn init<R: RngCore + ?Sized>(&self, _: &mut (), _: &mut (), _: &mut R) {}

    fn forward<const B: usize>(&self, _: &(), _: &(), x: &[Self::Input], y: &mut [[f32; C]], _: &mut (), _: Mode) {
        self.infer::<B>(&(), &(), x, y, &mut ());
    }

    fn backward<const B: usize>(
        &self,
        _: &(),
        _x: &[Self::Input],
        _y: &[[f32; C]],
        dy: &[[f32; C]],
        _: &mut (),
        dx: Option<&mut [Self::Input]>,
        _: &mut (),
        _: GradMode,
    ) {
        let Some(dx) = dx else { return };
        let scale = 1.0 / (H * W) as f32;
        for (dx, dy) in dx.iter_mut().zip(dy) {
            for (dx, &g) in dx.iter_mut().zip(dy) {
                dx.as_flattened_mut().fill(g * scale);
            }
        }
    }
}
