//! Residual (skip) connections.

use crate::error::Error;
use crate::flat::{Flat, Zeroable, flatten, flatten_mut};
use crate::fused::LayerUpdate;
use crate::layer::{Forward, GradMode, Layer, Mode};
use crate::tensors::{TensorPath, TensorVisitor};
use rand::RngCore;

/// `y = x + f(x)`, where the inner layer `f` (usually a network generated from the body of
/// a `Residual { ... }` block) maps a shape to itself.
///
/// Backward: `dx = dy + f'(x)ᵀ dy`; the parameters are those of `f`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Residual<L> {
    /// The layers the input skips.
    pub inner: L,
}

impl<L> Residual<L> {
    /// A residual block around `inner`.
    pub fn new(inner: L) -> Self {
        Residual { inner }
    }
}

/// What a [`Residual`] block keeps for a batch of up to `B` rows: the inner layer's cache
/// and its output `f(x)`, which its backward pass needs.
pub struct ResidualCache<L: Layer, const B: usize> {
    inner: L::Cache<B>,
    fx: [L::Output; B],
}

// SAFETY: both fields are `Zeroable` (`Layer::Cache` is, and arrays of `Flat` blocks are).
unsafe impl<L: Layer, const B: usize> Zeroable for ResidualCache<L, B> {}

impl<S: Flat, L: Forward<Input = S, Output = S>> Forward for Residual<L> {
    type Input = S;
    type Output = S;
    type Params = L::Params;
    type State = L::State;
    type Scratch<const B: usize> = L::Scratch<B>;

    /// `f(x)` into `y`, then `y += x`: no buffer for `f(x)`.
    fn infer<const B: usize>(
        &self,
        params: &L::Params,
        state: &L::State,
        x: &[S],
        y: &mut [S],
        scratch: &mut L::Scratch<B>,
    ) {
        self.inner.infer::<B>(params, state, x, y, scratch);
        for (y, x) in flatten_mut(y).iter_mut().zip(flatten(x)) {
            *y += x;
        }
    }

    /// The inner layer's tensors, under the block's own name.
    fn visit_tensors<V: TensorVisitor>(
        &self,
        params: &mut L::Params,
        state: &mut L::State,
        path: &TensorPath<'_>,
        visitor: &mut V,
    ) {
        self.inner.visit_tensors(params, state, path, visitor);
    }
}

impl<S: Flat, L: Layer + Forward<Input = S, Output = S>> Layer for Residual<L> {
    type Cache<const B: usize> = ResidualCache<L, B>;

    /// The inner layer's: it is updated layer by layer.
    const MAX_LAYER_PARAMS: usize = L::MAX_LAYER_PARAMS;
    const INPUT_GRADIENT: bool = L::INPUT_GRADIENT;

    fn init<R: RngCore + ?Sized>(&self, params: &mut L::Params, state: &mut L::State, rng: &mut R) {
        self.inner.init(params, state, rng);
    }

    fn regularize(&self, params: &L::Params, grads: &mut L::Params) -> f32 {
        self.inner.regularize(params, grads)
    }

    fn constrain(&self, params: &mut L::Params) {
        self.inner.constrain(params);
    }

    fn forward<const B: usize>(
        &self,
        params: &L::Params,
        state: &L::State,
        x: &[S],
        y: &mut [S],
        cache: &mut ResidualCache<L, B>,
        mode: Mode,
    ) {
        let fx = &mut cache.fx[..x.len()];
        self.inner.forward::<B>(params, state, x, fx, &mut cache.inner, mode);
        for ((y, x), f) in flatten_mut(y).iter_mut().zip(flatten(x)).zip(flatten(fx)) {
            *y = x + f;
        }
    }

    fn update_state<const B: usize>(&self, state: &mut L::State, cache: &ResidualCache<L, B>) {
        self.inner.update_state::<B>(state, &cache.inner);
    }

    fn reseed<const B: usize>(&self, cache: &mut ResidualCache<L, B>, seed: u64) {
        self.inner.reseed::<B>(&mut cache.inner, seed);
    }

    fn visit_streams<const B: usize, V: TensorVisitor>(
        &self,
        cache: &mut ResidualCache<L, B>,
        path: &TensorPath<'_>,
        visitor: &mut V,
    ) {
        self.inner.visit_streams::<B, V>(&mut cache.inner, path, visitor);
    }

    fn backward<const B: usize>(
        &self,
        params: &L::Params,
        x: &[S],
        _y: &[S],
        dy: &[S],
        cache: &mut ResidualCache<L, B>,
        mut dx: Option<&mut [S]>,
        grads: &mut L::Params,
        mode: GradMode,
    ) {
        let fx = &cache.fx[..x.len()];
        self.inner.backward::<B>(params, x, fx, dy, &mut cache.inner, dx.as_deref_mut(), grads, mode);
        add_skip(dx, dy);
    }

    /// The inner layer's fused backward, then the skip connection's `dx += dy`.
    fn backward_update<const B: usize, U: LayerUpdate>(
        &self,
        params: &mut L::Params,
        x: &[S],
        _y: &[S],
        dy: &[S],
        cache: &mut ResidualCache<L, B>,
        mut dx: Option<&mut [S]>,
        offset: usize,
        update: &mut U,
    ) -> Result<f32, Error> {
        let fx = &cache.fx[..x.len()];
        let penalty = self.inner.backward_update::<B, U>(
            params,
            x,
            fx,
            dy,
            &mut cache.inner,
            dx.as_deref_mut(),
            offset,
            update,
        )?;
        add_skip(dx, dy);
        Ok(penalty)
    }
}

/// The skip connection's share of the input gradient: `dx += dy`.
fn add_skip<S: Flat>(dx: Option<&mut [S]>, dy: &[S]) {
    if let Some(dx) = dx {
        for (dx, g) in flatten_mut(dx).iter_mut().zip(flatten(dy)) {
            *dx += g;
        }
    }
}
