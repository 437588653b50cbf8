//! What the recurrent layers ([`Lstm`](super::Lstm), [`Gru`](super::Gru),
//! [`Rnn`](super::Rnn)) share: PyTorch's parameter block, the input and recurrent matrix
//! products, the parameter gradients of backpropagation through time, Keras's
//! `return_sequences` choice, and the streaming interface [`Recurrent`].
//!
//! A cell with `G` gates (4 for LSTM, 3 for GRU, 1 for a plain RNN) computes, at each step
//! `t`, the pre-activations `zx[g][t] = W_ih[g] x_t + b_ih[g]` (for all steps at once: one
//! `T`-row product per gate before the recurrence) and `zh[g] = W_hh[g] h_{t-1} + b_hh[g]`
//! (one row per step), and combines them elementwise. Backward is the mirror image: the
//! cell turns `dL/dh_t` into the gradients of the pre-activations, `dgx` and `dgh` (equal
//! except for the GRU's candidate gate), from which [`RecurrentParams`] gets its gradients
//! with `T`-row products and `dh_{t-1}` one row at a time.
//!
//! In training and inference ([`Layer`](crate::Layer) and [`Forward`]), a layer steps the
//! sequences of a batch together, in a `SequenceBatch`: the input products cover the whole
//! batch at once (`B·T` rows), and at each step the recurrent products are `B`-row matrix
//! products the kernels block in registers, rather than `B` matrix-vector products.
//! Backward overwrites each step's record, once read, with its gate gradients, so that the
//! parameter gradients are one product per gate over all `B·T` rows after the last step.
//! The single-sequence forms (`forward_sequence`, `backward_sequence`) take an initial state and
//! give its gradient.

use crate::flat::{Flat, Zeroable};
use crate::gemm::{Fma, Start, matmul, matmul_nt, matmul_tn, vectorised};
use crate::init::Init;
use crate::layer::Forward;
use crate::tensors::{TensorPath, TensorVisitor};
use core::slice::{from_mut, from_ref};
use rand::RngCore;

/// One value per gate, step and hidden unit: `gates[g][t][k]` (activations, or their
/// gradients in backward).
pub type Gates<const G: usize, const T: usize, const H: usize> = [[[f32; H]; T]; G];

/// What a recurrent layer keeps while it steps `B` sequences together: each sequence's
/// per-step record (gates, states), the transposed recurrent weights, and one step's rows
/// for the batch's products. `G` gates, `T` steps, `H` hidden units.
pub(crate) struct SequenceBatch<const G: usize, const T: usize, const H: usize, const B: usize> {
    /// `[g][b][t]`: the input-side pre-activations, then the activated gates.
    pub(crate) gates: [[[[f32; H]; T]; B]; G],
    /// `h_t` of each sequence after step `t`.
    pub(crate) h: [[[f32; H]; T]; B],
    /// `W_hh[g]ᵀ`, for the broadcast products of the forward steps.
    pub(crate) w_hh_t: [[[f32; H]; H]; G],
    /// One step's recurrent pre-activations (forward), or the gate gradients of its
    /// recurrent side (backward).
    pub(crate) zh: StepRows<G, H, B>,
    /// Each sequence's running `h` (forward) or `dL/dh` (backward).
    pub(crate) state: [[f32; H]; B],
}

// SAFETY: arrays of f32.
unsafe impl<const G: usize, const T: usize, const H: usize, const B: usize> Zeroable for SequenceBatch<G, T, H, B> {}

impl<const G: usize, const T: usize, const H: usize, const B: usize> SequenceBatch<G, T, H, B> {
    /// Starts a batch of `x.len()` sequences from the zero state: transposes `W_hh` and
    /// computes every input-side pre-activation into `gates`.
    pub(crate) fn begin<const F: usize>(&mut self, params: &RecurrentParams<G, F, H>, x: &[[[f32; F]; T]]) {
        params.transpose_hh(&mut self.w_hh_t);
        params.project_batch(x, &mut self.gates);
        self.state[..x.len()].fill([0.0; H]);
    }

