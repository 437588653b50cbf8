//! The parametric rectified linear unit.

use core::marker::PhantomData;

use crate::flat::{Flat, flatten, flatten_mut};
use crate::layer::{Forward, GradMode, Layer, Mode};
use crate::tensors::{TensorPath, TensorVisitor};
use rand::RngCore;

/// PReLU with `K` learned slopes, PyTorch's `nn.PReLU(num_parameters=K)`: `y = x` for
/// `x > 0`, else `a_c x`, where `c` is the element's channel.
///
/// `K = 1` (the default) shares one slope among all elements. Otherwise each sample is
/// `K` channels of `S::LEN / K` contiguous values (the `C` of `[C, H, W]`, or each feature
/// of a flat `[K]` sample), as PyTorch's channel dimension 1 of `[N, C, ...]`; `network!`'s
/// `Prelu(num_parameters = C)` checks that `K` is the channel count.
///
/// Backward: `dx = dy` for `x > 0`, else `a_c dy`; `da_c = Σ_{x <= 0 in channel c} x dy`.
pub struct Prelu<S, const K: usize = 1> {
    /// Initial slope of every channel (PyTorch's `init`, default 0.25).
    pub init: f32,
    _shape: PhantomData<fn() -> S>,
}

impl<S, const K: usize> Prelu<S, K> {
    /// A PReLU whose slopes start at `init`.
    pub fn new(init: f32) -> Self {
        Prelu { init, _shape: PhantomData }
    }
}

impl<S, const K: usize> Default for Prelu<S, K> {
    fn default() -> Self {
        Self::new(0.25)
    }
}

impl<S, const K: usize> Clone for Prelu<S, K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S, const K: usize> Copy for Prelu<S, K> {}
impl<S, const K: usize> core::fmt::Debug for Prelu<S, K> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Prelu").field("init", &self.init).field("num_parameters", &K).finish()
    }
}

impl<S: Flat, const K: usize> Prelu<S, K> {
    /// Values of one channel in a sample.
    const CHANNEL: usize = {
        assert!(K > 0 && S::LEN % K == 0, "PReLU: the sample must be K channels of equal size");
        S::LEN / K
    };
}

impl<S: Flat, const K: usize> Forward for Prelu<S, K> {
    type Input = S;
    type Output = S;
    /// The slopes.
    type Params = [f32; K];
    type State = ();
    type Scratch<const B: usize> = ();

    fn infer<const B: usize>(&self, params: &[f32; K], _: &(), x: &[S], y: &mut [S], _: &mut ()) {
        let channels = flatten_mut(y).chunks_exact_mut(Self::CHANNEL).zip(flatten(x).chunks_exact(Self::CHANNEL));
        for ((y, x), &a) in channels.zip(params.iter().cycle()) {
            for (y, &x) in y.iter_mut().zip(x) {
                *y = if x > 0.0 { x } else { a * x };
            }
        }
    }

    /// `weight` `[K]`, as `nn.PReLU(num_parameters=K)`.
    fn visit_tensors<V: TensorVisitor>(&self, params: &mut [f32; K], _: &mut (), path: &TensorPath<'_>, v: &mut V) {
        v.tensor(&path.child("weight"), &[K], params);
    }
}

impl<S: Flat, const K: usize> Layer for Prelu<S, K> {
    type Cache<const B: usize> = ();

    fn init<R: RngCore + ?Sized>(&self, params: &mut [f32; K], _: &mut (), _: &mut R) {
        *params = [self.init; K];
    }

    fn forward<const B: usize>(&self, params: &[f32; K], _: &(), x: &[S], y: &mut [S], _: &mut (), _: Mode) {
        self.infer::<B>(params, &(), x, y, &mut ());
    }

    fn backward<const B: usize>(
        &self,
        params: &[f32; K],
        x: &[S],
        _y: &[S],
        dy: &[S],
        _: &mut (),
        dx: Option<&mut [S]>,
        grads: &mut [f32; K],
        mode: GradMode,
    ) {
        let (x, dy, n) = (flatten(x), flatten(dy), Self::CHANNEL);
        let mut da = [0.0f32; K];
        for (i, (x, g)) in x.chunks_exact(n).zip(dy.chunks_exact(n)).enumerate() {
            da[i % K] += x.iter().zip(g).filter(|&(&x, _)| x <= 0.0).map(|(x, g)| x * g).sum::<f32>();
        }
        for (slot, da) in grads.iter_mut().zip(da) {
            mode.store(slot, da);
        }
        if let Some(dx) = dx {
            let channels = flatten_mut(dx).chunks_exact_mut(n).zip(x.chunks_exact(n)).zip(dy.chunks_exact(n));
            for (((dx, x), g), &a) in channels.zip(params.iter().cycle()) {
                for ((dx, &x), &g) in dx.iter_mut().zip(x).zip(g) {
                    *dx = if x > 0.0 { g } else { a * g };
                }
            }
        }
    }
}
