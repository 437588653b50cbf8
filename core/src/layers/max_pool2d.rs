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
            if PH == 0 && PW == 0 {
                for (i, y) in y.iter_mut().enumerate() {
                    let index = Self::pool_row(x, i, y);
                    for (j, &index) in index.iter().enumerate() {
                        record(c, i, j, index);
                    }
                }
                continue;
            }
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

    /// Output row `i` of one plane without padding (every window inside the image): all
    /// `OW` windows at once, element `(u, v)` of every window in turn, so that the
    /// comparisons vectorise across the row. Each window sees its elements in the order of
    /// the window-by-window loop, so the maximum and its index are the same. Returns the
    /// index `h·W + w` of each window's maximum.
    #[inline(always)]
    fn pool_row(x: &[[f32; W]; H], i: usize, y: &mut [f32; OW]) -> [u32; OW] {
        let mut best = [f32::NEG_INFINITY; OW];
        let mut index: [u32; OW] = core::array::from_fn(|j| (i * SH * W + j * SW) as u32);
        for (h, row) in x.iter().enumerate().skip(i * SH).take(KH) {
            for v in 0..KW {
                let values: [f32; OW] =
                    core::array::from_fn(|j| row.get(j * SW + v).copied().unwrap_or(f32::NEG_INFINITY));
                for (j, ((best, index), value)) in best.iter_mut().zip(index.iter_mut()).zip(values).enumerate() {
                    // `|`, not `||`: no branch, so that the comparisons vectorise.
                    let take = (value > *best) | value.is_nan();
                    *best = if take { value } else { *best };
                    *index = if take { (h * W + j * SW + v) as u32 } else { *index };
                }
            }
        }
        *y = best;
        index
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

#[cfg(test)]
mod tests {
    use super::*;

    /// PyTorch's CPU loop for one window: start at its first element with -inf, take a
    /// strictly larger value or a NaN, visiting rows, then columns.
    fn reference<const H: usize, const W: usize>(
        x: &[[f32; W]; H],
        kh: usize,
        kw: usize,
        sh: usize,
        sw: usize,
    ) -> Vec<(f32, u32)> {
        let mut out = Vec::new();
        for i in 0..(H - kh) / sh + 1 {
            for j in 0..(W - kw) / sw + 1 {
                let (mut best, mut index) = (f32::NEG_INFINITY, (i * sh * W + j * sw) as u32);
                for (h, row) in x.iter().enumerate().skip(i * sh).take(kh) {
                    for (w, &value) in row.iter().enumerate().skip(j * sw).take(kw) {
                        if value > best || value.is_nan() {
                            (best, index) = (value, (h * W + w) as u32);
                        }
                    }
                }
                out.push((best, index));
            }
        }
        out
    }

    /// Values from a small set with NaN among them, so that windows have ties and NaNs.
    fn planes<const C: usize, const H: usize, const W: usize>(seed: u64) -> [[[f32; W]; H]; C] {
        let mut state = seed;
        let choices = [-1.0, 0.0, 1.0, 2.0, f32::NAN, 2.0, -0.0];
        core::array::from_fn(|_| {
            core::array::from_fn(|_| {
                core::array::from_fn(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    choices[(state >> 33) as usize % choices.len()]
                })
            })
        })
    }

    fn agrees<
        const H: usize,
        const W: usize,
        const KH: usize,
        const KW: usize,
        const SH: usize,
        const SW: usize,
        const OH: usize,
        const OW: usize,
    >() {
        for seed in 0..50 {
            let x = planes::<2, H, W>(seed);
            let mut y = [[[0.0f32; OW]; OH]; 2];
            let mut argmax = [[[0u32; OW]; OH]; 2];
            MaxPool2d::<2, H, W, KH, KW, SH, SW, 0, 0, OH, OW>::pool_sample(&x, &mut y, |c, i, j, index| {
                argmax[c][i][j] = index
            });
            for c in 0..2 {
                let got: Vec<(f32, u32)> =
                    y[c].as_flattened().iter().copied().zip(argmax[c].as_flattened().iter().copied()).collect();
                let want = reference(&x[c], KH, KW, SH, SW);
                for (g, w) in got.iter().zip(&want) {
                    assert!(
                        g.0.to_bits() == w.0.to_bits() && g.1 == w.1,
                        "{KH}x{KW}/{SH}x{SW} seed {seed}: {g:?} != {w:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn row_at_a_time_pooling_keeps_pytorchs_ties_and_nans() {
        agrees::<6, 7, 2, 2, 2, 2, 3, 3>();
        agrees::<5, 6, 3, 3, 1, 1, 3, 4>();
        agrees::<7, 9, 3, 2, 2, 3, 3, 3>();
    }
}
