//! 2-D convolution, PyTorch's `nn.Conv2d` (dilation 1, groups 1).
//!
//! # Method: im2col and a register-blocked matrix product
//!
//! For each sample, the input windows are copied into a column buffer (`im2col`:
//! `col[c][u][v][i][j] = xpad[c][i·SH + u][j·SW + v]`, a `C·KH·KW` by `OH·OW` matrix) and
//! the convolution becomes one matrix product `y = W · col + b`, computed by the broadcast
//! kernel of [`crate::gemm::matmul`] (the one dense layers use for their input gradient),
//! which keeps a block of 4 output channels by 8 (portable), 16 (AVX2) or 32 (AVX-512)
//! output pixels in registers while the rows of `col` stream past. Backward uses the same
//! kernel twice: `dWᵀ += col · dyᵀ` and `dcol = Wᵀ · dy`, then `dx = col2im(dcol)`. With
//! fewer than 16 output channels, the vector kernels compute the weight gradient as dot
//! products over each sample's pixels instead, `dW += dy · colᵀ`, which reads `dy` as it
//! lies and fills every vector (2.5x faster for the first layer below). This file does
//! only the layout work: im2col, col2im and the transposes.
//!
//! Timings on the MNIST CNN sizes, batch 32, forward / backward (dx and dW), release mode,
//! measured while other builds shared the 2-core machine (so ±20%). First the two methods
//! as prototypes, then this layer (after giving 8-column strips 8 rows and vectorising the
//! bias-gradient sums):
//!
//! | layer | direct loops | direct, AVX2 | im2col + GEMM | im2col + GEMM, AVX2 + FMA |
//! | --- | --- | --- | --- | --- |
//! | conv 1→8, 3×3, pad 1, 28×28 | 440 / 480 µs | 100 / 430 µs | 105 / 380 µs | 40 / 275 µs |
//! | conv 8→16, 3×3, pad 1, 14×14 | 1700 / 3500 µs | 500 / 3400 µs | 540 / 950 µs | 200 / 430 µs |
//! | this layer, conv 1→8 | | | 116 / 258 µs | 55 / 178 µs |
//! | this layer, conv 8→16 | | | 353 / 749 µs | 150 / 332 µs |
//!
//! "Direct" is the convolution written as loops vectorised over the output width (no
//! buffer): each multiply-add loads and stores its output row, so it is bound by memory
//! traffic, and its weight gradient is a reduction the compiler cannot vectorise without
//! reassociating. im2col + GEMM is 2 to 10 times faster, so it is what this layer does.
//! The weight gradient as dot products of rows of `dy` and `col` was also tried: the compiler
//! vectorised it unreliably (up to 10 times slower with FMA), so it is computed as
//! `col · dyᵀ` with the broadcast kernel after transposing `dy`. `C·KH·KW` and `OH·OW`
//! cannot be written as const parameters on stable Rust, so the kernel takes rows of any
//! [`Flat`] block (`[[f32; OW]; OH]`, whose length the compiler knows all the same).
//!
//! The column buffer holds ONE sample (`C·KH·KW·OH·OW` values, 55 KiB for the second layer
//! above): the windows are copied again in backward instead of being kept for the whole
//! batch, which costs a few percent of the backward pass and keeps the cache independent of
//! the batch capacity and small enough for a microcontroller. The instruction set is chosen
//! by [`crate::gemm::Kernel::active`].

use super::batch_norm::lane_sum;
use crate::flat::{Flat, Zeroable};
use crate::gemm::{Kernel, Start, has_matmul_nt_acc, matmul_nt_acc_with, matmul_with};
use crate::init::Init;
use crate::layer::{Forward, GradMode, Layer, Mode};
use crate::layers::InputGradient;
use crate::tensors::{TensorPath, TensorVisitor};
use rand::RngCore;

