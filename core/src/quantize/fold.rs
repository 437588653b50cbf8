//! Folding a batch norm into the layer before it, and per-channel weight quantization.

use crate::error::Error;
use crate::layers::{BatchNormParams, BatchNormState};

/// A per-output-channel affine map applied to a layer's output, `y' = factor · y + shift`,
/// folded into its weights and bias: `W'[o] = factor[o] · W[o]`,
/// `b'[o] = factor[o] · b[o] + shift[o]`. The identity for a layer alone; for a following
/// batch norm in evaluation mode, `factor = γ / √(running_var + eps)` and
/// `shift = β - running_mean · factor`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChannelFold<const C: usize> {
    /// Multiplies channel `o`.
    pub factor: [f32; C],
    /// Then added to channel `o`.
    pub shift: [f32; C],
}

impl<const C: usize> ChannelFold<C> {
    /// No batch norm: `factor = 1`, `shift = 0`.
    pub const IDENTITY: Self = ChannelFold { factor: [1.0; C], shift: [0.0; C] };

    /// The evaluation-mode batch norm `layer` with `params`, `state` and `eps`, as a fold;
    /// a variance at or below `-eps`, or a non-finite factor, is [`Error::NotQuantizable`].
    pub fn batch_norm(
        layer: &'static str,
        params: &BatchNormParams<C>,
        state: &BatchNormState<C>,
        eps: f32,
    ) -> Result<Self, Error> {
        let mut fold = Self::IDENTITY;
        for o in 0..C {
            let var = state.running_var[o] + eps;
            let factor = params.weight[o] / crate::math::sqrt(var);
            let shift = params.bias[o] - state.running_mean[o] * factor;
            if !(var > 0.0 && factor.is_finite() && shift.is_finite()) {
                return Err(Error::NotQuantizable { layer, why: "its batch norm has a variance that does not fold" });
            }
            (fold.factor[o], fold.shift[o]) = (factor, shift);
        }
        Ok(fold)
    }
}

/// Quantizes one output channel's weights `factor · w` symmetrically into `q`:
/// `scale = max|factor · w| / 127` (1 for an all-zero channel), `q = round(factor · w / scale)`.
/// Returns the scale.
pub(crate) fn quantize_channel(w: &[f32], factor: f32, q: &mut [i8]) -> f32 {
    let max = w.iter().fold(0.0f32, |m, &v| m.max((v * factor).abs()));
    let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
    for (q, &v) in q.iter_mut().zip(w) {
        *q = libm::roundf(v * factor / scale).clamp(-127.0, 127.0) as i8;
    }
    scale
}

/// The i32 bias of a channel, `round(bias / (input_scale · weight_scale))`; one of
/// magnitude `2^30` or more (leaving the accumulator no headroom) is
/// [`Error::NotQuantizable`].
pub(crate) fn quantize_bias(layer: &'static str, bias: f32, input_scale: f32, weight_scale: f32) -> Result<i32, Error> {
    let q = libm::round(bias as f64 / (input_scale as f64 * weight_scale as f64));
    if q.abs() < (1u64 << 30) as f64 {
        Ok(q as i32)
    } else {
        Err(Error::NotQuantizable { layer, why: "its bias does not fit an i32 at scale input_scale · weight_scale" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_quantize_symmetrically_to_their_largest_magnitude() {
        let mut q = [0i8; 4];
        let scale = quantize_channel(&[0.3, -1.0, 0.25, 0.0], 2.0, &mut q);
        assert_eq!(scale, 2.0 / 127.0);
        assert_eq!(q, [38, -127, 32, 0]); // 38.1 and 31.75 rounded
        assert_eq!(quantize_channel(&[0.0; 3], 1.0, &mut q[..3]), 1.0);
        assert_eq!(quantize_bias("b", 1.0, 0.5, 0.25), Ok(8));
        assert!(quantize_bias("b", 1e10, 1e-3, 1e-3).is_err());
    }

    #[test]
    fn a_batch_norm_folds_into_a_factor_and_a_shift() {
        let params = BatchNormParams { weight: [2.0, 1.0], bias: [0.5, 0.0] };
        let mut state: BatchNormState<2> = crate::Flat::zeroed();
        state.running_mean = [1.0, -2.0];
        state.running_var = [4.0 - 1e-5, 0.25 - 1e-5];
        let fold = ChannelFold::batch_norm("bn", &params, &state, 1e-5).unwrap();
        // factor = γ / √(var + eps), shift = β - mean · factor.
        assert_eq!(fold.factor, [1.0, 2.0]);
        assert_eq!(fold.shift, [-0.5, 4.0]);
        state.running_var[1] = -1.0;
        assert!(matches!(
            ChannelFold::batch_norm("bn", &params, &state, 1e-5),
            Err(Error::NotQuantizable { layer: "bn", .. })
        ));
    }
}
