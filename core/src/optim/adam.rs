//! Adam and AMSGrad.

use super::Optimizer;
use super::adam_family::adam_optimizer;
use super::buffer::{NoBuffer, OptionalBuffer, WithBuffer, flat_mut};
use super::elementwise::{ElementwiseOptimizer, begin_step_in_parts, whole_step};
use super::update_rule::{StateSlices, UpdateRule};
use crate::layer::Layer;
use crate::state::StateVisitor;

adam_optimizer! {
    /// Adam, PyTorch's `torch.optim.Adam`; with a [`WithBuffer`] second parameter (alias
    /// [`AmsGrad`]) it is `Adam(amsgrad=True)`.
    ///
    /// At step `t = 1, 2, …`, with coupled L2 weight decay `λ`:
    ///
    /// ```text
    /// g ← g + λ θ
    /// m ← β₁ m + (1 - β₁) g
    /// v ← β₂ v + (1 - β₂) g²
    /// AMSGrad:  v̂ ← max(v̂, v),  d = √v̂ / √(1 - β₂ᵗ) + ε   (the max of the *uncorrected* v)
    /// else:                      d = √v / √(1 - β₂ᵗ) + ε
    /// θ ← θ - η / (1 - β₁ᵗ) · m / d
    /// ```
    ///
    /// that is `θ ← θ - η m̂ / (√v̂ + ε)` with bias-corrected moments, ε added after the
    /// correction. PyTorch's defaults: `η = 1e-3`, `β = (0.9, 0.999)`, `ε = 1e-8`, `λ = 0`.
    ///
    /// Keras' `Adam` adds its ε to the *uncorrected* root (`θ ← θ - η √(1-β₂ᵗ)/(1-β₁ᵗ) · m /
    /// (√v + ε̂)`, the paper's "epsilon hat"), i.e. PyTorch's ε equals Keras' `ε̂ / √(1-β₂ᵗ)`,
    /// and defaults to `ε̂ = 1e-7`. For decoupled weight decay use [`AdamW`](super::AdamW).
    ///
    /// State: `m` and `v`, plus `v̂` for AMSGrad: `STATE_BYTES` is 2 or 3 ×
    /// `size_of::<N::Params>()`. Each buffer takes whole [`BLOCK_ALIGN`](crate::cache_line::BLOCK_ALIGN) blocks (64 bytes on x86-64).
    Adam,
    weight_decay: "L2 weight decay `λ`, added to the gradient (coupled).",
    default_weight_decay: 0.0,
}

/// Adam with AMSGrad (PyTorch's `Adam(amsgrad=True)`): keeps the running maximum of `v`.
pub type AmsGrad<N> = Adam<N, WithBuffer>;

impl<N: Layer, A: OptionalBuffer> Optimizer<N> for Adam<N, A> {
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

impl<N: Layer, A: OptionalBuffer> ElementwiseOptimizer<N> for Adam<N, A> {
    fn begin_step(&mut self) {
        self.begin();
    }

    fn with_rule(&mut self, apply: &mut dyn FnMut(&dyn UpdateRule, StateSlices<'_>)) {
        self.with_rule_for(apply, self.weight_decay, 1.0);
    }
}