    /// `zh[g][b] = W_hh[g] h[b]` (without `b_hh`, which the cell adds) from the running
    /// states of the first `n` sequences before step `t`: one `n`-row product per gate, with
    /// the weights transposed by [`RecurrentParams::transpose_hh`]. Before the first step
    /// every state is the zero state, so the products are zero and are not computed.
    pub(crate) fn recur(&mut self, n: usize, t: usize) {
        if t == 0 {
            self.zh.iter_mut().for_each(|z| z[..n].fill([0.0; H]));
            return;
        }
        for (w, z) in self.w_hh_t.iter().zip(self.zh.iter_mut()) {
            matmul(Start::Zero, &self.state[..n], &w[..], &mut z[..n]);
        }
    }
}

/// One step's rows of every gate for a batch: `rows[g][b]`, `B` sequences of `H` values.
pub type StepRows<const G: usize, const H: usize, const B: usize> = [[[f32; H]; B]; G];

/// The parameters of a single-layer, unidirectional recurrent layer with `G` gates, `F`
/// input features and `H` hidden units, laid out as PyTorch's `nn.LSTM`, `nn.GRU` and
/// `nn.RNN`: the gate blocks are stacked row-wise, so `weight_ih` is PyTorch's
/// `weight_ih_l0` `[G·H, F]` exactly (gate orders: LSTM i, f, g, o; GRU r, z, n).
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct RecurrentParams<const G: usize, const F: usize, const H: usize> {
    /// `[G·H, F]`, PyTorch's `weight_ih_l0`.
    pub weight_ih: [[[f32; F]; H]; G],
    /// `[G·H, H]`, PyTorch's `weight_hh_l0`.
    pub weight_hh: [[[f32; H]; H]; G],
    /// `[G·H]`, PyTorch's `bias_ih_l0`.
    pub bias_ih: [[f32; H]; G],
    /// `[G·H]`, PyTorch's `bias_hh_l0`.
    pub bias_hh: [[f32; H]; G],
}

// SAFETY: repr(C) of f32 arrays.
unsafe impl<const G: usize, const F: usize, const H: usize> Zeroable for RecurrentParams<G, F, H> {}
// SAFETY: repr(C) of f32 arrays: G·H·F + G·H·H + 2·G·H values, all f32, so no padding.
unsafe impl<const G: usize, const F: usize, const H: usize> Flat for RecurrentParams<G, F, H> {
    const LEN: usize = G * H * F + G * H * H + 2 * G * H;
}

impl<const G: usize, const F: usize, const H: usize> RecurrentParams<G, F, H> {
    /// PyTorch's initialisation with `init = Init::Default`: every weight and bias
    /// `U(-1/√H, 1/√H)` (fan_in = H).
    pub(crate) fn fill<R: RngCore + ?Sized>(&mut self, init: Init, rng: &mut R) {
        init.fill(self.as_flat_mut(), H, G * H, rng);
    }

    /// `zx[g][t] = W_ih[g] x_t + b_ih[g]` for every gate and step.
    #[inline]
    pub(crate) fn project<const T: usize>(&self, x: &[[f32; F]; T], zx: &mut [[[f32; H]; T]; G]) {
        for ((w, b), z) in self.weight_ih.iter().zip(&self.bias_ih).zip(zx.iter_mut()) {
            matmul_nt(&x[..], w, b, &mut z[..]);
        }
    }

    /// `zh = W_hh[g] h + b_hh[g]`: gate `g`'s recurrent pre-activation.
    #[inline]
    pub(crate) fn recur(&self, g: usize, h: &[f32; H], zh: &mut [f32; H]) {
        matmul_nt(from_ref(h), &self.weight_hh[g], &self.bias_hh[g], from_mut(zh));
    }