/// A 2-D convolution on NCHW images, PyTorch's `nn.Conv2d` with dilation 1 and groups 1:
///
/// `y[o][i][j] = b[o] + Σ_{c, u, v} W[o][c][u][v] · xpad[c][i·SH + u][j·SW + v]`
///
/// (cross-correlation: no kernel flip), where `xpad` is `x` with `PH` rows and `PW` columns
/// of zeros on each side. The input is `[[[f32; W]; H]; C]`, the output
/// `[[[f32; OW]; OH]; OC]` with `OH = (H + 2·PH - KH) / SH + 1` and
/// `OW = (W + 2·PW - KW) / SW + 1` (windows that do not fit are dropped); `network!`
/// computes `OH` and `OW`, and a mismatch is a compile error.
///
/// Backward: `dW[o][c][u][v] = Σ_{i, j} dy[o][i][j] · xpad[c][i·SH + u][j·SW + v]`,
/// `db[o] = Σ_{i, j} dy[o][i][j]`, and `dx` (only when asked for) the sum of
/// `W[o][c][u][v] · dy[o][i][j]` over every window position that reads `x[c][h][w]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Conv2d<
    const C: usize,
    const H: usize,
    const W: usize,
    const OC: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const OH: usize,
    const OW: usize,
> {
    /// Initialiser of the weight (fan_in = `C·KH·KW`, fan_out = `OC·KH·KW`, as PyTorch).
    pub init: Init,
    /// Initialiser of the bias (same fans).
    pub bias_init: Init,
}

impl<
    const C: usize,
    const H: usize,
    const W: usize,
    const OC: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const OH: usize,
    const OW: usize,
> Default for Conv2d<C, H, W, OC, KH, KW, SH, SW, PH, PW, OH, OW>
{
    /// PyTorch's default: weight and bias `U(-1/sqrt(fan_in), 1/sqrt(fan_in))`,
    /// `fan_in = C·KH·KW`.
    fn default() -> Self {
        Conv2d { init: Init::Default, bias_init: Init::Default }
    }
}

/// The parameters of a [`Conv2d`] layer, laid out as PyTorch's.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct Conv2dParams<const C: usize, const OC: usize, const KH: usize, const KW: usize> {
    /// `[out_channels, in_channels, kh, kw]`, PyTorch's `weight`.
    pub weight: [[[[f32; KW]; KH]; C]; OC],
    /// `[out_channels]`, PyTorch's `bias`.
    pub bias: [f32; OC],
}

// SAFETY: repr(C) of f32 arrays.
unsafe impl<const C: usize, const OC: usize, const KH: usize, const KW: usize> Zeroable
    for Conv2dParams<C, OC, KH, KW>
{
}
// SAFETY: repr(C) of f32 arrays: OC·C·KH·KW + OC values, all f32, so no padding.
unsafe impl<const C: usize, const OC: usize, const KH: usize, const KW: usize> Flat for Conv2dParams<C, OC, KH, KW> {
    const LEN: usize = OC * C * KH * KW + OC;
}

/// The scratch memory of a [`Conv2d`] layer: one sample's column buffer and the transposed
/// weights and gradients the backward products need. Its size does not depend on the batch
/// capacity (the windows are copied again in backward, one sample at a time).
pub struct Conv2dCache<
    const C: usize,
    const KH: usize,
    const KW: usize,
    const OC: usize,
    const OH: usize,
    const OW: usize,
> {
    /// `col[c][u][v][i][j] = xpad[c][i·SH + u][j·SW + v]` for one sample; `dcol` in backward.
    col: [[[[[f32; OW]; OH]; KW]; KH]; C],
    /// `Wᵀ`: `wt[c][u][v][o] = W[o][c][u][v]`.
    wt: [[[[f32; OC]; KW]; KH]; C],
    /// `dWᵀ`, accumulated over the batch.
    dwt: [[[[f32; OC]; KW]; KH]; C],
    /// One sample's `dy`, pixel-major: `dyt[i][j][o] = dy[o][i][j]`.
    dyt: [[[f32; OC]; OW]; OH],
}

// SAFETY: every field is an array of f32, for which all-zero bytes are valid.
unsafe impl<const C: usize, const KH: usize, const KW: usize, const OC: usize, const OH: usize, const OW: usize>
    Zeroable for Conv2dCache<C, KH, KW, OC, OH, OW>
{
}

impl<
    const C: usize,
    const H: usize,
    const W: usize,
    const OC: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const OH: usize,
    const OW: usize,
