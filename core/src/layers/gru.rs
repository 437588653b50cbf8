//! Gated recurrent unit, PyTorch's `nn.GRU(batch_first=True)` (one layer, one direction).

use super::recurrent::{
    Direction, Directional, Gates, Recurrent, RecurrentParams, Returns, SequenceBatch, StepRows, sigmoid, tanh,
};
use crate::flat::{Flat, Zeroable};
use crate::gemm::{Fma, Start, matmul_nt, vectorised, vectorised_fma};
use crate::init::Init;
use crate::layer::{Forward, GradMode, Layer, Mode};
use crate::tensors::{TensorPath, TensorVisitor};
use core::marker::PhantomData;
use core::slice::{from_mut, from_ref};
use rand::RngCore;

/// A GRU over sequences of `T` steps of `F` features (`[[f32; F]; T]`, batch first), with
/// `H` hidden units, gates in PyTorch's order r, z, n:
///
/// ```text
/// r = σ(W_ir x_t + b_ir + W_hr h + b_hr)    z = σ(W_iz x_t + b_iz + W_hz h + b_hz)
/// n = tanh(W_in x_t + b_in + r ⊙ (W_hn h + b_hn))
/// h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}
/// ```
///
/// from `h_0 = 0`. The reset gate multiplies the recurrent product *with* its bias `b_hn`
/// (PyTorch's form, Keras's `reset_after=True`; the original paper and Keras's
/// `reset_after=False` apply `r` to `h` before the product, a different function). The
/// output is every `h_t` (`R =` [`Sequence`](super::Sequence)) or `h_T` only
/// ([`LastStep`](super::LastStep)). Parameters are PyTorch's `weight_ih_l0` `[3H, F]`,
/// `weight_hh_l0` `[3H, H]`, `bias_ih_l0`, `bias_hh_l0`, so a model file matches
/// `nn.GRU(F, H, batch_first=True)` (Keras orders the blocks z, r, h and transposes them).
/// [`Bidirectional`](super::Bidirectional) runs it both ways (`bidirectional = true` in
/// `network!`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gru<const T: usize, const F: usize, const H: usize, R: Returns> {
    /// Initialiser of every weight and bias (fan_in = H; `Init::Default` is PyTorch's
    /// `U(-1/√H, 1/√H)`).
    pub init: Init,
    returns: PhantomData<R>,
}

impl<const T: usize, const F: usize, const H: usize, R: Returns> Default for Gru<T, F, H, R> {
    /// PyTorch's initialisation.
    fn default() -> Self {
        Gru { init: Init::Default, returns: PhantomData }
    }
}

/// What a forward pass over one sequence keeps for backward.
#[derive(Clone, Copy, Debug)]
pub struct GruSteps<const T: usize, const H: usize> {
    /// `[r, z, n][t]` after their activations.
    pub gates: [[[f32; H]; T]; 3],
    /// `W_hn h_{t-1} + b_hn` at step `t`, which the reset gate scales.
    pub hn: [[f32; H]; T],
    /// `h_t` after step `t` (PyTorch's `output`; `h[T - 1]` is `h_n`).
    pub h: [[f32; H]; T],
    /// The state before the first step.
    pub initial: [f32; H],
}

// SAFETY: arrays of f32.
unsafe impl<const T: usize, const H: usize> Zeroable for GruSteps<T, H> {}

/// The memory of a [`Gru`] stepping `B` sequences together (its training cache and its
/// inference scratch): every step's gates and states, the candidate gate's recurrent term,
/// and one step's input-side gate gradients.
pub struct GruCache<const T: usize, const F: usize, const H: usize, const B: usize> {
    batch: SequenceBatch<3, T, H, B>,
    /// `W_hn h_{t-1} + b_hn` of each sequence and step.
    hn: [[[f32; H]; T]; B],
    /// One step's gate gradients of the input side (the recurrent side's are in `batch`).
    dgx: StepRows<3, H, B>,
}

