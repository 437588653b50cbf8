//! NAdam: Adam with Nesterov momentum.

use crate::cache_line::CacheAligned;
use core::marker::PhantomData;

use super::Optimizer;
use super::buffer::{bias_correction, flat_mut};
use super::elementwise::{ElementwiseOptimizer, begin_step_in_parts, whole_step};
use super::update_rule::{StateSlices, UpdateRule, flush_subnormal};
use crate::flat::Zeroable;
use crate::layer::Layer;

/// NAdam, PyTorch's `torch.optim.NAdam`, with its momentum schedule.
///
/// At step `t = 1, 2, …`, with weight decay `λ` (coupled by default):
///
/// ```text
/// g ← g + λ θ                     (or, decoupled: θ ← θ (1 - η λ))
/// μ_t  = β₁ (1 - ½ · 0.96^(t ψ))   μ_{t+1} = β₁ (1 - ½ · 0.96^((t+1) ψ))
/// Π_t  = μ_1 μ_2 … μ_t
/// m ← β₁ m + (1 - β₁) g           (the plain β₁)
/// v ← β₂ v + (1 - β₂) g²
/// d = √(v / (1 - β₂ᵗ)) + ε
/// θ ← θ - η (1 - μ_t) / (1 - Π_t) · g / d - η μ_{t+1} / (1 - Π_t μ_{t+1}) · m / d
/// ```
///
/// PyTorch's defaults: `η = 2e-3`, `β = (0.9, 0.999)`, `ε = 1e-8`, `λ = 0`, momentum
/// decay `ψ = 4e-3`. The product `Π_t` is kept in f64 (PyTorch keeps it as a scalar
/// tensor of the default dtype).
///
/// Keras' `Nadam` uses the same `μ_t` schedule (with `ψ = 0.004` fixed) but divides by
/// `√v̂ + ε` with `ε = 1e-7` and defaults to `η = 1e-3`.
///
/// State: `m` and `v` (and the scalar `Π_t`), `STATE_BYTES = 2 * size_of::<N::Params>()`.
/// Each buffer takes whole [`BLOCK_ALIGN`](crate::cache_line::BLOCK_ALIGN) blocks (64 bytes on x86-64).
pub struct NAdam<N: Layer> {
    /// Learning rate `η`.
    pub lr: f32,
    /// `β₁`, the decay of the first moment and the scale of `μ_t`.
    pub beta1: f32,
    /// `β₂`, the decay of the second moment.
    pub beta2: f32,
    /// `ε`, added to the bias-corrected root.
    pub eps: f32,
    /// Weight decay `λ`: L2 added to the gradient, or decoupled.
    pub weight_decay: f32,
    /// Momentum decay `ψ` of the `μ_t` schedule.
    pub momentum_decay: f32,
    /// Decoupled weight decay (PyTorch's `decoupled_weight_decay=True`, "NAdamW").
    pub decoupled_weight_decay: bool,
    t: u64,
    mu_product: f64,
    exp_avg: CacheAligned<N::Params>,
    exp_avg_sq: CacheAligned<N::Params>,
    _net: PhantomData<fn() -> N>,
}

// SAFETY: every field is valid when zero: f32, f64, bool (false), u64, `Flat` blocks and
// `PhantomData`.
unsafe impl<N: Layer> Zeroable for NAdam<N> {}

impl<N: Layer> NAdam<N> {
    /// Bytes of state buffers: `m` and `v`.
    pub const STATE_BYTES: usize = 2 * core::mem::size_of::<CacheAligned<N::Params>>();

