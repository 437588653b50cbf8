//! Adam and AMSGrad.

use core::marker::PhantomData;

use super::Optimizer;
use super::buffer::{NoBuffer, OptionalBuffer, WithBuffer, bias_correction, flat, flat_mut};
use crate::flat::Zeroable;
use crate::layer::Layer;

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
/// `size_of::<N::Params>()`.
pub struct Adam<N: Layer, A: OptionalBuffer = NoBuffer> {
    /// Learning rate `η`.
    pub lr: f32,
    /// `β₁`, the decay of the first moment.
    pub beta1: f32,
    /// `β₂`, the decay of the second moment.
    pub beta2: f32,
    /// `ε`, added to the bias-corrected root.
    pub eps: f32,
    /// L2 weight decay `λ`, added to the gradient.
    pub weight_decay: f32,
    t: u64,
    exp_avg: N::Params,
    exp_avg_sq: N::Params,
    max_exp_avg_sq: A::Block<N::Params>,
    _net: PhantomData<fn() -> N>,
}

/// Adam with AMSGrad (PyTorch's `Adam(amsgrad=True)`): keeps the running maximum of `v`.
pub type AmsGrad<N> = Adam<N, WithBuffer>;

// SAFETY: every field is valid when zero: f32, u64, `Flat` blocks (including `()`) and
// `PhantomData`.
unsafe impl<N: Layer, A: OptionalBuffer> Zeroable for Adam<N, A> {}

impl<N: Layer, A: OptionalBuffer> Adam<N, A> {
    /// Bytes of state: `m`, `v`, and for AMSGrad `max v`.
    pub const STATE_BYTES: usize = 2 * core::mem::size_of::<N::Params>() + core::mem::size_of::<A::Block<N::Params>>();

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

    /// Sets the (coupled, L2) weight decay `λ`.
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

impl<N: Layer> Adam<N, WithBuffer> {
    /// AMSGrad's running maximum of `v` (PyTorch's `max_exp_avg_sq`).
    pub fn max_exp_avg_sq(&self) -> &N::Params {
        &self.max_exp_avg_sq
    }
}

impl<N: Layer, A: OptionalBuffer> Default for Adam<N, A> {
    /// PyTorch's defaults, `lr = 1e-3`.
    fn default() -> Self {
        Self::new(1e-3)
    }
}

impl<N: Layer, A: OptionalBuffer> Optimizer<N> for Adam<N, A> {
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
        let k = AdamStep::new(self.lr, self.beta1, self.beta2, self.eps, self.t, self.weight_decay, 1.0);
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

/// The constants of one Adam step, shared by [`Adam`] and [`AdamW`](super::AdamW).
#[derive(Clone, Copy)]
pub(super) struct AdamStep {
    beta1: f32,
    beta2: f32,
    step_size: f32,
    inv_sqrt_bc2: f32,
    eps: f32,
    coupled_decay: f32,
    decoupled_scale: f32,
}

impl AdamStep {
    /// Step `t` (from 1): `step_size = η / (1 - β₁ᵗ)`, `1 / √(1 - β₂ᵗ)`; `coupled_decay`
    /// is added to the gradient as `λ θ`, `decoupled_scale` multiplies `θ` first.
    pub(super) fn new(
        lr: f32,
        beta1: f32,
        beta2: f32,
        eps: f32,
        t: u64,
        coupled_decay: f32,
        decoupled_scale: f32,
    ) -> Self {
        AdamStep {
            beta1,
            beta2,
            step_size: (lr as f64 / bias_correction(beta1, t)) as f32,
            inv_sqrt_bc2: (1.0 / libm::sqrt(bias_correction(beta2, t))) as f32,
            eps,
            coupled_decay,
            decoupled_scale,
        }
    }

    /// One pass over the zipped slices (with `v_max` for AMSGrad).
    #[inline]
    pub(super) fn run(
        &self,
        params: &mut [f32],
        grads: &[f32],
        m: &mut [f32],
        v: &mut [f32],
        v_max: Option<&mut [f32]>,
    ) {
        let AdamStep { beta1, beta2, step_size, inv_sqrt_bc2, eps, coupled_decay, decoupled_scale } = *self;
        let (c1, c2) = (1.0 - beta1, 1.0 - beta2);
        let pgmv = params.iter_mut().zip(grads).zip(m).zip(v);
        match v_max {
            None => {
                for (((p, &g), m), v) in pgmv {
                    let g = g + coupled_decay * *p;
                    *m = beta1 * *m + c1 * g;
                    *v = beta2 * *v + c2 * g * g;
                    let d = crate::math::sqrt(*v) * inv_sqrt_bc2 + eps;
                    *p = *p * decoupled_scale - step_size * *m / d;
                }
            }
            Some(v_max) => {
                for ((((p, &g), m), v), vm) in pgmv.zip(v_max) {
                    let g = g + coupled_decay * *p;
                    *m = beta1 * *m + c1 * g;
                    *v = beta2 * *v + c2 * g * g;
                    // `>=` keeps a NaN in `v` (as `torch.maximum` does).
                    *vm = if *vm >= *v { *vm } else { *v };
                    let d = crate::math::sqrt(*vm) * inv_sqrt_bc2 + eps;
                    *p = *p * decoupled_scale - step_size * *m / d;
                }
            }
        }
    }
}
