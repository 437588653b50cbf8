//! Elman recurrent layer, PyTorch's `nn.RNN(batch_first=True)` (one layer, one direction).

use super::recurrent::{Direction, Directional, Recurrent, RecurrentParams, Returns, SequenceBatch, tanh};
use crate::flat::{Flat, Zeroable};
use crate::gemm::{Fma, Start, matmul_nt, vectorised, vectorised_fma};
use crate::init::Init;
use crate::layer::{Forward, GradMode, Layer, Mode};
use crate::tensors::{TensorPath, TensorVisitor};
use core::marker::PhantomData;
use core::slice::{from_mut, from_ref};
use rand::RngCore;

/// The nonlinearity of an [`Rnn`], PyTorch's `nonlinearity` argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RnnNonlinearity {
    /// `tanh`, PyTorch's default.
    #[default]
    Tanh,
    /// `max(0, ·)`.
    Relu,
}

impl RnnNonlinearity {
    /// The nonlinearity of `x`, multiply-adds as `m` says.
    #[inline(always)]
    fn apply(self, x: f32, m: Fma) -> f32 {
        match self {
            RnnNonlinearity::Tanh => tanh(x, m),
            RnnNonlinearity::Relu => x.max(0.0),
        }
    }

    /// The derivative, from the output `y` (`1 - y²`, or 1 where `y > 0`: relu'(0) = 0 as
    /// in PyTorch).
    #[inline(always)]
    fn derivative(self, y: f32) -> f32 {
        match self {
            RnnNonlinearity::Tanh => 1.0 - y * y,
            RnnNonlinearity::Relu => {
                if y > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }
}

/// A plain (Elman) RNN over sequences of `T` steps of `F` features (`[[f32; F]; T]`, batch
/// first), with `H` hidden units:
///
/// `h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`, `act` = tanh or relu,
///
/// from `h_0 = 0`. The output is every `h_t` (`R =` [`Sequence`](super::Sequence)) or `h_T`
/// only ([`LastStep`](super::LastStep)). Parameters are PyTorch's `weight_ih_l0` `[H, F]`,
/// `weight_hh_l0` `[H, H]`, `bias_ih_l0`, `bias_hh_l0` (only their sum matters, and their
/// gradients are equal, as in PyTorch). [`Bidirectional`](super::Bidirectional) runs it
/// both ways (`bidirectional = true` in `network!`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rnn<const T: usize, const F: usize, const H: usize, R: Returns> {
    /// Initialiser of every weight and bias (fan_in = H; `Init::Default` is PyTorch's
    /// `U(-1/√H, 1/√H)`).
    pub init: Init,
    /// `tanh` (default) or `relu`.
    pub nonlinearity: RnnNonlinearity,
    returns: PhantomData<R>,
}

impl<const T: usize, const F: usize, const H: usize, R: Returns> Default for Rnn<T, F, H, R> {
    /// PyTorch's defaults: tanh, `U(-1/√H, 1/√H)`.
    fn default() -> Self {
        Rnn::new(RnnNonlinearity::Tanh)
    }
}

/// What a forward pass over one sequence keeps for backward.
#[derive(Clone, Copy, Debug)]
pub struct RnnSteps<const T: usize, const H: usize> {
    /// `h_t` after step `t` (PyTorch's `output`; `h[T - 1]` is `h_n`).
    pub h: [[f32; H]; T],
    /// The state before the first step.
    pub initial: [f32; H],
}

// SAFETY: arrays of f32.
unsafe impl<const T: usize, const H: usize> Zeroable for RnnSteps<T, H> {}

/// The memory of an [`Rnn`] stepping `B` sequences together (its training cache and its
/// inference scratch).
pub struct RnnCache<const T: usize, const F: usize, const H: usize, const B: usize> {
    batch: SequenceBatch<1, T, H, B>,
}

// SAFETY: arrays of f32.
unsafe impl<const T: usize, const F: usize, const H: usize, const B: usize> Zeroable for RnnCache<T, F, H, B> {}

impl<const T: usize, const F: usize, const H: usize, R: Returns> Rnn<T, F, H, R> {
    const NOT_EMPTY: () = assert!(T > 0 && H > 0, "Rnn: a sequence needs at least one step and one unit");

