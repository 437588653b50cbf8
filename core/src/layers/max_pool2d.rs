//! 2-D max pooling, PyTorch's `nn.MaxPool2d` (dilation 1, `ceil_mode = False`).

use crate::flat::Zeroable;
use crate::layer::{Forward, GradMode, Layer, Mode};
use core::ops::Range;
use rand::RngCore;

/// Max pooling over `KH × KW` windows moved by `SH`, `SW` on NCHW images, each channel on
/// its own, as PyTorch's `nn.MaxPool2d`:
///
/// `y[c][i][j] = max_{u < KH, v < KW} xpad[c][i·SH + u][j·SW + v]`
///
/// where `xpad` is `x` padded with `PH` rows and `PW` columns of `-inf` (padding never
/// wins). `OH = (H + 2·PH - KH) / SH + 1`, `OW = (W + 2·PW - KW) / SW + 1`, and the padding
/// is at most half the window, as PyTorch requires; `network!` computes the output size
/// and a mismatch is a compile error. A NaN in a window is its maximum, as in PyTorch.
///
/// Backward: each window's `dy` goes to its maximal element, the FIRST one in row-major
/// order when several are equal (strict `>`, as PyTorch on the CPU); where windows overlap,
/// the gradients add up. The cache keeps the index `h·W + w` of every maximum (PyTorch's
/// `return_indices`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MaxPool2d<
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

/// What a [`MaxPool2d`] layer keeps for a batch of up to `B` rows.
pub struct MaxPool2dCache<const C: usize, const OH: usize, const OW: usize, const B: usize> {
    /// `argmax[b][c][i][j]`: the index `h·W + w`, in input plane `c` of sample `b`, of the
    /// maximum of window `(i, j)` in the last forward pass (PyTorch's `return_indices`).
    pub argmax: [[[[u32; OW]; OH]; C]; B],
}

// SAFETY: an array of integers, for which all-zero bytes are valid.
unsafe impl<const C: usize, const OH: usize, const OW: usize, const B: usize> Zeroable
    for MaxPool2dCache<C, OH, OW, B>
{
}

/// Whether the const parameters of a pooling layer describe PyTorch's pooling: window and
/// stride at least 1, padding at most half the window, and the output size
/// `(H + 2P - K) / S + 1` in each dimension.
#[allow(clippy::too_many_arguments)]
pub(super) const fn pool_shapes_agree(
    h: usize,
    w: usize,
    kh: usize,
    kw: usize,
    sh: usize,
    sw: usize,
    ph: usize,
    pw: usize,
    oh: usize,
    ow: usize,
) -> bool {
    kh > 0
        && kw > 0
        && sh > 0
        && sw > 0
        && 2 * ph <= kh
        && 2 * pw <= kw
        && h + 2 * ph >= kh
        && w + 2 * pw >= kw
        && oh == (h + 2 * ph - kh) / sh + 1
        && ow == (w + 2 * pw - kw) / sw + 1
}