// SAFETY: arrays of f32.
unsafe impl<const T: usize, const F: usize, const H: usize, const B: usize> Zeroable for GruCache<T, F, H, B> {}

/// One hidden unit of the cell: from its input-side pre-activations `zx = [r, z, n]`, its
/// recurrent ones `zh` (with `b_hh`) and `h_{t-1}`, the activated gates and `h_t`
/// (multiply-adds as `m` says).
#[inline(always)]
fn unit([xr, xz, xn]: [f32; 3], [hr, hz, hn]: [f32; 3], h_prev: f32, m: Fma) -> ([f32; 3], f32) {
    let (r, z) = (sigmoid(xr + hr, m), sigmoid(xz + hz, m));
    let n = tanh(m.mul_add(r, hn, xn), m);
    ([r, z, n], m.mul_add(z, h_prev, (1.0 - z) * n))
}

/// Applies the cell to the input-side pre-activations `zx = [r, z, n]` (turned into the
/// activated gates) and the recurrent ones `zh`, updating `h`.
#[inline(always)]
fn cell<const H: usize>(zx: &mut [[f32; H]; 3], zh: &[[f32; H]; 3], h: &mut [f32; H], m: Fma) {
    let ([xr, xz, xn], [hr, hz, hn]) = (zx, zh);
    for k in 0..H {
        let ([r, z, n], h_k) = unit([xr[k], xz[k], xn[k]], [hr[k], hz[k], hn[k]], h[k], m);
        (xr[k], xz[k], xn[k], h[k]) = (r, z, n, h_k);
    }
}

/// One step of the cell backwards: from `dh` (`dL/dh_t`), the step's activated gates, its
/// `W_hn h_{t-1} + b_hn` and `h_{t-1}`, the gradients of the input-side (`dgx`) and
/// recurrent-side (`dgh`) pre-activations, which differ in the candidate gate; `dh` becomes
/// the part of `dL/dh_{t-1}` that does not pass through `W_hh`.
#[inline(always)]
fn cell_backward<const H: usize>(
    [gr, gz, gn]: [&[f32; H]; 3],
    (hn, h_prev): (&[f32; H], &[f32; H]),
    dh: &mut [f32; H],
    ([dgx_r, dgx_z, dgx_n], [dgh_r, dgh_z, dgh_n]): ([&mut [f32; H]; 3], [&mut [f32; H]; 3]),
) {
    for k in 0..H {
        let (r, z, n) = (gr[k], gz[k], gn[k]);
        let dn = dh[k] * (1.0 - z) * (1.0 - n * n);
        let dr = dn * hn[k] * r * (1.0 - r);
        let dz = dh[k] * (h_prev[k] - n) * z * (1.0 - z);
        (dgx_r[k], dgx_z[k], dgx_n[k]) = (dr, dz, dn);
        (dgh_r[k], dgh_z[k], dgh_n[k]) = (dr, dz, dn * r);
        dh[k] *= z;
    }
}

impl<const T: usize, const F: usize, const H: usize, R: Returns> Gru<T, F, H, R> {
    /// Runs the batch `x` from the zero state, its sequences stepped together, recording
    /// every step in `cache`, and writes the outputs.
    fn forward_batch<const B: usize>(
        &self,
        params: &RecurrentParams<3, F, H>,
        x: &[[[f32; F]; T]],
        y: &mut [R::Output<T, H>],
        cache: &mut GruCache<T, F, H, B>,
    ) {
        let () = Self::NOT_EMPTY;
        let n = x.len();
        let GruCache { batch, hn, .. } = cache;
        batch.begin(params, x);
        for t in 0..T {
            batch.recur(n, t);
            let SequenceBatch { gates, h, zh, state, .. } = &mut *batch;
            vectorised_fma(
                #[inline(always)]
                |m| {
                    for b in 0..n {
                        // In place: the input side's pre-activations become the gates.
                        let [gr, gz, gn] = gates.each_mut().map(|g| &mut g[b][t]);
                        let [hr, hz, hn_b] = zh.each_ref().map(|z| &z[b]);
                        let [br, bz, bn] = &params.bias_hh;
                        let (hn_t, h_t, h_run) = (&mut hn[b][t], &mut h[b][t], &mut state[b]);
                        for k in 0..H {
                            let recurrent = [hr[k] + br[k], hz[k] + bz[k], hn_b[k] + bn[k]];
                            let ([r, z, n], h_k) = unit([gr[k], gz[k], gn[k]], recurrent, h_run[k], m);
                            (gr[k], gz[k], gn[k]) = (r, z, n);
                            (hn_t[k], h_t[k], h_run[k]) = (recurrent[2], h_k, h_k);
                        }
                    }
                },
            );
        }
        for (h, y) in batch.h.iter().zip(y.iter_mut()) {
            R::output(h, y);
        }
    }