> Conv2d<C, H, W, OC, KH, KW, SH, SW, PH, PW, OH, OW>
{
    /// Whether the const parameters describe a convolution: kernel and stride at least 1,
    /// the kernel no larger than the padded input, and `OH`, `OW` as PyTorch computes them.
    const SHAPES_AGREE: bool = KH > 0
        && KW > 0
        && SH > 0
        && SW > 0
        && H + 2 * PH >= KH
        && W + 2 * PW >= KW
        && OH == (H + 2 * PH - KH) / SH + 1
        && OW == (W + 2 * PW - KW) / SW + 1;

    /// Whether the weight gradient is computed as dot products over each sample's pixels
    /// (`gemm::matmul_nt_acc_with`) rather than as `dWᵀ += col · dyᵀ` by the broadcast
    /// kernel: for fewer than 16 output channels. Batch 32, weight and bias gradients, on an
    /// AMD EPYC (Zen 4): conv 1->8 on 28x28 took 69 µs by dot products and 174 µs by the
    /// broadcast kernel (AVX2: 69 and 155); conv 8->16 on 14x14 took 222 and 199 µs (both
    /// paths).
    const WEIGHT_GRADIENT_BY_DOTS: bool = OC < 16;

    /// `col[c][u][v][i][j] = x[c][i·SH + u - PH][j·SW + v - PW]`, 0 in the padding.
    #[inline(always)]
    fn im2col(x: &[[[f32; W]; H]; C], col: &mut [[[[[f32; OW]; OH]; KW]; KH]; C]) {
        for (xc, col_c) in x.iter().zip(col.iter_mut()) {
            for (u, col_u) in col_c.iter_mut().enumerate() {
                for (v, col_v) in col_u.iter_mut().enumerate() {
                    let cols = valid_columns(v, PW, SW, W, OW);
                    for (i, row) in col_v.iter_mut().enumerate() {
                        let source = (i * SH + u).checked_sub(PH).and_then(|h| xc.get(h));
                        let (Some(x_row), Some((j0, j1, start))) = (source, cols) else {
                            row.fill(0.0);
                            continue;
                        };
                        row[..j0].fill(0.0);
                        row[j1..].fill(0.0);
                        if SW == 1 {
                            row[j0..j1].copy_from_slice(&x_row[start..start + (j1 - j0)]);
                        } else {
                            for (dst, src) in row[j0..j1].iter_mut().zip(x_row[start..].iter().step_by(SW)) {
                                *dst = *src;
                            }
                        }
                    }
                }
            }
        }
    }

    /// `dx[c][h][w] = Σ dcol[c][u][v][i][j]` over the window positions that read `x[c][h][w]`.
    #[inline(always)]
    fn col2im(dcol: &[[[[[f32; OW]; OH]; KW]; KH]; C], dx: &mut [[[f32; W]; H]; C]) {
        for (dx_c, dcol_c) in dx.iter_mut().zip(dcol) {
            dx_c.iter_mut().for_each(|row| row.fill(0.0));
            for (u, dcol_u) in dcol_c.iter().enumerate() {
                for (v, dcol_v) in dcol_u.iter().enumerate() {
                    let Some((j0, j1, start)) = valid_columns(v, PW, SW, W, OW) else { continue };
                    for (i, row) in dcol_v.iter().enumerate() {
                        let Some(dx_row) = (i * SH + u).checked_sub(PH).and_then(|h| dx_c.get_mut(h)) else {
                            continue;
                        };
                        if SW == 1 {
                            for (dst, src) in dx_row[start..start + (j1 - j0)].iter_mut().zip(&row[j0..j1]) {
                                *dst += *src;
                            }
                        } else {
                            for (dst, src) in dx_row[start..].iter_mut().step_by(SW).zip(&row[j0..j1]) {
                                *dst += *src;
                            }
                        }
                    }
                }
            }
        }
    }

    /// The forward pass with the given kernels: `y = W · col + b`, one sample at a time.
    fn forward_with(
        kernel: Kernel,
        params: &Conv2dParams<C, OC, KH, KW>,
        x: &[[[[f32; W]; H]; C]],
        y: &mut [[[[f32; OW]; OH]; OC]],
        cache: &mut Conv2dCache<C, KH, KW, OC, OH, OW>,
    ) {
        for (x, y) in x.iter().zip(y.iter_mut()) {
            Self::im2col(x, &mut cache.col);
            let col = rows_of(&cache.col);
            matmul_with(kernel, Start::RowBias(&params.bias), &params.weight[..], col, &mut y[..]);
        }
    }

    /// The backward pass with the given kernels, writing or adding to `grads` as `mode` says.
    #[allow(clippy::too_many_arguments, reason = "the arguments of `Layer::backward`, and the kernels")]
    fn backward_with(
        kernel: Kernel,
        params: &Conv2dParams<C, OC, KH, KW>,
        x: &[[[[f32; W]; H]; C]],
        dy: &[[[[f32; OW]; OH]; OC]],
        cache: &mut Conv2dCache<C, KH, KW, OC, OH, OW>,
        dx: Option<&mut [[[[f32; W]; H]; C]]>,
        grads: &mut Conv2dParams<C, OC, KH, KW>,
        mode: GradMode,
    ) {
        if mode == GradMode::Overwrite {
            grads.bias = [0.0; OC];
        }
        if Self::WEIGHT_GRADIENT_BY_DOTS && has_matmul_nt_acc(kernel) {
            if mode == GradMode::Overwrite {
                grads.weight.as_flat_mut().fill(0.0);
            }
            for (x, dy) in x.iter().zip(dy) {
                Self::im2col(x, &mut cache.col);
                // dW[o][k] += Σ_p dy[o][p] · col[k][p], db[o] += Σ_p dy[o][p]
                matmul_nt_acc_with(kernel, &dy[..], rows_of(&cache.col), &mut grads.weight[..], &mut grads.bias);
            }
        } else {
            Self::weight_gradient_by_transpose(kernel, x, dy, cache, grads, mode);
        }
        if let Some(dx) = dx {
            Self::input_gradient_with(kernel, params, dy, cache, dx);
        }
    }

    /// `dW` and `db` as `dWᵀ += col · dyᵀ` with the broadcast kernel, `dy` transposed one
    /// sample at a time: for output channels that fill the kernel's vectors.
    fn weight_gradient_by_transpose(
        kernel: Kernel,
        x: &[[[[f32; W]; H]; C]],
        dy: &[[[[f32; OW]; OH]; OC]],
        cache: &mut Conv2dCache<C, KH, KW, OC, OH, OW>,
        grads: &mut Conv2dParams<C, OC, KH, KW>,
        mode: GradMode,
    ) {
        let Conv2dCache { col, dwt, dyt, .. } = &mut *cache;
        let (dwt, dyt) = (rows_of_mut(dwt), dyt.as_flattened_mut());
        dwt.iter_mut().for_each(|row| row.fill(0.0));
        for (x, dy) in x.iter().zip(dy) {
            Self::im2col(x, col);
            for ((db, dy_o), o) in grads.bias.iter_mut().zip(dy).zip(0..) {
                let dy_o = dy_o.as_flat();
                *db += lane_sum(dy_o);
                for (t, &g) in dyt.iter_mut().zip(dy_o) {
                    if let Some(t) = t.get_mut(o) {
                        *t = g;
                    }
                }
            }
            // dWᵀ[k] += Σ_p col[k][p] · dyᵀ[p]
            matmul_with(kernel, Start::Accumulate, rows_of(col), dyt, dwt);
        }
        transpose(dwt, &mut grads.weight[..], mode);
    }

    /// `dx`: per sample, the columns `dcol[k] = Σ_o Wᵀ[k][o] · dy[o]` (written over the
    /// column buffer), summed back into the image.
    fn input_gradient_with(
        kernel: Kernel,
        params: &Conv2dParams<C, OC, KH, KW>,
        dy: &[[[[f32; OW]; OH]; OC]],
        cache: &mut Conv2dCache<C, KH, KW, OC, OH, OW>,
        dx: &mut [[[[f32; W]; H]; C]],
    ) {
        let Conv2dCache { col, wt, .. } = cache;
        let wt = rows_of_mut(wt);
        transpose(&params.weight[..], wt, GradMode::Overwrite);
        for (dy, dx) in dy.iter().zip(dx) {
            matmul_with(kernel, Start::Zero, wt, &dy[..], rows_of_mut(col));
            Self::col2im(col, dx);
        }
    }
}