/// The input rows (or columns) of window `i`: `i·stride - pad .. i·stride - pad + kernel`,
/// clipped to `0..n`.
#[inline(always)]
pub(crate) fn window(i: usize, stride: usize, pad: usize, kernel: usize, n: usize) -> Range<usize> {
    let end = (i * stride + kernel).saturating_sub(pad).min(n);
    let start = (i * stride).saturating_sub(pad).min(end);
    start..end
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
> MaxPool2d<C, H, W, KH, KW, SH, SW, PH, PW, OH, OW>
{
    /// Pools one sample into `y`, passing `record(c, i, j, index)` the input index of each
    /// window's maximum.
    #[inline(always)]
    fn pool_sample(
        x: &[[[f32; W]; H]; C],
        y: &mut [[[f32; OW]; OH]; C],
        mut record: impl FnMut(usize, usize, usize, u32),
    ) {
        const {
            assert!(
                pool_shapes_agree(H, W, KH, KW, SH, SW, PH, PW, OH, OW),
                "MaxPool2d: OH and OW must be (H + 2PH - KH) / SH + 1 and (W + 2PW - KW) / SW + 1, \
                 with window and stride >= 1 and padding at most half the window"
            );
            assert!(H * W <= u32::MAX as usize, "MaxPool2d: input planes must have fewer than 2^32 pixels");
        };
        for (c, (x, y)) in x.iter().zip(y.iter_mut()).enumerate() {
            for (i, y) in y.iter_mut().enumerate() {
                let rows = window(i, SH, PH, KH, H);
                for (j, y) in y.iter_mut().enumerate() {
                    let cols = window(j, SW, PW, KW, W);
                    // As PyTorch: start at the window's first element with -inf, take a
                    // strictly larger value or a NaN.
                    let (mut best, mut index) = (f32::NEG_INFINITY, rows.start * W + cols.start);
                    let mut visit = |h: usize, w: usize, value: f32| {
                        // Branch-free: with random data the comparison is unpredictable.
                        let take = value > best || value.is_nan();
                        best = if take { value } else { best };
                        index = if take { h * W + w } else { index };
                    };
                    let window_rows = x.get(rows.clone()).unwrap_or(&[]);
                    if rows.len() == KH && cols.len() == KW {
                        // Inside the image: a window of constant size, unrolled.
                        for (h, row) in (rows.start..).zip(window_rows) {
                            if let Some(values) = row.get(cols.start..).and_then(|r| r.first_chunk::<KW>()) {
                                for (w, &value) in (cols.start..).zip(values) {
                                    visit(h, w, value);
                                }
                            }
                        }
                    } else {
                        for (h, row) in (rows.start..).zip(window_rows) {
                            for (w, &value) in (cols.start..).zip(&row[cols.clone()]) {
                                visit(h, w, value);
                            }
                        }
                    }
                    *y = best;
                    record(c, i, j, index as u32);
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
> Forward for MaxPool2d<C, H, W, KH, KW, SH, SW, PH, PW, OH, OW>
{
    type Input = [[[f32; W]; H]; C];
    type Output = [[[f32; OW]; OH]; C];
    type Params = ();
    type State = ();
    type Scratch<const B: usize> = ();

    fn infer<const B: usize>(&self, _: &(), _: &(), x: &[Self::Input], y: &mut [Self::Output], _: &mut ()) {
        for (x, y) in x.iter().zip(y.iter_mut()) {
            Self::pool_sample(x, y, |_, _, _, _| {});
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
> Layer for MaxPool2d<C, H, W, KH, KW, SH, SW, PH, PW, OH, OW>
{
    type Cache<const B: usize> = MaxPool2dCache<C, OH, OW, B>;

    fn init<R: RngCore + ?Sized>(&self, _: &mut (), _: &mut (), _: &mut R) {}

    fn forward<const B: usize>(
        &self,
        _: &(),
        _: &(),
        x: &[Self::Input],
        y: &mut [Self::Output],
        cache: &mut Self::Cache<B>,
        _: Mode,
    ) {
        for ((x, y), argmax) in x.iter().zip(y.iter_mut()).zip(cache.argmax.iter_mut()) {
            Self::pool_sample(x, y, |c, i, j, index| argmax[c][i][j] = index);
        }
    }

    fn backward<const B: usize>(
        &self,
        _: &(),
        _x: &[Self::Input],
        _y: &[Self::Output],
        dy: &[Self::Output],
        cache: &mut Self::Cache<B>,
        dx: Option<&mut [Self::Input]>,
        _: &mut (),
        _: GradMode,
    ) {
        let Some(dx) = dx else { return };
        for ((dx, dy), argmax) in dx.iter_mut().zip(dy).zip(&cache.argmax) {
            for ((dx, dy), argmax) in dx.iter_mut().zip(dy).zip(argmax) {
                let dx = dx.as_flattened_mut();
                dx.fill(0.0);
                for (&g, &index) in dy.as_flattened().iter().zip(argmax.as_flattened()) {
                    if let Some(d) = dx.get_mut(index as usize) {
                        *d += g;
                    }
                }
            }
        }
    }
}