    /// An RNN with this nonlinearity and PyTorch's initialisation.
    pub fn new(nonlinearity: RnnNonlinearity) -> Self {
        Rnn { init: Init::Default, nonlinearity, returns: PhantomData }
    }

    /// Runs the batch `x` from the zero state, its sequences stepped together, recording
    /// every step in `cache`, and writes the outputs.
    fn forward_batch<const B: usize>(
        &self,
        params: &RecurrentParams<1, F, H>,
        x: &[[[f32; F]; T]],
        y: &mut [R::Output<T, H>],
        RnnCache { batch }: &mut RnnCache<T, F, H, B>,
    ) {
        let () = Self::NOT_EMPTY;
        let n = x.len();
        batch.begin(params, x);
        for t in 0..T {
            batch.recur(n, t);
            let SequenceBatch { gates: [zx], h, zh: [zh], state, .. } = &mut *batch;
            vectorised_fma(
                #[inline(always)]
                |m| {
                    for (b, state) in state[..n].iter_mut().enumerate() {
                        for (k, s) in state.iter_mut().enumerate() {
                            *s = self.nonlinearity.apply(zx[b][t][k] + zh[b][k] + params.bias_hh[0][k], m);
                        }
                        h[b][t] = *state;
                    }
                },
            );
        }
        for (h, y) in batch.h.iter().zip(y.iter_mut()) {
            R::output(h, y);
        }
    }

    /// `h = act(zx + W_hh h + b_hh)`.
    #[inline(always)]
    fn cell(&self, params: &RecurrentParams<1, F, H>, zx: &[f32; H], h: &mut [f32; H]) {
        let mut zh = [0.0; H];
        params.recur(0, h, &mut zh);
        vectorised_fma(
            #[inline(always)]
            |m| {
                for ((h, x), z) in h.iter_mut().zip(zx).zip(&zh) {
                    *h = self.nonlinearity.apply(x + z, m);
                }
            },
        );
    }

    /// Runs the sequence `x` from `initial`, recording every step in `steps`.
    pub fn forward_sequence(
        &self,
        params: &RecurrentParams<1, F, H>,
        x: &[[f32; F]; T],
        initial: &[f32; H],
        steps: &mut RnnSteps<T, H>,
    ) {
        let () = Self::NOT_EMPTY;
        steps.initial = *initial;
        let mut zx = [[[0.0; H]; T]; 1];
        params.project(x, &mut zx);
        let mut h = *initial;
        for (zx, out) in zx[0].iter().zip(steps.h.iter_mut()) {
            self.cell(params, zx, &mut h);
            *out = h;
        }
    }

    /// Backpropagation through time over one recorded sequence, for
    /// `L = Σ dy·y + d_final·h_T`: adds the parameter gradients to `grads`, writes
    /// `dL/dh_0` to `d_initial` and, when asked, `dx`. `dpre` is scratch.
    #[allow(clippy::too_many_arguments, reason = "one sequence of BPTT: inputs, states, gradients")]
    pub fn backward_sequence(
        &self,
        params: &RecurrentParams<1, F, H>,
        x: &[[f32; F]; T],
        steps: &RnnSteps<T, H>,
        dy: &R::Output<T, H>,
        d_final: &[f32; H],
        d_initial: &mut [f32; H],
        dx: Option<&mut [[f32; F]; T]>,
        grads: &mut RecurrentParams<1, F, H>,
        dpre: &mut [[[f32; H]; T]; 1],
    ) {
        let mut dh = *d_final;
        for t in (0..T).rev() {
            if let Some(d) = R::grad(dy, t) {
                dh.iter_mut().zip(d).for_each(|(a, b)| *a += b);
            }
            for ((p, d), &h) in dpre[0][t].iter_mut().zip(&dh).zip(&steps.h[t]) {
                *p = d * self.nonlinearity.derivative(h);
            }
            params.back_recur(dpre, t, &mut dh);
        }
        *d_initial = dh;
        params.backward(x, &steps.initial, &steps.h, dpre, dpre, dx, grads);
    }
}

impl<const T: usize, const F: usize, const H: usize, R: Returns> Forward for Rnn<T, F, H, R> {
    type Input = [[f32; F]; T];
    type Output = R::Output<T, H>;
    type Params = RecurrentParams<1, F, H>;
    type State = ();
    /// The batch's steps, as in training.
    type Scratch<const B: usize> = RnnCache<T, F, H, B>;