impl<
    const C: usize,
    const H: usize,
    const W: usize,
    const OC: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const OH: usize,
    const OW: usize,
> Forward for Conv2d<C, H, W, OC, KH, KW, SH, SW, PH, PW, OH, OW>
{
    type Input = [[[f32; W]; H]; C];
    type Output = [[[f32; OW]; OH]; OC];
    type Params = Conv2dParams<C, OC, KH, KW>;
    type State = ();
    /// One sample's column buffer (and the backward buffers, unused here).
    type Scratch<const B: usize> = Conv2dCache<C, KH, KW, OC, OH, OW>;

    fn infer<const B: usize>(
        &self,
        params: &Self::Params,
        _state: &(),
        x: &[Self::Input],
        y: &mut [Self::Output],
        scratch: &mut Self::Scratch<B>,
    ) {
        const {
            assert!(
                Self::SHAPES_AGREE,
                "Conv2d: OH and OW must be (H + 2PH - KH) / SH + 1 and (W + 2PW - KW) / SW + 1, with kernel and stride >= 1"
            )
        };
        Self::forward_with(Kernel::active(), params, x, y, scratch)
    }

    /// `weight` `[out_c, in_c, kh, kw]` and `bias` `[out_c]`, as `nn.Conv2d`.
    fn visit_tensors<V: TensorVisitor>(&self, params: &mut Self::Params, _: &mut (), path: &TensorPath<'_>, v: &mut V) {
        v.tensor(&path.child("weight"), &[OC, C, KH, KW], params.weight.as_flat_mut());
        v.tensor(&path.child("bias"), &[OC], &mut params.bias);
    }
}

