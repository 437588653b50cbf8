//! Bidirectional recurrent layers, PyTorch's `bidirectional=True`.

use super::recurrent::{Direction, Directional, Returns};
use crate::flat::{Flat, Zeroable};
use crate::layer::{Forward, GradMode, Layer, Mode};
use crate::tensors::{TensorPath, TensorVisitor};
use core::marker::PhantomData;
use rand::RngCore;

/// A recurrent layer run over each sequence twice, forwards and backwards in time, with its
/// two directions' states side by side: PyTorch's `nn.LSTM(..., bidirectional=True)` (and
/// `nn.GRU`, `nn.RNN`), Keras's `Bidirectional` with `merge_mode="concat"`.
///
/// `L` is the layer of one direction, returning every step
/// (`Lstm<T, F, H, Sequence>`); it reads sequences of `T` steps of `F` features and has `H`
/// hidden units, and `H2 = 2·H` (Rust cannot compute it from `H` in a type; `network!`
/// writes it). The output, as Keras's `return_sequences` (`R`):
///
/// - [`Sequence`](super::Sequence): `[[f32; H2]; T]`, at step `t` the forward direction's
///   `h_t` (having read `x_0 … x_t`) then the reverse direction's (having read
///   `x_{T-1} … x_t`), PyTorch's `output`;
/// - [`LastStep`](super::LastStep): `[f32; H2]`, each direction's final state (the forward
///   one after `x_{T-1}`, the reverse one after `x_0`), PyTorch's `h_n` concatenated. This
///   is not the last step of the `Sequence` output, whose reverse half has read `x_{T-1}`
///   only.
///
/// The parameters are two independent sets, named as PyTorch names them: `weight_ih_l0`,
/// ... for the forward direction and `weight_ih_l0_reverse`, ... for the reverse one, so a
/// model file matches PyTorch's. There is no streaming [`Recurrent`](super::Recurrent)
/// step: the reverse direction needs the whole sequence first.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Bidirectional<const T: usize, const F: usize, const H: usize, const H2: usize, L, R: Returns> {
    /// The recurrent layer run in each direction, with the hyperparameters of both.
    pub layer: L,
    returns: PhantomData<R>,
}

impl<const T: usize, const F: usize, const H: usize, const H2: usize, L, R: Returns> Bidirectional<T, F, H, H2, L, R> {
    /// `layer` run both ways.
    pub fn new(layer: L) -> Self {
        Bidirectional { layer, returns: PhantomData }
    }

    const HALVES: () = assert!(H2 == 2 * H, "Bidirectional: H2 must be 2·H, the two directions side by side");
}

/// The parameters of a [`Bidirectional`] layer: one set per direction.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct BidirectionalParams<P> {
    /// The forward direction's (PyTorch's `weight_ih_l0`, ...).
    pub forward: P,
    /// The reverse direction's (PyTorch's `weight_ih_l0_reverse`, ...).
    pub reverse: P,
}

// SAFETY: two `Zeroable` fields.
unsafe impl<P: Zeroable> Zeroable for BidirectionalParams<P> {}
// SAFETY: repr(C) of two `Flat` blocks of the same type: `2·P::LEN` f32 values, f32-aligned,
// with no padding between them (the second starts at `size_of::<P>()`, a multiple of its
// alignment).
unsafe impl<P: Flat> Flat for BidirectionalParams<P> {
    const LEN: usize = 2 * P::LEN;
}

/// What a [`Bidirectional`] layer keeps for a batch of up to `B` sequences in inference:
/// the time-reversed inputs, each direction's states, and the memory of the layer `M`,
/// which the two directions use in turn.
pub struct BidirectionalScratch<M, const T: usize, const F: usize, const H: usize, const B: usize> {
    inner: M,
    x_reversed: [[[f32; F]; T]; B],
    /// `[direction][b]`: the states after each step, in the order the direction read them.
    h: [[[[f32; H]; T]; B]; 2],
}

// SAFETY: a `Zeroable` field and arrays of f32.
unsafe impl<M: Zeroable, const T: usize, const F: usize, const H: usize, const B: usize> Zeroable
    for BidirectionalScratch<M, T, F, H, B>
{
}

