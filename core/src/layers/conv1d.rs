//! 1-D convolution on `[C, L]` signals, PyTorch's `nn.Conv1d` (groups 1), with stride,
//! zero padding and dilation.

use crate::flat::{Flat, Zeroable};
use crate::init::Init;
use crate::layer::{Forward, GradMode, Layer, Mode};
use crate::layers::InputGradient;
use crate::tensors::{TensorPath, TensorVisitor};
use rand::RngCore;

/// A 1-D convolution, `nn.Conv1d(C, OC, K, stride=S, padding=P, dilation=D)`:
///
/// `y[o][j] = b[o] + Σ_{c, u} W[o][c][u] · xpad[c][j·S + u·D]`
///
/// (cross-correlation, no kernel flip), `xpad` being `x` with `P` zeros at each end, and
/// `OL = (L + 2P - D·(K - 1) - 1) / S + 1`. Backward: `dW[o][c][u] = Σ_j dy[o][j] ·
/// xpad[c][j·S + u·D]`, `db[o] = Σ_j dy[o][j]`, and `dx[c][l]` the sum of `W[o][c][u] ·
/// dy[o][j]` over the taps that read `x[c][l]`. The loops run over the output positions
/// whose tap falls inside the signal, so padding costs nothing; unlike [`Conv2d`](super::Conv2d)
/// there is no im2col and matrix product (1-D layers are small, and dilation would need a
/// column buffer of its own).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Conv1d<
    const C: usize,
    const L: usize,
    const OC: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    const D: usize,
    const OL: usize,
> {
    /// Initialiser of the weight (fan_in = `C·K`, fan_out = `OC·K`, as PyTorch).
    pub init: Init,
    /// Initialiser of the bias (same fans).
    pub bias_init: Init,
}

impl<
    const C: usize,
    const L: usize,
    const OC: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    const D: usize,
    const OL: usize,
> Default for Conv1d<C, L, OC, K, S, P, D, OL>
{
    /// PyTorch's default: weight and bias `U(-1/√(C·K), 1/√(C·K))`.
    fn default() -> Self {
        Conv1d { init: Init::Default, bias_init: Init::Default }
    }
}

/// The parameters of a [`Conv1d`] layer, laid out as PyTorch's.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct Conv1dParams<const C: usize, const OC: usize, const K: usize> {
    /// `[out_channels, in_channels, kernel_size]`, PyTorch's `weight`.
    pub weight: [[[f32; K]; C]; OC],
    /// `[out_channels]`, PyTorch's `bias`.
    pub bias: [f32; OC],
}

// SAFETY: repr(C) of f32 arrays.
unsafe impl<const C: usize, const OC: usize, const K: usize> Zeroable for Conv1dParams<C, OC, K> {}
// SAFETY: repr(C) of f32 arrays: OC·C·K + OC values, all f32, so no padding.
unsafe impl<const C: usize, const OC: usize, const K: usize> Flat for Conv1dParams<C, OC, K> {
    const LEN: usize = OC * C * K + OC;
}

impl<
    const C: usize,
    const L: usize,
    const OC: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    const D: usize,
    const OL: usize,
> Conv1d<C, L, OC, K, S, P, D, OL>
{
    /// Whether the const parameters describe a convolution: kernel, stride and dilation at
    /// least 1, the dilated kernel no longer than the padded input, `OL` as PyTorch's.
    const SHAPES_AGREE: bool =
        K > 0 && S > 0 && D > 0 && L + 2 * P > D * (K - 1) && OL == (L + 2 * P - D * (K - 1) - 1) / S + 1;

    /// For tap `u`: the output positions `j0..j1` whose input `j·S + u·D - P` lies in `0..L`,
    /// and the input position of `j0`.
    #[inline(always)]
    fn taps(u: usize) -> (usize, usize, usize) {
        let offset = u * D;
        let j0 = if offset >= P { 0 } else { (P - offset).div_ceil(S) };
        let j1 = if L + P > offset { (L + P - offset).div_ceil(S).min(OL) } else { 0 };
        let j0 = j0.min(j1);
        (j0, j1, (j0 * S + offset).saturating_sub(P))
    }

    fn check_shapes() {
        const {
            assert!(
                Self::SHAPES_AGREE,
                "Conv1d: OL must be (L + 2P - D(K - 1) - 1) / S + 1, with kernel, stride and dilation >= 1"
            )
        };
    }
}

impl<
    const C: usize,
    const L: usize,
    const OC: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    const D: usize,
    const OL: usize,
