//! Adamax: Adam with the infinity norm.

use crate::cache_line::CacheAligned;
use core::marker::PhantomData;

use super::Optimizer;
use super::buffer::{bias_correction, flat_mut};
use super::elementwise::{ElementwiseOptimizer, begin_step_in_parts, whole_step};
use super::update_rule::{StateSlices, UpdateRule, flush_subnormal};
use crate::flat::Zeroable;
use crate::layer::Layer;

/// Adamax, PyTorch's `torch.optim.Adamax`.
///
/// At step `t = 1, 2, …`, with coupled L2 weight decay `λ`:
///
/// ```text
/// g ← g + λ θ
/// m ← β₁ m + (1 - β₁) g
/// u ← max(β₂ u, |g| + ε)                  (ε inside the max, u₀ = 0)
/// θ ← θ - η / (1 - β₁ᵗ) · m / u
/// ```
///
/// PyTorch's defaults: `η = 2e-3`, `β = (0.9, 0.999)`, `ε = 1e-8`, `λ = 0`.
/// Keras' `Adamax` takes `u ← max(β₂ u, |g|)` and divides by `u + ε` (default `ε = 1e-7`,
/// `η = 1e-3`).
///
/// State: `m` and `u`, `STATE_BYTES = 2 * size_of::<N::Params>()`.
/// Each buffer takes whole [`BLOCK_ALIGN`](crate::cache_line::BLOCK_ALIGN) blocks (64 bytes on x86-64).
pub struct Adamax<N: Layer> {
    /// Learning rate `η`.
    pub lr: f32,
    /// `β₁`, the decay of the first moment.
    pub beta1: f32,
    /// `β₂`, the decay of the infinity norm.
    pub beta2: f32,
    /// `ε`, inside the max.
    pub eps: f32,
    /// L2 weight decay `λ`, added to the gradient.
    pub weight_decay: f32,
    t: u64,
    exp_avg: CacheAligned<N::Params>,
    exp_inf: CacheAligned<N::Params>,
    _net: PhantomData<fn() -> N>,
}

// SAFETY: every field is valid when zero: f32, u64, `Flat` blocks and `PhantomData`.
unsafe impl<N: Layer> Zeroable for Adamax<N> {}

impl<N: Layer> Adamax<N> {
    /// Bytes of state: `m` and `u`.
    pub const STATE_BYTES: usize = 2 * core::mem::size_of::<CacheAligned<N::Params>>();

    const fn init(&mut self, lr: f32) {
        self.lr = lr;
        self.beta1 = 0.9;
        self.beta2 = 0.999;
        self.eps = 1e-8;
        self.weight_decay = 0.0;
    }

    super::constructors::constructors!(lr: f32);

    /// Sets `β₁` and `β₂`.
    pub const fn betas(mut self, beta1: f32, beta2: f32) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }

    /// Sets `ε`.
    pub const fn eps(mut self, eps: f32) -> Self {
        self.eps = eps;
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

    /// The first moment `m` (PyTorch's `exp_avg`).
    pub fn exp_avg(&self) -> &N::Params {
        &self.exp_avg
    }

    /// The infinity norm `u` (PyTorch's `exp_inf`).
    pub fn exp_inf(&self) -> &N::Params {
        &self.exp_inf
    }
}

impl<N: Layer> Default for Adamax<N> {
    /// PyTorch's defaults, `lr = 2e-3`.
    fn default() -> Self {
        Self::new(2e-3)
    }
}

impl<N: Layer> Optimizer<N> for Adamax<N> {
    fn visit_state(&mut self, visitor: &mut dyn crate::state::StateVisitor) {
        visitor.count("step", &mut self.t);
        crate::state::visit_buffer(visitor, "exp_avg", crate::flat::Flat::as_flat_mut(&mut self.exp_avg.0));
        crate::state::visit_buffer(visitor, "exp_inf", crate::flat::Flat::as_flat_mut(&mut self.exp_inf.0));
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

impl<N: Layer> ElementwiseOptimizer<N> for Adamax<N> {
    fn begin_step(&mut self) {
        if self.t == 0 {
            flat_mut(&mut self.exp_avg.0).fill(0.0);
            flat_mut(&mut self.exp_inf.0).fill(0.0);
        }
        self.t = self.t.saturating_add(1);
    }

    fn with_rule(&mut self, apply: &mut dyn FnMut(&dyn UpdateRule, StateSlices<'_>)) {
        let rule = AdamaxRule {
            clr: (self.lr as f64 / bias_correction(self.beta1, self.t)) as f32,
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
            weight_decay: self.weight_decay,
        };
        apply(&rule, StateSlices::new([flat_mut(&mut self.exp_avg.0), flat_mut(&mut self.exp_inf.0), &mut []]));
    }
}

/// One Adamax step at the bias-corrected learning rate `clr`; state: `m` and `u`.
#[derive(Clone, Copy)]
struct AdamaxRule {
    clr: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    weight_decay: f32,
}

impl UpdateRule for AdamaxRule {
    #[inline(always)]
    fn update_portable(&self, params: &mut [f32], grads: &[f32], state: StateSlices<'_>) {
        let AdamaxRule { clr, beta1: b1, beta2: b2, eps, weight_decay: wd } = *self;
        let c1 = 1.0 - b1;
        let [exp_avg, exp_inf, _] = state.into_buffers();
        for (((p, &g), m), u) in params.iter_mut().zip(grads).zip(exp_avg).zip(exp_inf) {
            let g = g + wd * *p;
            *m = flush_subnormal(b1 * *m + c1 * g);
            let (decayed, fresh) = (b2 * *u, f32::abs(g) + eps);
            // `>=` keeps a NaN gradient (as `torch.amax` does).
            *u = if decayed >= fresh { decayed } else { fresh };
            *p -= clr * *m / *u;
        }
    }
}
