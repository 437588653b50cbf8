//! Long short-term memory, PyTorch's `nn.LSTM(batch_first=True)` (one layer, one direction).

use super::recurrent::{Direction, Directional, Recurrent, RecurrentParams, Returns, SequenceBatch, sigmoid, tanh};
use crate::flat::{Flat, Zeroable};
use crate::gemm::{Fma, Start, matmul_nt, vectorised_fma};
use crate::init::Init;
use crate::layer::{Forward, GradMode, Layer, Mode};
use crate::tensors::{TensorPath, TensorVisitor};
use core::marker::PhantomData;
use core::slice::{from_mut, from_ref};
use rand::RngCore;

/// An LSTM over sequences of `T` steps of `F` features (`[[f32; F]; T]`, batch first),
/// with `H` hidden units, gates in PyTorch's order i, f, g, o:
///
/// ```text
/// i = σ(W_ii x_t + b_ii + W_hi h + b_hi)    f = σ(W_if x_t + b_if + W_hf h + b_hf)
/// g = tanh(W_ig x_t + b_ig + W_hg h + b_hg) o = σ(W_io x_t + b_io + W_ho h + b_ho)
/// c_t = f ⊙ c_{t-1} + i ⊙ g                 h_t = o ⊙ tanh(c_t)
/// ```
///
/// from `h_0 = c_0 = 0`. The output is every `h_t` (`R =` [`Sequence`](super::Sequence)) or
/// `h_T` only ([`LastStep`](super::LastStep)), Keras's `return_sequences`. Parameters are
/// PyTorch's `weight_ih_l0` `[4H, F]`, `weight_hh_l0` `[4H, H]`, `bias_ih_l0`, `bias_hh_l0`,
/// so a model file matches `nn.LSTM(F, H, batch_first=True)`. Backward is backpropagation
/// through time over the whole sequence. [`Lstm::forward_sequence`] and
/// [`Lstm::backward_sequence`] take an initial state and give its gradient; [`Recurrent`]
/// steps one input at a time. [`Bidirectional`](super::Bidirectional) runs it both ways
/// (`bidirectional = true` in `network!`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lstm<const T: usize, const F: usize, const H: usize, R: Returns> {
    /// Initialiser of every weight and bias (fan_in = H; `Init::Default` is PyTorch's
    /// `U(-1/√H, 1/√H)`).
    pub init: Init,
    returns: PhantomData<R>,
}

impl<const T: usize, const F: usize, const H: usize, R: Returns> Default for Lstm<T, F, H, R> {
    /// PyTorch's initialisation.
    fn default() -> Self {
        Lstm { init: Init::Default, returns: PhantomData }
    }
}

/// The state an LSTM carries between steps: PyTorch's `(h, c)`.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct LstmState<const H: usize> {
    /// Hidden state (the output of the step).
    pub h: [f32; H],
    /// Cell state.
    pub c: [f32; H],
}

// SAFETY: repr(C) of f32 arrays.
unsafe impl<const H: usize> Zeroable for LstmState<H> {}
// SAFETY: repr(C) of two [f32; H]: 2·H values without padding.
unsafe impl<const H: usize> Flat for LstmState<H> {
    const LEN: usize = 2 * H;
}

/// What a forward pass over one sequence keeps for backward: the activated gates, cell and
/// hidden states of every step, and the initial state.
#[derive(Clone, Copy, Debug)]
pub struct LstmSteps<const T: usize, const H: usize> {
    /// `[i, f, g, o][t]` after their activations.
    pub gates: [[[f32; H]; T]; 4],
    /// `c_t` after step `t` (`c[T - 1]` is PyTorch's `c_n`).
    pub c: [[f32; H]; T],
    /// `h_t` after step `t` (PyTorch's `output`; `h[T - 1]` is `h_n`).
    pub h: [[f32; H]; T],
    /// The state before the first step.
    pub initial: LstmState<H>,
}

// SAFETY: arrays of f32.
unsafe impl<const T: usize, const H: usize> Zeroable for LstmSteps<T, H> {}