    const NOT_EMPTY: () = assert!(T > 0 && H > 0, "Gru: a sequence needs at least one step and one unit");

    /// Runs the sequence `x` from `initial`, recording every step in `steps`.
    pub fn forward_sequence(
        &self,
        params: &RecurrentParams<3, F, H>,
        x: &[[f32; F]; T],
        initial: &[f32; H],
        steps: &mut GruSteps<T, H>,
    ) {
        let () = Self::NOT_EMPTY;
        steps.initial = *initial;
        params.project(x, &mut steps.gates);
        let mut h = *initial;
        let (mut zx, mut zh) = ([[0.0; H]; 3], [[0.0; H]; 3]);
        for t in 0..T {
            for (g, (zx, zh)) in zx.iter_mut().zip(zh.iter_mut()).enumerate() {
                *zx = steps.gates[g][t];
                params.recur(g, &h, zh);
            }
            vectorised_fma(
                #[inline(always)]
                |m| cell(&mut zx, &zh, &mut h, m),
            );
            for (g, a) in zx.iter().enumerate() {
                steps.gates[g][t] = *a;
            }
            (steps.hn[t], steps.h[t]) = (zh[2], h);
        }
    }

    /// Backpropagation through time over one recorded sequence, for
    /// `L = Σ dy·y + d_final·h_T`: adds the parameter gradients to `grads`, writes
    /// `dL/dh_0` to `d_initial` and, when asked, `dx`. `dgx` and `dgh` are scratch.
    #[allow(clippy::too_many_arguments, reason = "one sequence of BPTT: inputs, states, gradients")]
    pub fn backward_sequence(
        &self,
        params: &RecurrentParams<3, F, H>,
        x: &[[f32; F]; T],
        steps: &GruSteps<T, H>,
        dy: &R::Output<T, H>,
        d_final: &[f32; H],
        d_initial: &mut [f32; H],
        dx: Option<&mut [[f32; F]; T]>,
        grads: &mut RecurrentParams<3, F, H>,
        (dgx, dgh): (&mut Gates<3, T, H>, &mut Gates<3, T, H>),
    ) {
        let mut dh = *d_final;
        let mut through_hh = [0.0; H];
        for t in (0..T).rev() {
            if let Some(d) = R::grad(dy, t) {
                dh.iter_mut().zip(d).for_each(|(a, b)| *a += b);
            }
            let h_prev = if t == 0 { &steps.initial } else { &steps.h[t - 1] };
            let gates = steps.gates.each_ref().map(|g| &g[t]);
            let (dgx_t, dgh_t) = (dgx.each_mut().map(|d| &mut d[t]), dgh.each_mut().map(|d| &mut d[t]));
            cell_backward(gates, (&steps.hn[t], h_prev), &mut dh, (dgx_t, dgh_t));
            params.back_recur(dgh, t, &mut through_hh);
            dh.iter_mut().zip(&through_hh).for_each(|(a, b)| *a += b);
        }
        *d_initial = dh;
        params.backward(x, &steps.initial, &steps.h, dgx, dgh, dx, grads);
    }
}

impl<const T: usize, const F: usize, const H: usize, R: Returns> Forward for Gru<T, F, H, R> {
    type Input = [[f32; F]; T];
    type Output = R::Output<T, H>;
    type Params = RecurrentParams<3, F, H>;
    type State = ();
    /// The batch's steps, as in training.
    type Scratch<const B: usize> = GruCache<T, F, H, B>;