> Forward for Conv1d<C, L, OC, K, S, P, D, OL>
{
    type Input = [[f32; L]; C];
    type Output = [[f32; OL]; OC];
    type Params = Conv1dParams<C, OC, K>;
    type State = ();
    type Scratch<const B: usize> = ();

    fn infer<const B: usize>(
        &self,
        params: &Self::Params,
        _: &(),
        x: &[Self::Input],
        y: &mut [Self::Output],
        _: &mut (),
    ) {
        Self::check_shapes();
        for (x, y) in x.iter().zip(y.iter_mut()) {
            for ((y, w), &b) in y.iter_mut().zip(&params.weight).zip(&params.bias) {
                y.fill(b);
                for (x, w) in x.iter().zip(w) {
                    for (u, &w) in w.iter().enumerate() {
                        let (j0, j1, start) = Self::taps(u);
                        for (y, &x) in y[j0..j1].iter_mut().zip(x.get(start..).unwrap_or(&[]).iter().step_by(S)) {
                            *y += w * x;
                        }
                    }
                }
            }
        }
    }

    /// `weight` `[out_c, in_c, k]` and `bias` `[out_c]`, as `nn.Conv1d`.
    fn visit_tensors<V: TensorVisitor>(&self, params: &mut Self::Params, _: &mut (), path: &TensorPath<'_>, v: &mut V) {
        v.tensor(&path.child("weight"), &[OC, C, K], params.weight.as_flat_mut());
        v.tensor(&path.child("bias"), &[OC], &mut params.bias);
    }
}

impl<
    const C: usize,
    const L: usize,
    const OC: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    const D: usize,
    const OL: usize,
> Layer for Conv1d<C, L, OC, K, S, P, D, OL>
{
    type Cache<const B: usize> = ();

    fn init<R: RngCore + ?Sized>(&self, params: &mut Self::Params, _: &mut (), rng: &mut R) {
        let (fan_in, fan_out) = (C * K, OC * K);
        self.init.fill(params.weight.as_flat_mut(), fan_in, fan_out, rng);
        self.bias_init.fill(&mut params.bias, fan_in, fan_out, rng);
    }

    fn forward<const B: usize>(
        &self,
        params: &Self::Params,
        state: &(),
        x: &[Self::Input],
        y: &mut [Self::Output],
        _: &mut (),
        _: Mode,
    ) {
        self.infer::<B>(params, state, x, y, &mut ());
    }

    fn backward<const B: usize>(
        &self,
        params: &Self::Params,
        x: &[Self::Input],
        _: &[Self::Output],
        dy: &[Self::Output],
        _: &mut (),
        dx: Option<&mut [Self::Input]>,
        grads: &mut Self::Params,
        mode: GradMode,
    ) {
        if mode == GradMode::Overwrite {
            *grads = Self::Params::zeroed();
        }
        for (x, dy) in x.iter().zip(dy) {
            for ((db, dw), dy) in grads.bias.iter_mut().zip(&mut grads.weight).zip(dy) {
                *db += dy.iter().sum::<f32>();
                for (dw, x) in dw.iter_mut().zip(x) {
                    for (u, dw) in dw.iter_mut().enumerate() {
                        let (j0, j1, start) = Self::taps(u);
                        let taps = dy[j0..j1].iter().zip((start..).step_by(S));
                        *dw += taps.map(|(&g, l)| g * x[l]).sum::<f32>();
                    }
                }
            }
        }
        if let Some(dx) = dx {
            self.input_gradient::<B>(params, &(), &[], &[], dy, &mut (), dx);
        }
    }
}

impl<
    const C: usize,
    const L: usize,
    const OC: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    const D: usize,
    const OL: usize,
> InputGradient for Conv1d<C, L, OC, K, S, P, D, OL>
{
    /// `dx[c][l]`, the sum of `W[o][c][u] · dy[o][j]` over the taps that read `x[c][l]`.
    fn input_gradient<const B: usize>(
        &self,
        params: &Self::Params,
        _: &(),
        _: &[Self::Input],
        _: &[Self::Output],
        dy: &[Self::Output],
        _: &mut (),
        dx: &mut [Self::Input],
    ) {
        for (dy, dx) in dy.iter().zip(dx) {
            *dx = [[0.0; L]; C];
            for (dy, weight) in dy.iter().zip(&params.weight) {
                for (dx, weight) in dx.iter_mut().zip(weight) {
                    for (u, &w) in weight.iter().enumerate() {
                        let (j0, j1, start) = Self::taps(u);
                        for (&g, l) in dy[j0..j1].iter().zip((start..).step_by(S)) {
                            dx[l] += g * w;
                        }
                    }
                }
            }
        }
    }
}