/// The memory of an [`Lstm`] stepping `B` sequences together (its training cache and its
/// inference scratch): every step's gates and states, with the cell states.
pub struct LstmCache<const T: usize, const F: usize, const H: usize, const B: usize> {
    batch: SequenceBatch<4, T, H, B>,
    /// `c_t` of each sequence after step `t`.
    c: [[[f32; H]; T]; B],
    /// Each sequence's running `c` (forward) or `dL/dc` (backward).
    c_state: [[f32; H]; B],
}

// SAFETY: arrays of f32.
unsafe impl<const T: usize, const F: usize, const H: usize, const B: usize> Zeroable for LstmCache<T, F, H, B> {}

/// One hidden unit of the cell: from its pre-activations `z = [i, f, g, o]` and `c_{t-1}`,
/// the activated gates, `c_t` and `h_t` (multiply-adds as `m` says).
#[inline(always)]
fn unit([zi, zf, zg, zo]: [f32; 4], c_prev: f32, m: Fma) -> ([f32; 4], f32, f32) {
    let (i, f, g, o) = (sigmoid(zi, m), sigmoid(zf, m), tanh(zg, m), sigmoid(zo, m));
    let c = m.mul_add(f, c_prev, i * g);
    ([i, f, g, o], c, o * tanh(c, m))
}

/// Applies the cell to the pre-activations `pre = [i, f, g, o]` (turned into the activated
/// gates) and the state `s` (`c_{t-1}`, `h_{t-1}` in, `c_t`, `h_t` out).
#[inline(always)]
fn cell<const H: usize>(pre: &mut [[f32; H]; 4], s: &mut LstmState<H>, m: Fma) {
    let [pi, pf, pg, po] = pre;
    for k in 0..H {
        let ([i, f, g, o], c, h) = unit([pi[k], pf[k], pg[k], po[k]], s.c[k], m);
        (pi[k], pf[k], pg[k], po[k]) = (i, f, g, o);
        (s.c[k], s.h[k]) = (c, h);
    }
}

/// One step of the cell backwards: from `dh` (`dL/dh_t`), `dc` (`dL/dc_t` from the later
/// steps; `dL/dc_{t-1}` on return), the step's activated gates and its cell states, the
/// gradients of the four pre-activations.
#[inline(always)]
fn cell_backward<const H: usize>(
    [gi, gf, gg, go]: [&[f32; H]; 4],
    (c, c_prev): (&[f32; H], &[f32; H]),
    dh: &[f32; H],
    dc: &mut [f32; H],
    [di, df, dg, d_o]: [&mut [f32; H]; 4],
    m: Fma,
) {
    for k in 0..H {
        let (i, f, g, o) = (gi[k], gf[k], gg[k], go[k]);
        let tc = tanh(c[k], m);
        let dc_k = dc[k] + dh[k] * o * (1.0 - tc * tc);
        di[k] = dc_k * g * i * (1.0 - i);
        df[k] = dc_k * c_prev[k] * f * (1.0 - f);
        dg[k] = dc_k * i * (1.0 - g * g);
        d_o[k] = dh[k] * tc * o * (1.0 - o);
        dc[k] = dc_k * f;
    }
}

impl<const T: usize, const F: usize, const H: usize, R: Returns> Lstm<T, F, H, R> {
    const NOT_EMPTY: () = assert!(T > 0 && H > 0, "Lstm: a sequence needs at least one step and one unit");