/// What a [`Bidirectional`] layer keeps between a training forward pass and its backward
/// pass, for up to `B` sequences: each direction's cache `M` and states, the time-reversed
/// inputs, and room for the states' gradients and the reverse direction's input gradient.
pub struct BidirectionalCache<M, const T: usize, const F: usize, const H: usize, const B: usize> {
    directions: [M; 2],
    x_reversed: [[[f32; F]; T]; B],
    /// `[direction][b]`: the states after each step, in the order the direction read them.
    h: [[[[f32; H]; T]; B]; 2],
    /// `[direction][b]`: `dL/dh` of those states from the output.
    dh: [[[[f32; H]; T]; B]; 2],
    /// The reverse direction's `dL/dx`, in the order it read the steps.
    dx_reversed: [[[f32; F]; T]; B],
}

// SAFETY: `Zeroable` fields and arrays of f32.
unsafe impl<M: Zeroable, const T: usize, const F: usize, const H: usize, const B: usize> Zeroable
    for BidirectionalCache<M, T, F, H, B>
{
}

/// `reversed[b][t] = x[b][T-1-t]` for each sequence.
fn reverse_time<const T: usize, const F: usize>(x: &[[[f32; F]; T]], reversed: &mut [[[f32; F]; T]]) {
    for (x, reversed) in x.iter().zip(reversed) {
        for (r, x) in reversed.iter_mut().zip(x.iter().rev()) {
            *r = *x;
        }
    }
}

impl<const T: usize, const F: usize, const H: usize, const H2: usize, L, R> Forward for Bidirectional<T, F, H, H2, L, R>
where
    L: Layer<Input = [[f32; F]; T], Output = [[f32; H]; T], State = ()>,
    L::Params: Directional,
    R: Returns,
{
    type Input = [[f32; F]; T];
    type Output = R::Output<T, H2>;
    type Params = BidirectionalParams<L::Params>;
    type State = ();
    type Scratch<const B: usize> = BidirectionalScratch<L::Scratch<B>, T, F, H, B>;

    fn infer<const B: usize>(
        &self,
        params: &Self::Params,
        _: &(),
        x: &[Self::Input],
        y: &mut [Self::Output],
        scratch: &mut Self::Scratch<B>,
    ) {
        let () = Self::HALVES;
        let n = x.len();
        let BidirectionalScratch { inner, x_reversed, h: [h_forward, h_reverse] } = scratch;
        reverse_time(x, &mut x_reversed[..n]);
        self.layer.infer::<B>(&params.forward, &(), x, &mut h_forward[..n], inner);
        self.layer.infer::<B>(&params.reverse, &(), &x_reversed[..n], &mut h_reverse[..n], inner);
        for ((y, f), r) in y.iter_mut().zip(h_forward.iter()).zip(h_reverse.iter()) {
            R::join(f, r, y);
        }
    }

    /// The forward direction's tensors as PyTorch names them (`weight_ih_l0`, ...), then the
    /// reverse direction's (`weight_ih_l0_reverse`, ...).
    fn visit_tensors<V: TensorVisitor>(&self, params: &mut Self::Params, _: &mut (), path: &TensorPath<'_>, v: &mut V) {
        params.forward.visit_direction(path, v, Direction::Forward);
        params.reverse.visit_direction(path, v, Direction::Reverse);
    }
}