    /// `dh = Σ_g W_hh[g]ᵀ dgh[g][t]`: what step `t`'s gates pass back to `h_{t-1}`.
    #[inline]
    pub(crate) fn back_recur<const T: usize>(&self, dgh: &[[[f32; H]; T]; G], t: usize, dh: &mut [f32; H]) {
        for (g, (w, d)) in self.weight_hh.iter().zip(dgh).enumerate() {
            let start = if g == 0 { Start::Zero } else { Start::Accumulate };
            matmul(start, from_ref(&d[t]), &w[..], from_mut(dh));
        }
    }

    /// `w_hh_t[g] = W_hh[g]ᵀ`: the recurrent weights laid out for `SequenceBatch::recur`'s
    /// broadcast products, transposed once per batch.
    pub(crate) fn transpose_hh(&self, w_hh_t: &mut [[[f32; H]; H]; G]) {
        for (w, t) in self.weight_hh.iter().zip(w_hh_t.iter_mut()) {
            for (j, row) in t.iter_mut().enumerate() {
                for (k, v) in row.iter_mut().enumerate() {
                    *v = w[k][j];
                }
            }
        }
    }

    /// `zx[g][b][t] = W_ih[g] x[b][t] + b_ih[g]` for the `x.len()` sequences of a batch:
    /// one product of `x.len()·T` rows per gate.
    #[inline]
    pub(crate) fn project_batch<const T: usize, const B: usize>(
        &self,
        x: &[[[f32; F]; T]],
        zx: &mut [[[[f32; H]; T]; B]; G],
    ) {
        let n = x.len();
        for ((w, b), z) in self.weight_ih.iter().zip(&self.bias_ih).zip(zx.iter_mut()) {
            matmul_nt(x.as_flattened(), w, b, z[..n].as_flattened_mut());
        }
    }

    /// `dh[b] = start + Σ_g W_hh[g]ᵀ dgh[g][b]` for each of the `dh.len()` sequences: what
    /// one step's gates pass back to `h_{t-1}` (`start`: [`Start::Zero`] or
    /// [`Start::Accumulate`]).
    #[inline]
    pub(crate) fn back_recur_batch<const B: usize>(
        &self,
        start: Start<'_>,
        dgh: &StepRows<G, H, B>,
        dh: &mut [[f32; H]],
    ) {
        let n = dh.len();
        for (g, (w, d)) in self.weight_hh.iter().zip(dgh).enumerate() {
            matmul(if g == 0 { start } else { Start::Accumulate }, &d[..n], &w[..], dh);
        }
    }

    /// Adds the input side's parameter gradients over rows of every step of one or more
    /// sequences (`dW_ih[g] += dgx[g]ᵀ x`, `db_ih[g] += Σ_rows dgx[g]`: one product per gate
    /// over all the rows) and, when asked, writes `dx = Σ_g dgx[g] W_ih[g]`.
    pub(crate) fn input_gradients(
        &self,
        x: &[[f32; F]],
        dgx: [&[[f32; H]]; G],
        dx: Option<&mut [[f32; F]]>,
        grads: &mut Self,
    ) {
        for ((d, dw), db) in dgx.iter().zip(&mut grads.weight_ih).zip(&mut grads.bias_ih) {
            matmul_tn(Start::Accumulate, d, x, dw);
            add_rows(d, db);
        }
        if let Some(dx) = dx {
            for (g, (d, w)) in dgx.iter().zip(&self.weight_ih).enumerate() {
                let start = if g == 0 { Start::Zero } else { Start::Accumulate };
                matmul(start, d, &w[..], dx);
            }
        }
    }

