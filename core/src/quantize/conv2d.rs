//! The int8 form of [`Conv2d`](crate::layers::Conv2d).

use super::fold::{ChannelFold, quantize_bias, quantize_channel};
use super::params::QuantParams;
use super::requantize::Requantize;
use crate::error::Error;
use crate::layers::Conv2dParams;
use crate::layers::conv2d::valid_columns;

/// An int8 2-D convolution (the const parameters as [`Conv2d`](crate::layers::Conv2d)'s):
/// weights per output channel symmetric int8, bias i32, i32 accumulation and fixed-point
/// requantization (see [the module](super)):
///
/// `acc[o][i][j] = bias[o] + Σ_{c, u, v} weight[o][c][u][v] · (xpad[c][i·SH + u][j·SW + v] - input_zero_point)`,
/// `y[o][i][j] = clamp(output_zero_point + requantize[o].apply(acc[o][i][j]), min, 127)`,
///
/// where the padding is real 0, the input code `input_zero_point`, so padded positions add
/// nothing. As the f32 layer, the windows of one sample are copied into a column buffer
/// (`x - input_zero_point` as i16, 0 in the padding) and the convolution becomes a matrix
/// product, accumulated one row of the buffer at a time over all output pixels, a loop the
/// compiler vectorises for the widest vectors the processor has.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantizedConv2d<
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
    /// `[out_channels, in_channels, kh, kw]` int8 weights.
    pub weight: [[[[i8; KW]; KH]; C]; OC],
    /// The real value of one weight step, per output channel.
    pub weight_scale: [f32; OC],
    /// i32 bias at scale `input_scale · weight_scale[o]`.
    pub bias: [i32; OC],
    /// `input_scale · weight_scale[o] / output_scale` in fixed point, per output channel.
    pub requantize: [Requantize; OC],
    /// The code of real 0 in the input.
    pub input_zero_point: i32,
    /// The code of real 0 in the output.
    pub output_zero_point: i32,
    /// The smallest output code: the output zero point with a fused ReLU, else -128.
    pub min: i8,
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
> QuantizedConv2d<C, H, W, OC, KH, KW, SH, SW, PH, PW, OH, OW>
{
    /// Every accumulator fits an i32 (as for [`QuantizedDense`](super::QuantizedDense)).
    const ACCUMULATOR_FITS: () =
        assert!(C * KH * KW * 127 * 255 < 1 << 30, "Conv2d: too large a window for int8 with an i32 accumulator");

    /// Bytes of the int8 weights alone (a quarter of the f32 weights').
    pub const WEIGHT_BYTES: usize = OC * C * KH * KW;

    /// Quantizes the convolution `layer` with `params`, its output passed through `fold`
    /// (a batch norm, or the identity) and, when `relu`, a ReLU, for inputs quantized by
    /// `input` and outputs by `output`.
    pub fn new(
        layer: &'static str,
        params: &Conv2dParams<C, OC, KH, KW>,
        fold: &ChannelFold<OC>,
        input: QuantParams,
        output: QuantParams,
        relu: bool,
    ) -> Result<Self, Error> {
        let () = Self::ACCUMULATOR_FITS;
        let mut q = QuantizedConv2d {
            weight: [[[[0; KW]; KH]; C]; OC],
            weight_scale: [0.0; OC],
            bias: [0; OC],
            requantize: [Requantize { multiplier: 0, shift: 0 }; OC],
            input_zero_point: input.zero_point,
            output_zero_point: output.zero_point,
            min: if relu { output.zero_point as i8 } else { i8::MIN },
        };
        for o in 0..OC {
            let w = params.weight[o].as_flattened().as_flattened();
            let scale = quantize_channel(w, fold.factor[o], q.weight[o].as_flattened_mut().as_flattened_mut());
            let bias = fold.factor[o] * params.bias[o] + fold.shift[o];
            q.weight_scale[o] = scale;
            q.bias[o] = quantize_bias(layer, bias, input.scale, scale)?;
            q.requantize[o] = Requantize::from_real(layer, input.scale as f64 * scale as f64 / output.scale as f64)?;
        }
        Ok(q)
    }

    /// `y` from `x`, one sample, through `scratch`'s column buffer.
    pub fn infer(
        &self,
        x: &[[[i8; W]; H]; C],
        y: &mut [[[i8; OW]; OH]; OC],
        scratch: &mut QuantizedConv2dScratch<C, KH, KW, OH, OW>,
    ) {
        crate::gemm::vectorised(
            #[inline(always)]
            || self.infer_inlined(x, y, scratch),
        )
    }

    /// [`QuantizedConv2d::infer`]'s body, inlined into each instruction set's copy.
    #[inline(always)]
    fn infer_inlined(
        &self,
        x: &[[[i8; W]; H]; C],
        y: &mut [[[i8; OW]; OH]; OC],
        scratch: &mut QuantizedConv2dScratch<C, KH, KW, OH, OW>,
    ) {
        {
            self.im2col(x, &mut scratch.columns);
            let columns = scratch.columns.as_flattened().as_flattened().as_flattened().as_flattened();
            for (o, y_o) in y.iter_mut().enumerate() {
                // acc = bias + Σ_k W[o][k] · columns[k]: one row of columns at a time, a
                // loop over the pixels that the compiler vectorises.
                let mut acc = [[self.bias[o]; OW]; OH];
                let acc = acc.as_flattened_mut();
                let weight = self.weight[o].as_flattened().as_flattened();
                for (&w, row) in weight.iter().zip(columns.chunks_exact(OH * OW)) {
                    // |w · c| <= 128 · 255 < 2^15: the product is exact in i16 (a 16-bit
                    // multiply, cheaper than a 32-bit one), then widened.
                    let w = w as i16;
                    for (a, &c) in acc.iter_mut().zip(row) {
                        *a += i32::from(w.wrapping_mul(c));
                    }
                }
                let (r, z, min) = (self.requantize[o], self.output_zero_point, self.min as i32);
                for (y, &a) in y_o.as_flattened_mut().iter_mut().zip(acc.iter()) {
                    *y = (z + r.apply(a)).clamp(min, 127) as i8;
                }
            }
        }
    }

    /// `col[c][u][v][i][j] = x[c][i·SH + u - PH][j·SW + v - PW] - input_zero_point`, 0 in
    /// the padding (real 0).
    #[inline(always)]
    fn im2col(&self, x: &[[[i8; W]; H]; C], col: &mut [[[[[i16; OW]; OH]; KW]; KH]; C]) {
        let centre = |x: i8| (x as i32 - self.input_zero_point) as i16;
        for (x_c, col_c) in x.iter().zip(col.iter_mut()) {
            for (u, col_u) in col_c.iter_mut().enumerate() {
                for (v, col_v) in col_u.iter_mut().enumerate() {
                    let cols = valid_columns(v, PW, SW, W, OW);
                    for (i, row) in col_v.iter_mut().enumerate() {
                        let source = (i * SH + u).checked_sub(PH).and_then(|h| x_c.get(h));
                        // A whole-row store of a known size (inline vector stores, where
                        // `fill` on the few padded columns would call memset).
                        *row = [0; OW];
                        let (Some(x_row), Some((j0, j1, start))) = (source, cols) else { continue };
                        if SW == 1 {
                            for (dst, &src) in row[j0..j1].iter_mut().zip(&x_row[start..]) {
                                *dst = centre(src);
                            }
                        } else {
                            for (dst, &src) in row[j0..j1].iter_mut().zip(x_row[start..].iter().step_by(SW)) {
                                *dst = centre(src);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The memory of a [`QuantizedConv2d`] pass: one sample's columns
/// `x - input_zero_point` as i16 (`C·KH·KW·OH·OW` values).
pub struct QuantizedConv2dScratch<const C: usize, const KH: usize, const KW: usize, const OH: usize, const OW: usize> {
    /// `columns[c][u][v][i][j] = xpad[c][i·SH + u][j·SW + v] - input_zero_point`.
    pub columns: [[[[[i16; OW]; OH]; KW]; KH]; C],
}

// SAFETY: an array of integers, for which all-zero bytes are valid.
unsafe impl<const C: usize, const KH: usize, const KW: usize, const OH: usize, const OW: usize> crate::Zeroable
    for QuantizedConv2dScratch<C, KH, KW, OH, OW>
{
}