    /// Runs the batch `x` from the zero state, its sequences stepped together, recording
    /// every step in `cache`, and writes the outputs.
    fn forward_batch<const B: usize>(
        &self,
        params: &RecurrentParams<4, F, H>,
        x: &[[[f32; F]; T]],
        y: &mut [R::Output<T, H>],
        cache: &mut LstmCache<T, F, H, B>,
    ) {
        let () = Self::NOT_EMPTY;
        let n = x.len();
        let LstmCache { batch, c, c_state } = cache;
        batch.begin(params, x);
        c_state[..n].fill([0.0; H]);
        for t in 0..T {
            batch.recur(n, t);
            let SequenceBatch { gates, h, zh, state, .. } = &mut *batch;
            vectorised_fma(
                #[inline(always)]
                |m| {
                    for b in 0..n {
                        // In place: the input side's pre-activations become the gates.
                        let [gi, gf, gg, go] = gates.each_mut().map(|g| &mut g[b][t]);
                        let [hi, hf, hg, ho] = zh.each_ref().map(|z| &z[b]);
                        let [bi, bf, bg, bo] = &params.bias_hh;
                        let (c_t, c_run, h_t, h_run) = (&mut c[b][t], &mut c_state[b], &mut h[b][t], &mut state[b]);
                        for k in 0..H {
                            let z = [
                                gi[k] + hi[k] + bi[k],
                                gf[k] + hf[k] + bf[k],
                                gg[k] + hg[k] + bg[k],
                                go[k] + ho[k] + bo[k],
                            ];
                            let ([i, f, g, o], c_k, h_k) = unit(z, c_run[k], m);
                            (gi[k], gf[k], gg[k], go[k]) = (i, f, g, o);
                            (c_t[k], c_run[k], h_t[k], h_run[k]) = (c_k, c_k, h_k, h_k);
                        }
                    }
                },
            );
        }
        for (h, y) in batch.h.iter().zip(y.iter_mut()) {
            R::output(h, y);
        }
    }

    /// Runs the sequence `x` from `initial`, recording every step in `steps`.
    pub fn forward_sequence(
        &self,
        params: &RecurrentParams<4, F, H>,
        x: &[[f32; F]; T],
        initial: &LstmState<H>,
        steps: &mut LstmSteps<T, H>,
    ) {
        let () = Self::NOT_EMPTY;
        steps.initial = *initial;
        params.project(x, &mut steps.gates);
        let mut s = *initial;
        let mut pre = [[0.0; H]; 4];
        for t in 0..T {
            for (g, p) in pre.iter_mut().enumerate() {
                params.recur(g, &s.h, p);
                p.iter_mut().zip(&steps.gates[g][t]).for_each(|(p, z)| *p += z);
            }
            vectorised_fma(
                #[inline(always)]
                |m| cell(&mut pre, &mut s, m),
            );
            for (g, p) in pre.iter().enumerate() {
                steps.gates[g][t] = *p;
            }
            (steps.c[t], steps.h[t]) = (s.c, s.h);
        }
    }

    /// Backpropagation through time over one recorded sequence, for
    /// `L = Σ dy·y + d_final·(h_T, c_T)`: adds the parameter gradients to `grads`, writes
    /// `dL/d(initial state)` to `d_initial` and, when asked, `dx`. `dgates` is scratch.
    #[allow(clippy::too_many_arguments, reason = "one sequence of BPTT: inputs, states, gradients")]
    pub fn backward_sequence(
        &self,
        params: &RecurrentParams<4, F, H>,
        x: &[[f32; F]; T],
        steps: &LstmSteps<T, H>,
        dy: &R::Output<T, H>,
        d_final: &LstmState<H>,
        d_initial: &mut LstmState<H>,
        dx: Option<&mut [[f32; F]; T]>,
        grads: &mut RecurrentParams<4, F, H>,
        dgates: &mut [[[f32; H]; T]; 4],
    ) {
        let LstmState { h: mut dh, c: mut dc } = *d_final;
        for t in (0..T).rev() {
            if let Some(d) = R::grad(dy, t) {
                dh.iter_mut().zip(d).for_each(|(a, b)| *a += b);
            }
            let c_prev = if t == 0 { &steps.initial.c } else { &steps.c[t - 1] };
            let gates = steps.gates.each_ref().map(|g| &g[t]);
            let dgates_t = dgates.each_mut().map(|d| &mut d[t]);
            vectorised_fma(
                #[inline(always)]
                |m| cell_backward(gates, (&steps.c[t], c_prev), &dh, &mut dc, dgates_t, m),
            );
            params.back_recur(dgates, t, &mut dh);
        }
        *d_initial = LstmState { h: dh, c: dc };
        params.backward(x, &steps.initial.h, &steps.h, dgates, dgates, dx, grads);
    }
}