    fn infer<const B: usize>(
        &self,
        params: &Self::Params,
        _: &(),
        x: &[Self::Input],
        y: &mut [Self::Output],
        scratch: &mut GruCache<T, F, H, B>,
    ) {
        self.forward_batch(params, x, y, scratch);
    }

    /// `weight_ih_l0` `[3H, F]`, `weight_hh_l0` `[3H, H]`, `bias_ih_l0`, `bias_hh_l0` `[3H]`,
    /// as `nn.GRU`.
    fn visit_tensors<V: TensorVisitor>(&self, params: &mut Self::Params, _: &mut (), path: &TensorPath<'_>, v: &mut V) {
        params.visit_direction(path, v, Direction::Forward);
    }
}

impl<const T: usize, const F: usize, const H: usize, R: Returns> Layer for Gru<T, F, H, R> {
    type Cache<const B: usize> = GruCache<T, F, H, B>;

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
    /// backwards: `B`-row products per gate and step.
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
        let GruCache { batch, hn, dgx } = cache;
        let SequenceBatch { gates, h, zh: dgh, state: dh, .. } = batch;
        let zero = [0.0; H];
        dh[..n].fill(zero);
        for t in (0..T).rev() {
            vectorised(
                #[inline(always)]
                || {
                    for (b, dy) in dy.iter().enumerate().take(n) {
                        if let Some(d) = R::grad(dy, t) {
                            dh[b].iter_mut().zip(d).for_each(|(a, d)| *a += d);
                        }
                        let h_before = if t == 0 { &zero } else { &h[b][t - 1] };
                        let step_gates = gates.each_ref().map(|g| &g[b][t]);
                        let (dgx_b, dgh_b) = (dgx.each_mut().map(|d| &mut d[b]), dgh.each_mut().map(|d| &mut d[b]));
                        cell_backward(step_gates, (&hn[b][t], h_before), &mut dh[b], (dgx_b, dgh_b));
                        // The step's gates and `hn` are read for the last time: their places
                        // keep the gradients for the parameter products after the loop (the
                        // recurrent side's differ from the input side's in `n` only).
                        for (gate, d) in gates.iter_mut().zip(dgx.iter()) {
                            gate[b][t] = d[b];
                        }
                        hn[b][t] = dgh[2][b];
                    }
                },
            );
            // What step 0 passes back is `dL/dh_{-1}`, the gradient of the zero initial
            // state, which the layer does not return.
            if t > 0 {
                params.back_recur_batch(Start::Accumulate, dgh, &mut dh[..n]);
            }
        }
        let [dr, dz, dn] = gates.each_mut().map(|g| g[..n].as_flattened_mut());
        params.input_gradients(x.as_flattened(), [&*dr, &*dz, &*dn], dx.map(|d| d[..n].as_flattened_mut()), grads);
        RecurrentParams::recurrent_gradients::<T>([dr, dz, hn[..n].as_flattened_mut()], h[..n].as_flattened(), grads);
    }
}

impl<const T: usize, const F: usize, const H: usize, R: Returns> Recurrent for Gru<T, F, H, R> {
    type Step = [f32; F];
    type Hidden = [f32; H];
    type Carry = [f32; H];

    fn step<'c>(&self, params: &Self::Params, h: &'c mut [f32; H], x: &[f32; F]) -> &'c [f32; H] {
        let (mut zx, mut zh) = ([[0.0; H]; 3], [[0.0; H]; 3]);
        for (g, (zx, zh)) in zx.iter_mut().zip(zh.iter_mut()).enumerate() {
            matmul_nt(from_ref(x), &params.weight_ih[g], &params.bias_ih[g], from_mut(zx));
            params.recur(g, h, zh);
        }
        vectorised_fma(
            #[inline(always)]
            |m| cell(&mut zx, &zh, h, m),
        );
        h
    }
}