impl<
    const C: usize,
    const H: usize,
    const W: usize,
    const OC: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const OH: usize,
    const OW: usize,
> Layer for Conv2d<C, H, W, OC, KH, KW, SH, SW, PH, PW, OH, OW>
{
    type Cache<const B: usize> = Conv2dCache<C, KH, KW, OC, OH, OW>;

    fn init<R: RngCore + ?Sized>(&self, params: &mut Self::Params, _state: &mut (), rng: &mut R) {
        let (fan_in, fan_out) = (C * KH * KW, OC * KH * KW);
        self.init.fill(params.weight.as_flat_mut(), fan_in, fan_out, rng);
        self.bias_init.fill(&mut params.bias, fan_in, fan_out, rng);
    }

    fn forward<const B: usize>(
        &self,
        params: &Self::Params,
        state: &(),
        x: &[Self::Input],
        y: &mut [Self::Output],
        cache: &mut Self::Cache<B>,
        _mode: Mode,
    ) {
        self.infer::<B>(params, state, x, y, cache);
    }

    fn backward<const B: usize>(
        &self,
        params: &Self::Params,
        x: &[Self::Input],
        _y: &[Self::Output],
        dy: &[Self::Output],
        cache: &mut Self::Cache<B>,
        dx: Option<&mut [Self::Input]>,
        grads: &mut Self::Params,
        mode: GradMode,
    ) {
        Self::backward_with(Kernel::active(), params, x, dy, cache, dx, grads, mode);
    }
}

/// For kernel column `v`: the output columns `j0..j1` whose input column
/// `j·SW + v - PW` lies in `0..W`, and the input column of `j0`; `None` when there are none.
#[inline(always)]
pub(crate) fn valid_columns(
    v: usize,
    pad: usize,
    stride: usize,
    width: usize,
    out: usize,
) -> Option<(usize, usize, usize)> {
    let j0 = if v >= pad { 0 } else { (pad - v).div_ceil(stride) };
    let j1 = if width + pad > v { (width + pad - v).div_ceil(stride).min(out) } else { 0 };
    if j0 < j1 { Some((j0, j1, j0 * stride + v - pad)) } else { None }
}