impl<const T: usize, const F: usize, const H: usize, R: Returns> Forward for Lstm<T, F, H, R> {
    type Input = [[f32; F]; T];
    type Output = R::Output<T, H>;
    type Params = RecurrentParams<4, F, H>;
    type State = ();
    /// The batch's steps, as in training.
    type Scratch<const B: usize> = LstmCache<T, F, H, B>;

    fn infer<const B: usize>(
        &self,
        params: &Self::Params,
        _: &(),
        x: &[Self::Input],
        y: &mut [Self::Output],
        scratch: &mut LstmCache<T, F, H, B>,
    ) {
        self.forward_batch(params, x, y, scratch);
    }

    /// `weight_ih_l0` `[4H, F]`, `weight_hh_l0` `[4H, H]`, `bias_ih_l0`, `bias_hh_l0` `[4H]`,
    /// as `nn.LSTM`.
    fn visit_tensors<V: TensorVisitor>(&self, params: &mut Self::Params, _: &mut (), path: &TensorPath<'_>, v: &mut V) {
        params.visit_direction(path, v, Direction::Forward);
    }
}

impl<const T: usize, const F: usize, const H: usize, R: Returns> Layer for Lstm<T, F, H, R> {
    type Cache<const B: usize> = LstmCache<T, F, H, B>;

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
    /// backwards (`B`-row products per gate and step for `dL/dh`), then the parameter
    /// gradients over every sequence and step at once.
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
        let LstmCache { batch, c, c_state: dc } = cache;
        let SequenceBatch { gates, h, zh: dgates, state: dh, .. } = batch;
        let zero = [0.0; H];
        dh[..n].fill(zero);
        dc[..n].fill(zero);
        for t in (0..T).rev() {
            vectorised_fma(
                #[inline(always)]
                |m| {
                    for (b, dy) in dy.iter().enumerate().take(n) {
                        if let Some(d) = R::grad(dy, t) {
                            dh[b].iter_mut().zip(d).for_each(|(a, d)| *a += d);
                        }
                        let c_prev = if t == 0 { &zero } else { &c[b][t - 1] };
                        let step_gates = gates.each_ref().map(|g| &g[b][t]);
                        let dgates_b = dgates.each_mut().map(|d| &mut d[b]);
                        cell_backward(step_gates, (&c[b][t], c_prev), &dh[b], &mut dc[b], dgates_b, m);
                        // The step's gates are read for the last time: their place keeps the
                        // gradients for the parameter products after the loop.
                        for (gate, d) in gates.iter_mut().zip(dgates.iter()) {
                            gate[b][t] = d[b];
                        }
                    }
                },
            );
            // What step 0 passes back is `dL/dh_{-1}`, the gradient of the zero initial
            // state, which the layer does not return.
            if t > 0 {
                params.back_recur_batch(Start::Zero, dgates, &mut dh[..n]);
            }
        }
        let dgates = gates.each_mut().map(|g| g[..n].as_flattened_mut());
        params.input_gradients(
            x.as_flattened(),
            dgates.each_ref().map(|d| &**d),
            dx.map(|d| d[..n].as_flattened_mut()),
            grads,
        );
        RecurrentParams::recurrent_gradients::<T>(dgates, h[..n].as_flattened(), grads);
    }
}

impl<const T: usize, const F: usize, const H: usize, R: Returns> Recurrent for Lstm<T, F, H, R> {
    type Step = [f32; F];
    type Hidden = [f32; H];
    type Carry = LstmState<H>;

    fn step<'c>(&self, params: &Self::Params, carry: &'c mut LstmState<H>, x: &[f32; F]) -> &'c [f32; H] {
        let mut pre = [[0.0; H]; 4];
        let mut zh = [0.0; H];
        for (g, p) in pre.iter_mut().enumerate() {
            matmul_nt(from_ref(x), &params.weight_ih[g], &params.bias_ih[g], from_mut(p));
            params.recur(g, &carry.h, &mut zh);
            p.iter_mut().zip(&zh).for_each(|(p, z)| *p += z);
        }
        vectorised_fma(
            #[inline(always)]
            |m| cell(&mut pre, carry, m),
        );
        &carry.h
    }
}