    /// Adds the recurrent side's parameter gradients of `h.len() / T` sequences of `T` steps
    /// that started from the zero state, rows in sequence order (`h[b·T + t]` is `h_t` of
    /// sequence `b`): `db_hh[g] += Σ_rows dgh[g]`, `dW_hh[g] += Σ_t dgh[g][t]ᵀ h_{t-1}`.
    ///
    /// Step 0 reads `h_{-1} = 0` and adds nothing to `dW_hh`, so its rows of `dgh` are set to
    /// zero; then one product per gate pairs every row of `dgh` with the row of `h` before
    /// it, across the sequences' boundaries, without a term from a wrong pair.
    pub(crate) fn recurrent_gradients<const T: usize>(dgh: [&mut [[f32; H]]; G], h: &[[f32; H]], grads: &mut Self) {
        for ((d, dw), db) in dgh.into_iter().zip(&mut grads.weight_hh).zip(&mut grads.bias_hh) {
            add_rows(d, db);
            d.iter_mut().step_by(T).for_each(|row| *row = [0.0; H]);
            if let (Some(later), Some(earlier)) = (d.get(1..), h.get(..h.len().saturating_sub(1))) {
                matmul_tn(Start::Accumulate, later, earlier, dw);
            }
        }
    }

    /// Adds one sample's parameter gradients to `grads`, given the pre-activation gradients
    /// `dgx` (input side) and `dgh` (recurrent side), the inputs `x`, the initial state `h0`
    /// and the states `h[t]` after each step; writes `dx = Σ_g dgx[g] W_ih[g]` when asked.
    #[allow(clippy::too_many_arguments, reason = "one sample of BPTT: inputs, states, gradients")]
    pub(crate) fn backward<const T: usize>(
        &self,
        x: &[[f32; F]; T],
        h0: &[f32; H],
        h: &[[f32; H]; T],
        dgx: &[[[f32; H]; T]; G],
        dgh: &[[[f32; H]; T]; G],
        dx: Option<&mut [[f32; F]; T]>,
        grads: &mut Self,
    ) {
        self.input_gradients(&x[..], dgx.each_ref().map(|d| &d[..]), dx.map(|d| &mut d[..]), grads);
        for ((d, dw), db) in dgh.iter().zip(&mut grads.weight_hh).zip(&mut grads.bias_hh) {
            // Step t reads h_{t-1}: h0 for the first step, h[t - 1] after.
            matmul_tn(Start::Accumulate, &d[..1], from_ref(h0), dw);
            matmul_tn(Start::Accumulate, &d[1..], &h[..T - 1], dw);
            add_rows(&d[..], db);
        }
    }
}

/// `sum += Σ_r rows[r]`: a bias gradient, the sum of its pre-activations' gradients.
fn add_rows<const H: usize>(rows: &[[f32; H]], sum: &mut [f32; H]) {
    vectorised(
        #[inline(always)]
        || {
            for row in rows {
                sum.iter_mut().zip(row).for_each(|(s, r)| *s += r);
            }
        },
    );
}

/// Which outputs a recurrent layer returns, Keras's `return_sequences`: [`Sequence`] (every
/// step's hidden state, `[[f32; H]; T]`, for stacking recurrent layers) or [`LastStep`]
/// (`h_T` only, `[f32; H]`, for a head on the last step; Keras's default).
pub trait Returns: Copy + Default + core::fmt::Debug + Send + Sync + 'static {
    /// One output sample.
    type Output<const T: usize, const H: usize>: Flat;
    /// Writes the output from the hidden states `h[t]` after each step.
    fn output<const T: usize, const H: usize>(h: &[[f32; H]; T], y: &mut Self::Output<T, H>);
    /// The part of `dL/dh_t` that comes through the output `dy`, if step `t` is in it.
    fn grad<const T: usize, const H: usize>(dy: &Self::Output<T, H>, t: usize) -> Option<&[f32; H]>;
    /// A bidirectional layer's output (`H2 = 2·H` values a step) from the forward
    /// direction's states `forward[t]` (after reading `x_0 … x_t`) and the reverse
    /// direction's `reverse[s]` (after reading `x_{T-1} … x_{T-1-s}`): at step `t`,
    /// `[forward[t], reverse[T-1-t]]`, PyTorch's `bidirectional=True` output.
    fn join<const T: usize, const H: usize, const H2: usize>(
        forward: &[[f32; H]; T],
        reverse: &[[f32; H]; T],
        y: &mut Self::Output<T, H2>,
    );
    /// The mirror image of [`Returns::join`]: the gradients of both directions' states
    /// from the gradient `dy` of the output (zero for the states not in it).
    fn split<const T: usize, const H: usize, const H2: usize>(
        dy: &Self::Output<T, H2>,
        forward: &mut [[f32; H]; T],
        reverse: &mut [[f32; H]; T],
    );
}

