//! AdamW: Adam with decoupled weight decay.

use super::Optimizer;
use super::adam_family::adam_optimizer;
use super::buffer::{NoBuffer, OptionalBuffer, WithBuffer, flat_mut};
use super::elementwise::{ElementwiseOptimizer, begin_step_in_parts, whole_step};
use super::update_rule::{StateSlices, UpdateRule};
use crate::layer::Layer;
use crate::state::StateVisitor;

adam_optimizer! {
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
    /// `size_of::<N::Params>()`. Each buffer takes whole [`BLOCK_ALIGN`](crate::cache_line::BLOCK_ALIGN) blocks (64 bytes on x86-64).
    AdamW,
    weight_decay: "Decoupled weight decay `λ`: each step multiplies the parameters by `1 - η λ`.",
    default_weight_decay: 0.01,
}

/// AdamW with AMSGrad (PyTorch's `AdamW(amsgrad=True)`).
pub type AdamWAmsGrad<N> = AdamW<N, WithBuffer>;

impl<N: Layer, A: OptionalBuffer> Optimizer<N> for AdamW<N, A> {
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

    fn visit_state(&mut self, visitor: &mut dyn StateVisitor) {
        self.visit_moments(visitor);
    }
}

impl<N: Layer, A: OptionalBuffer> ElementwiseOptimizer<N> for AdamW<N, A> {
    fn begin_step(&mut self) {
        self.begin();
    }

    fn with_rule(&mut self, apply: &mut dyn FnMut(&dyn UpdateRule, StateSlices<'_>)) {
        self.with_rule_for(apply, 0.0, 1.0 - self.lr * self.weight_decay);
    }
}
