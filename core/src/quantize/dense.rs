//! The int8 form of [`Dense`](crate::layers::Dense).

use super::fold::{ChannelFold, quantize_bias, quantize_channel};
use super::params::QuantParams;
use super::requantize::Requantize;
use crate::error::Error;
use crate::layers::DenseParams;

/// An int8 fully connected layer: `W` per output row symmetric int8, `b` i32, i32
/// accumulation and fixed-point requantization (see [the module](super)):
///
/// `acc[o] = bias[o] + Σ_k weight[o][k] · (x[k] - input_zero_point)`,
/// `y[o] = clamp(output_zero_point + requantize[o].apply(acc[o]), min, 127)`.
///
/// The kernel widens `x - input_zero_point` to i16 once per sample (it lies in
/// `-255..=255`), then takes each row's dot product with it, which the compiler vectorises
/// into multiply-adds of i16 pairs (`pmaddwd`), for the widest vectors the processor has.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantizedDense<const IN: usize, const OUT: usize> {
    /// `[out, in]` int8 weights.
    pub weight: [[i8; IN]; OUT],
    /// The real value of one weight step, per output row.
    pub weight_scale: [f32; OUT],
    /// i32 bias at scale `input_scale · weight_scale[o]`.
    pub bias: [i32; OUT],
    /// `input_scale · weight_scale[o] / output_scale` in fixed point, per output row.
    pub requantize: [Requantize; OUT],
    /// The code of real 0 in the input.
    pub input_zero_point: i32,
    /// The code of real 0 in the output.
    pub output_zero_point: i32,
    /// The smallest output code: the output zero point with a fused ReLU, else -128.
    pub min: i8,
}

impl<const IN: usize, const OUT: usize> QuantizedDense<IN, OUT> {
    /// Every accumulator fits an i32: `|bias| < 2^30` and `|Σ W·(x - z)| <= IN · 127 · 255`.
    const ACCUMULATOR_FITS: () =
        assert!(IN * 127 * 255 < 1 << 30, "Dense: too many inputs for int8 with an i32 accumulator");

    /// Quantizes the layer `layer` with `params`, its output passed through `fold` (a
    /// batch norm, or the identity) and, when `relu`, a ReLU, for inputs quantized by
    /// `input` and outputs by `output`.
    pub fn new(
        layer: &'static str,
        params: &DenseParams<IN, OUT>,
        fold: &ChannelFold<OUT>,
        input: QuantParams,
        output: QuantParams,
        relu: bool,
    ) -> Result<Self, Error> {
        let () = Self::ACCUMULATOR_FITS;
        let mut q = QuantizedDense {
            weight: [[0; IN]; OUT],
            weight_scale: [0.0; OUT],
            bias: [0; OUT],
            requantize: [Requantize { multiplier: 0, shift: 0 }; OUT],
            input_zero_point: input.zero_point,
            output_zero_point: output.zero_point,
            min: if relu { output.zero_point as i8 } else { i8::MIN },
        };
        for o in 0..OUT {
            let scale = quantize_channel(&params.weight[o], fold.factor[o], &mut q.weight[o]);
            let bias = fold.factor[o] * params.bias[o] + fold.shift[o];
            q.weight_scale[o] = scale;
            q.bias[o] = quantize_bias(layer, bias, input.scale, scale)?;
            q.requantize[o] = Requantize::from_real(layer, input.scale as f64 * scale as f64 / output.scale as f64)?;
        }
        Ok(q)
    }

    /// `y` from the `IN` int8 values of `x` (a shorter `x` counts as padded with its zero
    /// point).
    pub fn infer(&self, x: &[i8], y: &mut [i8; OUT]) {
        crate::gemm::vectorised(
            #[inline(always)]
            || self.infer_inlined(x, y),
        )
    }

    /// [`QuantizedDense::infer`]'s body, inlined into each instruction set's copy.
    #[inline(always)]
    fn infer_inlined(&self, x: &[i8], y: &mut [i8; OUT]) {
        {
            let mut centred = [0i16; IN];
            for (c, &x) in centred.iter_mut().zip(x) {
                *c = (x as i32 - self.input_zero_point) as i16;
            }
            for (o, y) in y.iter_mut().enumerate() {
                let dot: i32 = self.weight[o].iter().zip(&centred).map(|(&w, &x)| w as i16 as i32 * x as i32).sum();
                let acc = self.bias[o] + dot;
                *y = (self.output_zero_point + self.requantize[o].apply(acc)).clamp(self.min as i32, 127) as i8;
            }
        }
    }

    /// Bytes of the int8 weights alone (a quarter of the f32 weights').
    pub const WEIGHT_BYTES: usize = IN * OUT;
}