/// Every step's hidden state: output `[[f32; H]; T]` (Keras's `return_sequences=True`,
/// PyTorch's `output`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sequence;

/// The last step's hidden state only: output `[f32; H]` (Keras's `return_sequences=False`,
/// PyTorch's `h_n`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LastStep;

impl Returns for Sequence {
    type Output<const T: usize, const H: usize> = [[f32; H]; T];

    #[inline]
    fn output<const T: usize, const H: usize>(h: &[[f32; H]; T], y: &mut [[f32; H]; T]) {
        *y = *h;
    }

    #[inline]
    fn grad<const T: usize, const H: usize>(dy: &[[f32; H]; T], t: usize) -> Option<&[f32; H]> {
        dy.get(t)
    }

    fn join<const T: usize, const H: usize, const H2: usize>(
        forward: &[[f32; H]; T],
        reverse: &[[f32; H]; T],
        y: &mut [[f32; H2]; T],
    ) {
        for ((y, f), r) in y.iter_mut().zip(forward).zip(reverse.iter().rev()) {
            let (y_forward, y_reverse) = y.split_at_mut(H);
            y_forward.copy_from_slice(f);
            y_reverse.copy_from_slice(r);
        }
    }

    fn split<const T: usize, const H: usize, const H2: usize>(
        dy: &[[f32; H2]; T],
        forward: &mut [[f32; H]; T],
        reverse: &mut [[f32; H]; T],
    ) {
        for ((dy, f), r) in dy.iter().zip(forward.iter_mut()).zip(reverse.iter_mut().rev()) {
            let (d_forward, d_reverse) = dy.split_at(H);
            f.copy_from_slice(d_forward);
            r.copy_from_slice(d_reverse);
        }
    }
}

impl Returns for LastStep {
    type Output<const T: usize, const H: usize> = [f32; H];

    #[inline]
    fn output<const T: usize, const H: usize>(h: &[[f32; H]; T], y: &mut [f32; H]) {
        if let Some(last) = h.last() {
            *y = *last;
        }
    }

    #[inline]
    fn grad<const T: usize, const H: usize>(dy: &[f32; H], t: usize) -> Option<&[f32; H]> {
        (t + 1 == T).then_some(dy)
    }

    /// `[forward h_T, reverse h_T]`, both directions' final states (PyTorch's `h_n[0]` and
    /// `h_n[1]`; Keras's `Bidirectional` with `return_sequences=False`).
    fn join<const T: usize, const H: usize, const H2: usize>(
        forward: &[[f32; H]; T],
        reverse: &[[f32; H]; T],
        y: &mut [f32; H2],
    ) {
        if let (Some(f), Some(r)) = (forward.last(), reverse.last()) {
            let (y_forward, y_reverse) = y.split_at_mut(H);
            y_forward.copy_from_slice(f);
            y_reverse.copy_from_slice(r);
        }
    }

    fn split<const T: usize, const H: usize, const H2: usize>(
        dy: &[f32; H2],
        forward: &mut [[f32; H]; T],
        reverse: &mut [[f32; H]; T],
    ) {
        *forward = [[0.0; H]; T];
        *reverse = [[0.0; H]; T];
        if let (Some(f), Some(r)) = (forward.last_mut(), reverse.last_mut()) {
            let (d_forward, d_reverse) = dy.split_at(H);
            f.copy_from_slice(d_forward);
            r.copy_from_slice(d_reverse);
        }
    }
}

/// Which way a recurrent layer reads its sequences. PyTorch names the parameters of a
/// bidirectional layer's reverse direction with the suffix `_reverse`
/// (`weight_ih_l0_reverse`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// From the first step to the last.
    Forward,
    /// From the last step to the first.
    Reverse,
}