/// A `[[[[T; A]; B]; C]]`-shaped block viewed as its `C·B·A` rows of `T`.
#[inline(always)]
fn rows_of<T, const A: usize, const B: usize, const C: usize>(block: &[[[T; A]; B]; C]) -> &[T] {
    block.as_flattened().as_flattened()
}

/// Mutable form of [`rows_of`].
#[inline(always)]
fn rows_of_mut<T, const A: usize, const B: usize, const C: usize>(block: &mut [[[T; A]; B]; C]) -> &mut [T] {
    block.as_flattened_mut().as_flattened_mut()
}

/// `to[k][r] = from[r][k]` (or `+=`, as `mode` says): `from` has rows of `K` values, `to` has `K` rows.
#[inline(always)]
fn transpose<A: Flat, T: Flat>(from: &[A], to: &mut [T], mode: GradMode) {
    for (r, row) in from.iter().enumerate() {
        for (to_row, &value) in to.iter_mut().zip(row.as_flat()) {
            if let Some(slot) = to_row.as_flat_mut().get_mut(r) {
                mode.store(slot, value);
            }
        }
    }
}

impl<
    const C: usize,
    const H: usize,
    const W: usize,
    const OC: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const OH: usize,
    const OW: usize,
> InputGradient for Conv2d<C, H, W, OC, KH, KW, SH, SW, PH, PW, OH, OW>
{
    fn input_gradient<const B: usize>(
        &self,
        params: &Self::Params,
        _: &(),
        _: &[Self::Input],
        _: &[Self::Output],
        dy: &[Self::Output],
        cache: &mut Self::Cache<B>,
        dx: &mut [Self::Input],
    ) {
        Self::input_gradient_with(Kernel::active(), params, dy, cache, dx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic values in [-1, 1).
    fn fill(values: &mut [f32], seed: u32) {
        let mut s = seed;
        for v in values {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            *v = (s >> 8) as f32 / (1u32 << 23) as f32 - 1.0;
        }
    }

    fn close(what: &str, got: &[f32], want: &[f32]) {
        assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((g - w).abs() <= 1e-4 * (1.0 + w.abs()), "{what}[{i}]: {g} vs {w}");
        }
    }

    /// Every kernel the processor runs (portable, AVX2, AVX-512) against the definition
    /// written as plain loops.
    fn check<
        const C: usize,
        const H: usize,
        const W: usize,
        const OC: usize,
        const KH: usize,
        const KW: usize,
        const SH: usize,
        const SW: usize,
        const PH: usize,
        const PW: usize,
        const OH: usize,
        const OW: usize,
    >() {
        type Conv<
            const C: usize,
            const H: usize,
            const W: usize,
            const OC: usize,
            const KH: usize,
            const KW: usize,
            const SH: usize,
            const SW: usize,
            const PH: usize,
            const PW: usize,
            const OH: usize,
            const OW: usize,
        > = Conv2d<C, H, W, OC, KH, KW, SH, SW, PH, PW, OH, OW>;
        const ROWS: usize = 3;
        let mut params = Conv2dParams::<C, OC, KH, KW>::zeroed();
        fill(params.as_flat_mut(), 1);
        let mut x = [[[[0.0f32; W]; H]; C]; ROWS];
        fill(x.as_flat_mut(), 2);
        let mut dy = [[[[0.0f32; OW]; OH]; OC]; ROWS];
        fill(dy.as_flat_mut(), 3);

        // The definition.
        let mut want_y = [[[[0.0f32; OW]; OH]; OC]; ROWS];
        let mut want_dx = [[[[0.0f32; W]; H]; C]; ROWS];
        let mut want = Conv2dParams::<C, OC, KH, KW>::zeroed();
        for b in 0..ROWS {
            for o in 0..OC {
                for i in 0..OH {
                    for j in 0..OW {
                        let mut sum = params.bias[o];
                        for c in 0..C {
                            for u in 0..KH {
                                for v in 0..KW {
                                    let (h, w) =
                                        ((i * SH + u) as isize - PH as isize, (j * SW + v) as isize - PW as isize);
                                    if (0..H as isize).contains(&h) && (0..W as isize).contains(&w) {
                                        let (h, w) = (h as usize, w as usize);
                                        sum += params.weight[o][c][u][v] * x[b][c][h][w];
                                        want.weight[o][c][u][v] += dy[b][o][i][j] * x[b][c][h][w];
                                        want_dx[b][c][h][w] += dy[b][o][i][j] * params.weight[o][c][u][v];
                                    }
                                }
                            }
                        }
                        want_y[b][o][i][j] = sum;
                        want.bias[o] += dy[b][o][i][j];
                    }
                }
            }
        }

        type Cache<
            const C: usize,
            const KH: usize,
            const KW: usize,
            const OC: usize,
            const OH: usize,
            const OW: usize,
        > = Conv2dCache<C, KH, KW, OC, OH, OW>;
        for kernel in Kernel::available() {
            let name = kernel.name();
            // SAFETY: `Conv2dCache` is `Zeroable`.
            let mut cache: Box<Cache<C, KH, KW, OC, OH, OW>> = unsafe { Box::new_zeroed().assume_init() };
            let mut y = [[[[f32::NAN; OW]; OH]; OC]; ROWS];
            Conv::<C, H, W, OC, KH, KW, SH, SW, PH, PW, OH, OW>::forward_with(kernel, &params, &x, &mut y, &mut cache);
            close(name, y.as_flat(), want_y.as_flat());
            let mut dx = [[[[f32::NAN; W]; H]; C]; ROWS];
            let mut grads = Conv2dParams::<C, OC, KH, KW>::zeroed();
            Conv::<C, H, W, OC, KH, KW, SH, SW, PH, PW, OH, OW>::backward_with(
                kernel,
                &params,
                &x,
                &dy,
                &mut cache,
                Some(&mut dx),
                &mut grads,
                GradMode::Overwrite,
            );
            close(name, dx.as_flat(), want_dx.as_flat());
            close(name, grads.as_flat(), want.as_flat());
            // Again, added to what the gradients hold: twice the gradients.
            Conv::<C, H, W, OC, KH, KW, SH, SW, PH, PW, OH, OW>::backward_with(
                kernel,
                &params,
                &x,
                &dy,
                &mut cache,
                None,
                &mut grads,
                GradMode::Accumulate,
            );
            let twice: Vec<f32> = want.as_flat().iter().map(|g| 2.0 * g).collect();
            close(name, grads.as_flat(), &twice);
        }
    }

    #[test]
    fn kernels_match_the_definition() {
        check::<1, 28, 28, 8, 3, 3, 1, 1, 1, 1, 28, 28>(); // MNIST conv 1
        check::<8, 14, 14, 16, 3, 3, 1, 1, 1, 1, 14, 14>(); // MNIST conv 2
        check::<3, 9, 9, 2, 5, 5, 2, 2, 2, 2, 5, 5>(); // stride 2, padding 2
        check::<2, 7, 6, 3, 3, 2, 2, 1, 1, 0, 4, 5>(); // rectangular
        check::<1, 7, 8, 5, 2, 4, 3, 3, 1, 2, 3, 3>(); // stride 3, padding 2 > kernel / 2
        check::<2, 3, 3, 1, 3, 3, 1, 1, 0, 0, 1, 1>(); // one output pixel
    }

    #[test]
    fn valid_columns_cover_exactly_the_input() {
        for (pad, stride, width, kernel) in [(0, 1, 6, 3), (1, 1, 6, 3), (2, 2, 9, 5), (2, 3, 8, 4), (3, 1, 2, 7)] {
            let out = (width + 2 * pad - kernel) / stride + 1;
            for v in 0..kernel {
                let want: Vec<usize> = (0..out).filter(|j| (pad..pad + width).contains(&(j * stride + v))).collect();
                let got: Vec<usize> = match valid_columns(v, pad, stride, width, out) {
                    Some((j0, j1, start)) => {
                        assert_eq!(start + pad, j0 * stride + v);
                        (j0..j1).collect()
                    }
                    None => Vec::new(),
                };
                assert_eq!(got, want, "pad {pad} stride {stride} width {width} v {v}");
            }
        }
    }
}
