//! AdamW: Adam with decoupled weight decay.

use core::marker::PhantomData;

use super::Optimizer;
use super::adam::AdamStep;
use super::buffer::{NoBuffer, OptionalBuffer, WithBuffer, flat, flat_mut};
use crate::flat::Zeroable;
use crate::layer::Layer;

/// AdamW, PyTorch's `torch.optim.AdamW`: Adam whose weight decay shrinks the parameters
/// directly instead of entering the gradient. With a [`WithBuffer`] second parameter
/// (alias [`AdamWAmsGrad`]) it is `AdamW(amsgrad=True)`.
///
/// At step `t = 1, 2, …`:
///
/// ```text
/// θ ← θ (1 - η λ)                                   (decoupled decay, first)
/// m ← β₁ m + (1 - β₁) g
/// v ← β₂ v + (1 - β₂) g²
/// AMSGrad:  v̂ ← max(v̂, v),  d = √v̂ / √(1 - β₂ᵗ) + ε
/// else:                      d = √v / √(1 - β₂ᵗ) + ε
/// θ ← θ - η / (1 - β₁ᵗ) · m / d
/// ```
///
/// PyTorch's defaults: `η = 1e-3`, `β = (0.9, 0.999)`, `ε = 1e-8`, `λ = 0.01`.
/// Keras' `AdamW` decays by `θ ← θ - η λ θ` too (default `λ = 0.004`) and has Keras'
/// ε-hat convention described at [`Adam`](super::Adam).
///
/// State: `m` and `v`, plus `v̂` for AMSGrad: `STATE_BYTES` is 2 or 3 ×
/// `size_of::<N::Params>()`.
pub struct AdamW<N: Layer, A: OptionalBuffer = NoBuffer> {
    /// Learning rate `η`.
    pub lr: f32,
    /// `β₁`, the decay of the first moment.
    pub beta1: f32,
    /// `β₂`, the decay of the second moment.
    pub beta2: f32,
    /// `ε`, added to the bias-corrected root.
    pub eps: f32,
    /// Decoupled weight decay `λ`: each step multiplies the parameters by `1 - η λ`.
    pub weight_decay: f32,
    t: u64,
    exp_avg: N::Params,
    exp_avg_sq: N::Params,
    max_exp_avg_sq: A::Block<N::Params>,
    _net: PhantomData<fn() -> N>,
}

/// AdamW with AMSGrad (PyTorch's `AdamW(amsgrad=True)`).
pub type AdamWAmsGrad<N> = AdamW<N, WithBuffer>;

// SAFETY: every field is valid when zero: f32, u64, `Flat` blocks (including `()`) and
// `PhantomData`.
unsafe impl<N: Layer, A: OptionalBuffer> Zeroable for AdamW<N, A> {}

impl<N: Layer, A: OptionalBuffer> AdamW<N, A> {
    /// Bytes of state: `m`, `v`, and for AMSGrad `max v`.
    pub const STATE_BYTES: usize = 2 * core::mem::size_of::<N::Params>() + core::mem::size_of::<A::Block<N::Params>>();

    const fn init(&mut self, lr: f32) {
        self.lr = lr;
        self.beta1 = 0.9;
        self.beta2 = 0.999;
        self.eps = 1e-8;
        self.weight_decay = 0.01;
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

    /// Sets the decoupled weight decay `λ`.
    pub const fn weight_decay(mut self, weight_decay: f32) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    /// Whether this type keeps AMSGrad's maximum.
    pub const fn amsgrad(&self) -> bool {
        A::KEPT
    }

    /// Steps taken since construction or [`Optimizer::reset`].
    pub fn steps(&self) -> u64 {
        self.t
    }

    /// The first moment `m` (PyTorch's `exp_avg`).
    pub fn exp_avg(&self) -> &N::Params {
        &self.exp_avg
    }

    /// The second moment `v` (PyTorch's `exp_avg_sq`).
    pub fn exp_avg_sq(&self) -> &N::Params {
        &self.exp_avg_sq
    }
}

impl<N: Layer> AdamW<N, WithBuffer> {
    /// AMSGrad's running maximum of `v` (PyTorch's `max_exp_avg_sq`).
    pub fn max_exp_avg_sq(&self) -> &N::Params {
        &self.max_exp_avg_sq
    }
}

impl<N: Layer, A: OptionalBuffer> Default for AdamW<N, A> {
    /// PyTorch's defaults, `lr = 1e-3`, `weight_decay = 0.01`.
    fn default() -> Self {
        Self::new(1e-3)
    }
}

impl<N: Layer, A: OptionalBuffer> Optimizer<N> for AdamW<N, A> {
    fn visit_state(&mut self, visitor: &mut dyn crate::state::StateVisitor) {
        visitor.count("step", &mut self.t);
        crate::state::visit_buffer(visitor, "exp_avg", crate::flat::Flat::as_flat_mut(&mut self.exp_avg));
        crate::state::visit_buffer(visitor, "exp_avg_sq", crate::flat::Flat::as_flat_mut(&mut self.exp_avg_sq));
        crate::state::visit_buffer(visitor, "max_exp_avg_sq", crate::flat::Flat::as_flat_mut(&mut self.max_exp_avg_sq));
    }

    fn step(&mut self, params: &mut N::Params, grads: &N::Params) {
        if self.t == 0 {
            flat_mut(&mut self.exp_avg).fill(0.0);
            flat_mut(&mut self.exp_avg_sq).fill(0.0);
            flat_mut(&mut self.max_exp_avg_sq).fill(0.0);
        }
        self.t = self.t.saturating_add(1);
        let scale = 1.0 - self.lr * self.weight_decay;
        let k = AdamStep::new(self.lr, self.beta1, self.beta2, self.eps, self.t, 0.0, scale);
        let v_max = if A::KEPT { Some(flat_mut(&mut self.max_exp_avg_sq)) } else { None };
        k.run(flat_mut(params), flat(grads), flat_mut(&mut self.exp_avg), flat_mut(&mut self.exp_avg_sq), v_max);
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