    fn infer<const B: usize>(
        &self,
        params: &Self::Params,
        _: &(),
        x: &[Self::Input],
        y: &mut [Self::Output],
        scratch: &mut RnnCache<T, F, H, B>,
    ) {
        self.forward_batch(params, x, y, scratch);
    }

    /// `weight_ih_l0` `[H, F]`, `weight_hh_l0` `[H, H]`, `bias_ih_l0`, `bias_hh_l0` `[H]`,
    /// as `nn.RNN`.
    fn visit_tensors<V: TensorVisitor>(&self, params: &mut Self::Params, _: &mut (), path: &TensorPath<'_>, v: &mut V) {
        params.visit_direction(path, v, Direction::Forward);
    }
}

impl<const T: usize, const F: usize, const H: usize, R: Returns> Layer for Rnn<T, F, H, R> {
    type Cache<const B: usize> = RnnCache<T, F, H, B>;

    fn init<Rng: RngCore + ?Sized>(&self, params: &mut Self::Params, _: &mut (), rng: &mut Rng) {
        params.fill(self.init, rng);
    }

    fn forward<const B: usize>(
        &self,
        params: &Self::Params,
        _: &(),
        x: &[Self::Input],
        y: &mut [Self::Output],
        cache: &mut Self::Cache<B>,
        _: Mode,
    ) {
        self.forward_batch(params, x, y, cache);
    }

    /// Backpropagation through time over the batch, its sequences stepped together
    /// backwards: `B`-row products per step.
    fn backward<const B: usize>(
        &self,
        params: &Self::Params,
        x: &[Self::Input],
        _: &[Self::Output],
        dy: &[Self::Output],
        cache: &mut Self::Cache<B>,
        dx: Option<&mut [Self::Input]>,
        grads: &mut Self::Params,
        mode: GradMode,
    ) {
        if mode == GradMode::Overwrite {
            *grads = Self::Params::zeroed();
        }
        let n = x.len();
        let SequenceBatch { gates: [pre], h, zh: dpre, state: dh, .. } = &mut cache.batch;
        dh[..n].fill([0.0; H]);
        for t in (0..T).rev() {
            vectorised(
                #[inline(always)]
                || {
                    for (b, dy) in dy.iter().enumerate().take(n) {
                        if let Some(d) = R::grad(dy, t) {
                            dh[b].iter_mut().zip(d).for_each(|(a, d)| *a += d);
                        }
                        for ((p, d), &h) in dpre[0][b].iter_mut().zip(&dh[b]).zip(&h[b][t]) {
                            *p = d * self.nonlinearity.derivative(h);
                        }
                        // The step's place in the record keeps its gradient for the
                        // parameter products after the loop.
                        pre[b][t] = dpre[0][b];
                    }
                },
            );
            // What step 0 passes back is `dL/dh_{-1}`, the gradient of the zero initial
            // state, which the layer does not return.
            if t > 0 {
                params.back_recur_batch(Start::Zero, dpre, &mut dh[..n]);
            }
        }
        let dpre = pre[..n].as_flattened_mut();
        params.input_gradients(x.as_flattened(), [&*dpre], dx.map(|d| d[..n].as_flattened_mut()), grads);
        RecurrentParams::recurrent_gradients::<T>([dpre], h[..n].as_flattened(), grads);
    }
}

impl<const T: usize, const F: usize, const H: usize, R: Returns> Recurrent for Rnn<T, F, H, R> {
    type Step = [f32; F];
    type Hidden = [f32; H];
    type Carry = [f32; H];

    fn step<'c>(&self, params: &Self::Params, h: &'c mut [f32; H], x: &[f32; F]) -> &'c [f32; H] {
        let mut zx = [0.0; H];
        matmul_nt(from_ref(x), &params.weight_ih[0], &params.bias_ih[0], from_mut(&mut zx));
        self.cell(params, &zx, h);
        h
    }
}