    const fn init(&mut self, lr: f32) {
        self.lr = lr;
        self.beta1 = 0.9;
        self.beta2 = 0.999;
        self.eps = 1e-8;
        self.weight_decay = 0.0;
        self.momentum_decay = 4e-3;
        self.decoupled_weight_decay = false;
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

    /// Sets the weight decay `λ` (L2, added to the gradient, unless decoupled).
    pub const fn weight_decay(mut self, weight_decay: f32) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    /// Sets the momentum decay `ψ`.
    pub const fn momentum_decay(mut self, momentum_decay: f32) -> Self {
        self.momentum_decay = momentum_decay;
        self
    }

    /// Makes the weight decay decoupled (`θ ← θ (1 - η λ)`) instead of L2.
    pub const fn decoupled_weight_decay(mut self, decoupled: bool) -> Self {
        self.decoupled_weight_decay = decoupled;
        self
    }

    /// Steps taken since construction or [`Optimizer::reset`].
    pub fn steps(&self) -> u64 {
        self.t
    }

    /// The product `Π_t = μ_1 … μ_t` (PyTorch's `mu_product`); 1 before the first step.
    pub fn mu_product(&self) -> f64 {
        if self.t == 0 { 1.0 } else { self.mu_product }
    }

    /// The first moment `m` (PyTorch's `exp_avg`).
    pub fn exp_avg(&self) -> &N::Params {
        &self.exp_avg
    }

    /// The second moment `v` (PyTorch's `exp_avg_sq`).
    pub fn exp_avg_sq(&self) -> &N::Params {
        &self.exp_avg_sq
    }

    /// `μ_t = β₁ (1 - ½ · 0.96^(t ψ))`.
    fn mu(&self, t: u64) -> f64 {
        self.beta1 as f64 * (1.0 - 0.5 * libm::pow(0.96, t as f64 * self.momentum_decay as f64))
    }
}

impl<N: Layer> Default for NAdam<N> {
    /// PyTorch's defaults, `lr = 2e-3`.
    fn default() -> Self {
        Self::new(2e-3)
    }
}

impl<N: Layer> Optimizer<N> for NAdam<N> {
    fn visit_state(&mut self, visitor: &mut dyn crate::state::StateVisitor) {
        visitor.count("step", &mut self.t);
        visitor.real("mu_product", &mut self.mu_product);
        crate::state::visit_buffer(visitor, "exp_avg", crate::flat::Flat::as_flat_mut(&mut self.exp_avg.0));
        crate::state::visit_buffer(visitor, "exp_avg_sq", crate::flat::Flat::as_flat_mut(&mut self.exp_avg_sq.0));
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

impl<N: Layer> ElementwiseOptimizer<N> for NAdam<N> {
    fn begin_step(&mut self) {
        if self.t == 0 {
            flat_mut(&mut self.exp_avg.0).fill(0.0);
            flat_mut(&mut self.exp_avg_sq.0).fill(0.0);
            self.mu_product = 1.0;
        }
        self.t = self.t.saturating_add(1);
        self.mu_product *= self.mu(self.t);
    }

    fn with_rule(&mut self, apply: &mut dyn FnMut(&dyn UpdateRule, StateSlices<'_>)) {
        let t = self.t;
        let lr = self.lr as f64;
        let (mu, mu_next) = (self.mu(t), self.mu(t + 1));
        let grad_coef = (lr * (1.0 - mu) / (1.0 - self.mu_product)) as f32;
        let momentum_coef = (lr * mu_next / (1.0 - self.mu_product * mu_next)) as f32;
        let inv_sqrt_bc2 = (1.0 / libm::sqrt(bias_correction(self.beta2, t))) as f32;
        let (coupled, scale) = match self.decoupled_weight_decay {
            false => (self.weight_decay, 1.0),
            true => (0.0, 1.0 - self.lr * self.weight_decay),
        };
        let rule = NAdamRule {
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
            grad_coef,
            momentum_coef,
            inv_sqrt_bc2,
            coupled,
            scale,
        };
        apply(&rule, StateSlices::new([flat_mut(&mut self.exp_avg.0), flat_mut(&mut self.exp_avg_sq.0), &mut []]));
    }
}

/// One NAdam step: the coefficients of `g` and `m` for this step, `1 / √(1 - β₂ᵗ)`, the
/// coupled decay and the decoupled scale; state: `m` and `v`.
#[derive(Clone, Copy)]
struct NAdamRule {
    beta1: f32,
    beta2: f32,
    eps: f32,
    grad_coef: f32,
    momentum_coef: f32,
    inv_sqrt_bc2: f32,
    coupled: f32,
    scale: f32,
}

impl UpdateRule for NAdamRule {
    #[inline(always)]
    fn update_portable(&self, params: &mut [f32], grads: &[f32], state: StateSlices<'_>) {
        let NAdamRule { beta1: b1, beta2: b2, eps, grad_coef, momentum_coef, inv_sqrt_bc2, coupled, scale } = *self;
        let (c1, c2) = (1.0 - b1, 1.0 - b2);
        let [exp_avg, exp_avg_sq, _] = state.into_buffers();
        for (((p, &g), m), v) in params.iter_mut().zip(grads).zip(exp_avg).zip(exp_avg_sq) {
            let g = g + coupled * *p;
            *m = flush_subnormal(b1 * *m + c1 * g);
            *v = flush_subnormal(b2 * *v + c2 * g * g);
            let d = crate::math::sqrt(*v) * inv_sqrt_bc2 + eps;
            *p = *p * scale - (grad_coef * g + momentum_coef * *m) / d;
        }
    }
}
