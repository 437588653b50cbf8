//! SGD with momentum (heavy-ball or Nesterov).

use crate::cache_line::CacheAligned;
use core::marker::PhantomData;

use super::Optimizer;
use super::buffer::flat_mut;
use super::elementwise::{ElementwiseOptimizer, begin_step_in_parts, whole_step};
use super::update_rule::{StateSlices, UpdateRule, flush_subnormal};
use crate::flat::Zeroable;
use crate::layer::Layer;

/// SGD with momentum, PyTorch's `torch.optim.SGD(momentum=μ, dampening=τ, nesterov=…)`.
///
/// With coupled L2 weight decay `λ` (default 0), at step `t = 1, 2, …`:
///
/// ```text
/// g   ← g + λ θ
/// b_1 = g                              (the first step is not dampened)
/// b_t = μ b_{t-1} + (1 - τ) g
/// d   = g + μ b_t   (Nesterov)   or   d = b_t
/// θ   ← θ - η d
/// ```
///
/// Defaults: dampening `τ = 0`, no Nesterov, no weight decay (PyTorch's). PyTorch has no
/// default momentum worth having (0 is plain SGD, see [`Sgd`](super::Sgd)), so
/// [`Momentum::new`] takes it.
///
/// Keras' `SGD(momentum=μ)` keeps a velocity `v ← μ v - η g`, `θ ← θ + v`: the same
/// trajectory at a constant learning rate (`v = -η b`), but a learning-rate change acts at
/// once in PyTorch (it scales the whole buffer) and gradually in Keras. Keras' Nesterov
/// form `θ ← θ + μ v - η g` equals PyTorch's `d = g + μ b` likewise.
///
/// State: one momentum buffer, `STATE_BYTES = size_of::<N::Params>()`.
/// Each buffer takes whole [`BLOCK_ALIGN`](crate::cache_line::BLOCK_ALIGN) blocks (64 bytes on x86-64).
pub struct Momentum<N: Layer> {
    /// Learning rate `η`.
    pub lr: f32,
    /// Momentum `μ`.
    pub momentum: f32,
    /// Dampening `τ`: the new gradient enters the buffer with weight `1 - τ`.
    pub dampening: f32,
    /// Nesterov momentum: step along `g + μ b` instead of `b`.
    pub nesterov: bool,
    /// L2 weight decay `λ`, added to the gradient.
    pub weight_decay: f32,
    t: u64,
    momentum_buffer: CacheAligned<N::Params>,
    _net: PhantomData<fn() -> N>,
}

// SAFETY: every field is valid when zero: f32, bool (false), u64, a `Flat` block and
// `PhantomData`.
unsafe impl<N: Layer> Zeroable for Momentum<N> {}

impl<N: Layer> Momentum<N> {
    /// Bytes of state: one momentum buffer.
    pub const STATE_BYTES: usize = core::mem::size_of::<CacheAligned<N::Params>>();

    const fn init(&mut self, lr: f32, momentum: f32) {
        self.lr = lr;
        self.momentum = momentum;
        self.dampening = 0.0;
        self.nesterov = false;
        self.weight_decay = 0.0;
    }

    super::constructors::constructors!(lr: f32, momentum: f32);

    /// Nesterov momentum: `Momentum::new(lr, momentum).nesterov(true)`.
    pub const fn new_nesterov(lr: f32, momentum: f32) -> Self {
        Self::new(lr, momentum).nesterov(true)
    }

    /// Sets the dampening `τ`.
    pub const fn dampening(mut self, dampening: f32) -> Self {
        self.dampening = dampening;
        self
    }

    /// Switches Nesterov momentum on or off.
    pub const fn nesterov(mut self, nesterov: bool) -> Self {
        self.nesterov = nesterov;
        self
    }

    /// Sets the L2 weight decay `λ`.
    pub const fn weight_decay(mut self, weight_decay: f32) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    /// Steps taken since construction or [`Optimizer::reset`].
    pub fn steps(&self) -> u64 {
        self.t
    }

    /// The momentum buffer `b` (PyTorch's `momentum_buffer`); meaningful after a step.
    pub fn momentum_buffer(&self) -> &N::Params {
        &self.momentum_buffer
    }
}

impl<N: Layer> Optimizer<N> for Momentum<N> {
    fn visit_state(&mut self, visitor: &mut dyn crate::state::StateVisitor) {
        visitor.count("step", &mut self.t);
        crate::state::visit_buffer(
            visitor,
            "momentum_buffer",
            crate::flat::Flat::as_flat_mut(&mut self.momentum_buffer.0),
        );
    }

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

    fn reset(&mut self) {
        self.t = 0;
    }
}

impl<N: Layer> ElementwiseOptimizer<N> for Momentum<N> {
    fn begin_step(&mut self) {
        if self.t == 0 {
            flat_mut(&mut self.momentum_buffer.0).fill(0.0);
        }
        self.t = self.t.saturating_add(1);
    }

    fn with_rule(&mut self, apply: &mut dyn FnMut(&dyn UpdateRule, StateSlices<'_>)) {
        let rule = MomentumRule {
            lr: self.lr,
            momentum: self.momentum,
            // First step: `b = 0·μ + 1·g = g`, undamped, exactly as PyTorch.
            keep: if self.t == 1 { 1.0 } else { 1.0 - self.dampening },
            weight_decay: self.weight_decay,
            nesterov: self.nesterov,
        };
        apply(&rule, StateSlices::new([flat_mut(&mut self.momentum_buffer.0), &mut [], &mut []]));
    }
}

/// One momentum step, with `keep = 1 - τ` (1 at the first step); state: `b`.
#[derive(Clone, Copy)]
struct MomentumRule {
    lr: f32,
    momentum: f32,
    keep: f32,
    weight_decay: f32,
    nesterov: bool,
}

impl UpdateRule for MomentumRule {
    #[inline(always)]
    fn update_portable(&self, params: &mut [f32], grads: &[f32], state: StateSlices<'_>) {
        let MomentumRule { lr, momentum: mu, keep, weight_decay: wd, nesterov } = *self;
        let [buffer, ..] = state.into_buffers();
        for ((p, &g), b) in params.iter_mut().zip(grads).zip(buffer) {
            let g = g + wd * *p;
            *b = flush_subnormal(mu * *b + keep * g);
            let d = if nesterov { g + mu * *b } else { *b };
            *p -= lr * d;
        }
    }
}
