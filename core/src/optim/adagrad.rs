//! Adagrad.

use crate::cache_line::CacheAligned;
use core::marker::PhantomData;

use super::Optimizer;
use super::buffer::flat_mut;
use super::elementwise::{ElementwiseOptimizer, begin_step_in_parts, whole_step};
use super::update_rule::{StateSlices, UpdateRule};
use crate::flat::Zeroable;
use crate::layer::Layer;

/// Adagrad, PyTorch's `torch.optim.Adagrad`.
///
/// At step `t = 1, 2, …`, with coupled L2 weight decay `λ`:
///
/// ```text
/// g  ← g + λ θ
/// η_t = η / (1 + (t - 1) δ)          (learning-rate decay δ)
/// s  ← s + g²                        (s starts at the initial accumulator value s₀)
/// θ  ← θ - η_t g / (√s + ε)          (ε outside the square root)
/// ```
///
/// PyTorch's defaults: `η = 1e-2`, `δ = 0`, `λ = 0`, `s₀ = 0`, `ε = 1e-10`.
/// Keras' `Adagrad` puts ε *inside* the root, `θ ← θ - η g / √(s + ε)`, and defaults to
/// `s₀ = 0.1`, `ε = 1e-7`, `η = 1e-3`.
///
/// State: the sum of squares, `STATE_BYTES = size_of::<N::Params>()`.
/// Each buffer takes whole [`BLOCK_ALIGN`](crate::cache_line::BLOCK_ALIGN) blocks (64 bytes on x86-64).
pub struct Adagrad<N: Layer> {
    /// Learning rate `η`.
    pub lr: f32,
    /// Learning-rate decay `δ`.
    pub lr_decay: f32,
    /// L2 weight decay `λ`, added to the gradient.
    pub weight_decay: f32,
    /// Initial value `s₀` of the accumulator, applied at the first step.
    pub initial_accumulator_value: f32,
    /// `ε`, added to `√s`.
    pub eps: f32,
    t: u64,
    sum: CacheAligned<N::Params>,
    _net: PhantomData<fn() -> N>,
}

// SAFETY: every field is valid when zero: f32, u64, a `Flat` block and `PhantomData`.
unsafe impl<N: Layer> Zeroable for Adagrad<N> {}

impl<N: Layer> Adagrad<N> {
    /// Bytes of state: the sum of squared gradients.
    pub const STATE_BYTES: usize = core::mem::size_of::<CacheAligned<N::Params>>();

    const fn init(&mut self, lr: f32) {
        self.lr = lr;
        self.lr_decay = 0.0;
        self.weight_decay = 0.0;
        self.initial_accumulator_value = 0.0;
        self.eps = 1e-10;
    }

    super::constructors::constructors!(lr: f32);

    /// Sets the learning-rate decay `δ`.
    pub const fn lr_decay(mut self, lr_decay: f32) -> Self {
        self.lr_decay = lr_decay;
        self
    }

    /// Sets the L2 weight decay `λ`.
    pub const fn weight_decay(mut self, weight_decay: f32) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    /// Sets the initial accumulator value `s₀`.
    pub const fn initial_accumulator_value(mut self, value: f32) -> Self {
        self.initial_accumulator_value = value;
        self
    }

    /// Sets `ε`.
    pub const fn eps(mut self, eps: f32) -> Self {
        self.eps = eps;
        self
    }

    /// Steps taken since construction or [`Optimizer::reset`].
    pub fn steps(&self) -> u64 {
        self.t
    }

    /// The accumulated squared gradients `s` (PyTorch's `sum`); meaningful after a step.
    pub fn sum(&self) -> &N::Params {
        &self.sum
    }
}

impl<N: Layer> Default for Adagrad<N> {
    /// PyTorch's defaults, `lr = 1e-2`.
    fn default() -> Self {
        Self::new(1e-2)
    }
}

impl<N: Layer> Optimizer<N> for Adagrad<N> {
    fn visit_state(&mut self, visitor: &mut dyn crate::state::StateVisitor) {
        visitor.count("step", &mut self.t);
        crate::state::visit_buffer(visitor, "sum", crate::flat::Flat::as_flat_mut(&mut self.sum.0));
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

impl<N: Layer> ElementwiseOptimizer<N> for Adagrad<N> {
    fn begin_step(&mut self) {
        if self.t == 0 {
            flat_mut(&mut self.sum.0).fill(self.initial_accumulator_value);
        }
        self.t = self.t.saturating_add(1);
    }

    fn with_rule(&mut self, apply: &mut dyn FnMut(&dyn UpdateRule, StateSlices<'_>)) {
        let rule = AdagradRule {
            clr: (self.lr as f64 / (1.0 + self.t.saturating_sub(1) as f64 * self.lr_decay as f64)) as f32,
            weight_decay: self.weight_decay,
            eps: self.eps,
        };
        apply(&rule, StateSlices::new([flat_mut(&mut self.sum.0), &mut [], &mut []]));
    }
}

/// One Adagrad step at the decayed learning rate `clr`; state: the sum of squares.
#[derive(Clone, Copy)]
struct AdagradRule {
    clr: f32,
    weight_decay: f32,
    eps: f32,
}

impl UpdateRule for AdagradRule {
    #[inline(always)]
    fn update_portable(&self, params: &mut [f32], grads: &[f32], state: StateSlices<'_>) {
        let AdagradRule { clr, weight_decay: wd, eps } = *self;
        let [sum, ..] = state.into_buffers();
        for ((p, &g), s) in params.iter_mut().zip(grads).zip(sum) {
            let g = g + wd * *p;
            *s += g * g;
            *p -= clr * g / (crate::math::sqrt(*s) + eps);
        }
    }
}