impl<const T: usize, const F: usize, const H: usize, const H2: usize, L, R> Layer for Bidirectional<T, F, H, H2, L, R>
where
    L: Layer<Input = [[f32; F]; T], Output = [[f32; H]; T], State = ()>,
    L::Params: Directional,
    R: Returns,
{
    type Cache<const B: usize> = BidirectionalCache<L::Cache<B>, T, F, H, B>;

    const INPUT_GRADIENT: bool = L::INPUT_GRADIENT;

    /// The forward direction's parameters, then the reverse direction's, as PyTorch fills
    /// them.
    fn init<Rng: RngCore + ?Sized>(&self, params: &mut Self::Params, _: &mut (), rng: &mut Rng) {
        self.layer.init(&mut params.forward, &mut (), rng);
        self.layer.init(&mut params.reverse, &mut (), rng);
    }

    fn forward<const B: usize>(
        &self,
        params: &Self::Params,
        _: &(),
        x: &[Self::Input],
        y: &mut [Self::Output],
        cache: &mut Self::Cache<B>,
        mode: Mode,
    ) {
        let () = Self::HALVES;
        let n = x.len();
        let BidirectionalCache { directions: [forward, reverse], x_reversed, h: [h_forward, h_reverse], .. } = cache;
        reverse_time(x, &mut x_reversed[..n]);
        self.layer.forward::<B>(&params.forward, &(), x, &mut h_forward[..n], forward, mode);
        self.layer.forward::<B>(&params.reverse, &(), &x_reversed[..n], &mut h_reverse[..n], reverse, mode);
        for ((y, f), r) in y.iter_mut().zip(h_forward.iter()).zip(h_reverse.iter()) {
            R::join(f, r, y);
        }
    }

    /// Each direction's backpropagation through time from its share of `dy`; `dx` is the
    /// sum of both directions' input gradients, the reverse one's put back in time order.
    fn backward<const B: usize>(
        &self,
        params: &Self::Params,
        x: &[Self::Input],
        _: &[Self::Output],
        dy: &[Self::Output],
        cache: &mut Self::Cache<B>,
        mut dx: Option<&mut [Self::Input]>,
        grads: &mut Self::Params,
        mode: GradMode,
    ) {
        let n = x.len();
        let BidirectionalCache { directions: [forward, reverse], x_reversed, h, dh, dx_reversed } = cache;
        let [dh_forward, dh_reverse] = dh;
        for ((dy, f), r) in dy.iter().zip(dh_forward.iter_mut()).zip(dh_reverse.iter_mut()) {
            R::split(dy, f, r);
        }
        let [h_forward, h_reverse] = &*h;
        let (p, g) = (&params.forward, &mut grads.forward);
        self.layer.backward::<B>(p, x, &h_forward[..n], &dh_forward[..n], forward, dx.as_deref_mut(), g, mode);
        let wants_dx = dx.is_some().then_some(&mut dx_reversed[..n]);
        let (p, g) = (&params.reverse, &mut grads.reverse);
        let (x_r, h_r, dh_r) = (&x_reversed[..n], &h_reverse[..n], &dh_reverse[..n]);
        self.layer.backward::<B>(p, x_r, h_r, dh_r, reverse, wants_dx, g, mode);
        if let Some(dx) = dx {
            for (dx, d_reversed) in dx.iter_mut().zip(dx_reversed.iter()) {
                for (d, r) in dx.iter_mut().zip(d_reversed.iter().rev()) {
                    d.iter_mut().zip(r).for_each(|(d, r)| *d += r);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The unsafe layout impls, small enough for miri (`layers::bidirectional::` in `.ci/run`).
    use super::*;
    use crate::flat::boxed_zeroed;
    use crate::layers::{Gru, LastStep, RecurrentParams, Sequence};

    type Bi = Bidirectional<3, 2, 2, 4, Gru<3, 2, 2, Sequence>, LastStep>;

    #[test]
    fn both_directions_are_one_flat_block_of_parameters() {
        let mut params = BidirectionalParams::<RecurrentParams<3, 2, 2>>::zeroed();
        let len = RecurrentParams::<3, 2, 2>::LEN;
        assert_eq!(BidirectionalParams::<RecurrentParams<3, 2, 2>>::LEN, 2 * len);
        let flat = params.as_flat_mut();
        assert_eq!(flat.len(), 2 * len);
        flat[0] = 1.0;
        flat[len] = 2.0;
        flat[2 * len - 1] = 3.0;
        assert_eq!(params.forward.weight_ih[0][0][0], 1.0);
        assert_eq!(params.reverse.weight_ih[0][0][0], 2.0);
        assert_eq!(params.reverse.bias_hh[2][1], 3.0);
        assert!(params.forward.as_flat()[1..].iter().all(|&v| v == 0.0));
    }

    #[test]
    fn the_memory_of_a_batch_starts_zeroed() {
        let cache = boxed_zeroed::<<Bi as Layer>::Cache<2>>();
        let scratch = boxed_zeroed::<<Bi as Forward>::Scratch<2>>();
        assert!(cache.x_reversed.as_flat().iter().chain(cache.dh.as_flat()).all(|&v| v == 0.0));
        assert!(scratch.h.as_flat().iter().all(|&v| v == 0.0));
    }
}