/// The parameters of a recurrent layer ([`Lstm`](super::Lstm), [`Gru`](super::Gru),
/// [`Rnn`](super::Rnn)), which name their tensors for either direction, so that
/// [`Bidirectional`](super::Bidirectional) can run the layer both ways.
pub trait Directional {
    /// The tensors, named for `direction`.
    fn visit_direction<V: TensorVisitor>(&mut self, path: &TensorPath<'_>, v: &mut V, direction: Direction);
}

impl<const G: usize, const F: usize, const H: usize> Directional for RecurrentParams<G, F, H> {
    /// `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0` with PyTorch's shapes
    /// (`weight_ih_l0_reverse`, ... for the reverse direction).
    fn visit_direction<V: TensorVisitor>(&mut self, path: &TensorPath<'_>, v: &mut V, direction: Direction) {
        let [w_ih, w_hh, b_ih, b_hh] = match direction {
            Direction::Forward => ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"],
            Direction::Reverse => {
                ["weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse"]
            }
        };
        v.tensor(&path.child(w_ih), &[G * H, F], self.weight_ih.as_flat_mut());
        v.tensor(&path.child(w_hh), &[G * H, H], self.weight_hh.as_flat_mut());
        v.tensor(&path.child(b_ih), &[G * H], self.bias_ih.as_flat_mut());
        v.tensor(&path.child(b_hh), &[G * H], self.bias_hh.as_flat_mut());
    }
}

/// A recurrent layer run one step at a time, for streaming inference: the state (`h`, and
/// `c` for an LSTM; PyTorch's `h_0`/`c_0`, Flax's "carry") lives in a buffer the caller
/// owns, so one model serves any number of streams and nothing is allocated.
///
/// ```
/// use rand::SeedableRng;
/// use staticnet_core::layers::{Gru, LastStep, Recurrent};
/// use staticnet_core::{Flat, Layer};
///
/// let gru = Gru::<1, 8, 32, LastStep>::default();
/// let mut params = <Gru<1, 8, 32, LastStep> as staticnet_core::Forward>::Params::zeroed();
/// gru.init(&mut params, &mut (), &mut rand::rngs::SmallRng::seed_from_u64(1));
/// let mut carry = <Gru<1, 8, 32, LastStep> as Recurrent>::Carry::zeroed(); // reset
/// for sample in [[0.5f32; 8], [0.25; 8]] {
///     let h: &[f32; 32] = gru.step(&params, &mut carry, &sample); // h_t, also in `carry`
///     assert!(h.iter().all(|v| v.abs() < 1.0));
/// }
/// ```
pub trait Recurrent: Forward {
    /// One step's input, `[f32; F]`.
    type Step: Flat;
    /// The hidden state `h`, `[f32; H]`.
    type Hidden: Flat;
    /// Everything carried from one step to the next: `h`, or `(h, c)` for an LSTM.
    type Carry: Flat;

    /// Advances `carry` by one input step and returns the new hidden state (the output of
    /// that step). Same arithmetic as a whole-sequence forward pass, step by step.
    fn step<'c>(&self, params: &Self::Params, carry: &'c mut Self::Carry, x: &Self::Step) -> &'c Self::Hidden;

    /// Sets `carry` to the zero state every sequence starts from.
    fn reset(&self, carry: &mut Self::Carry) {
        *carry = Self::Carry::zeroed();
    }
}

/// The logistic function, the gates' activation (vectorising; see [`crate::vector_math`]),
/// its multiply-adds done as `m` says.
#[inline(always)]
pub(crate) fn sigmoid(x: f32, m: Fma) -> f32 {
    crate::vector_math::logistic_with(x, m)
}

/// `tanh`, the cell activation (vectorising; see [`crate::vector_math`]), its multiply-adds
/// done as `m` says.
#[inline(always)]
pub(crate) fn tanh(x: f32, m: Fma) -> f32 {
    crate::vector_math::tanh_with(x, m)
}
