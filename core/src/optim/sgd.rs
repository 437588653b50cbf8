//! Stochastic gradient descent.

use core::marker::PhantomData;

use super::Optimizer;
use super::elementwise::{ElementwiseOptimizer, begin_step_in_parts, whole_step};
use super::update_rule::{StateSlices, UpdateRule};
use crate::layer::Layer;

/// Plain SGD, PyTorch's `torch.optim.SGD` without momentum:
///
/// `g ← g + λ θ` (coupled L2 weight decay `λ`, default 0), then `θ ← θ - η g`.
///
/// It keeps no state (`STATE_BYTES = 0`); it is still typed by its network `N`, like every
/// optimizer. For momentum and Nesterov momentum see [`Momentum`](super::Momentum).
/// PyTorch's default learning rate (this version) is `1e-3`, which [`Default`] uses.
pub struct Sgd<N> {
    /// Learning rate `η`.
    pub lr: f32,
    /// L2 weight decay `λ`, added to the gradient.
    pub weight_decay: f32,
    _net: PhantomData<fn() -> N>,
}

impl<N> Sgd<N> {
    /// Bytes of state: none.
    pub const STATE_BYTES: usize = 0;

    /// SGD with learning rate `lr` and no weight decay.
    pub const fn new(lr: f32) -> Self {
        Sgd { lr, weight_decay: 0.0, _net: PhantomData }
    }

    /// As [`Sgd::new`], written into `place` (SGD keeps no state, so this is a few bytes;
    /// it exists so that every optimizer can live in a
    /// [`StaticSlot`](crate::placement::StaticSlot) the same way).
    pub fn new_in(place: &mut core::mem::MaybeUninit<Self>, lr: f32) -> &mut Self {
        place.write(Self::new(lr))
    }

    /// Sets the L2 weight decay.
    pub const fn weight_decay(mut self, weight_decay: f32) -> Self {
        self.weight_decay = weight_decay;
        self
    }
}

impl<N> Default for Sgd<N> {
    /// PyTorch's defaults: `lr = 1e-3`, no weight decay.
    fn default() -> Self {
        Self::new(1e-3)
    }
}

impl<N: Layer> Optimizer<N> for Sgd<N> {
    fn visit_state(&mut self, _visitor: &mut dyn crate::state::StateVisitor) {}

    fn step(&mut self, params: &mut N::Params, grads: &N::Params) {
        whole_step(self, params, grads);
    }

    fn begin_step_in_parts(&mut self, apply: &mut dyn FnMut(&dyn UpdateRule, StateSlices<'_>)) -> bool {
        begin_step_in_parts(self, apply)
    }

    fn learning_rate(&self) -> f32 {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: f32) {
        self.lr = lr;
    }
}

impl<N: Layer> ElementwiseOptimizer<N> for Sgd<N> {
    fn begin_step(&mut self) {}

    fn with_rule(&mut self, apply: &mut dyn FnMut(&dyn UpdateRule, StateSlices<'_>)) {
        apply(&SgdRule { lr: self.lr, weight_decay: self.weight_decay }, StateSlices::new([&mut [], &mut [], &mut []]));
    }
}

/// One SGD step: `θ ← θ - η (g + λ θ)`.
#[derive(Clone, Copy)]
struct SgdRule {
    lr: f32,
    weight_decay: f32,
}

impl UpdateRule for SgdRule {
    #[inline(always)]
    fn update_portable(&self, params: &mut [f32], grads: &[f32], _state: StateSlices<'_>) {
        let (lr, wd) = (self.lr, self.weight_decay);
        for (p, &g) in params.iter_mut().zip(grads) {
            *p -= lr * (g + wd * *p);
        }
    }
}
