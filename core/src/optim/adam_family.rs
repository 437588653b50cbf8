//! The Adam family's one implementation: [`Adam`](super::Adam) and
//! [`AdamW`](super::AdamW) differ only in how the weight decay enters the step (added to
//! the gradient, or shrinking the parameters first) and in its default, so one macro
//! writes both types, each under its own name in every message and doc page, and one
//! [`AdamStep`] updates the parameters of both.

/// Writes an Adam-family optimizer `$name<N, A>`: its struct (with the docs given), the
/// constructors and builders, the state accessors, and the `begin`, `with_rule_for` and
/// `visit_moments` its hand-written `Optimizer` impls call (written out in each file, so
/// that compiler messages point at a plain impl).
macro_rules! adam_optimizer {
    (
        $(#[$doc:meta])*
        $name:ident,
        weight_decay: $decay_doc:literal,
        default_weight_decay: $default_decay:expr $(,)?
    ) => {
        $(#[$doc])*
        pub struct $name<N: Layer, A: OptionalBuffer = NoBuffer> {
            /// Learning rate `η`.
            pub lr: f32,
            /// `β₁`, the decay of the first moment.
            pub beta1: f32,
            /// `β₂`, the decay of the second moment.
            pub beta2: f32,
            /// `ε`, added to the bias-corrected root.
            pub eps: f32,
            #[doc = $decay_doc]
            pub weight_decay: f32,
            t: u64,
            exp_avg: $crate::cache_line::CacheAligned<N::Params>,
            exp_avg_sq: $crate::cache_line::CacheAligned<N::Params>,
            max_exp_avg_sq: $crate::cache_line::CacheAligned<A::Block<N::Params>>,
            _net: core::marker::PhantomData<fn() -> N>,
        }

        // SAFETY: every field is valid when zero: f32, u64, `Flat` blocks (including `()`)
        // and `PhantomData`.
        unsafe impl<N: Layer, A: OptionalBuffer> $crate::flat::Zeroable for $name<N, A> {}

        impl<N: Layer, A: OptionalBuffer> $name<N, A> {
            /// Bytes of state: `m`, `v`, and for AMSGrad `max v`.
            pub const STATE_BYTES: usize =
                2 * core::mem::size_of::<$crate::cache_line::CacheAligned<N::Params>>() + core::mem::size_of::<$crate::cache_line::CacheAligned<A::Block<N::Params>>>();

            const fn init(&mut self, lr: f32) {
                self.lr = lr;
                self.beta1 = 0.9;
                self.beta2 = 0.999;
                self.eps = 1e-8;
                self.weight_decay = $default_decay;
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

            /// Sets the weight decay `λ`.
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

        impl<N: Layer> $name<N, WithBuffer> {
            /// AMSGrad's running maximum of `v` (PyTorch's `max_exp_avg_sq`).
            pub fn max_exp_avg_sq(&self) -> &N::Params {
                &self.max_exp_avg_sq
            }
        }

        impl<N: Layer, A: OptionalBuffer> Default for $name<N, A> {
            /// PyTorch's defaults, `lr = 1e-3`.
            fn default() -> Self {
                Self::new(1e-3)
            }
        }

        impl<N: Layer, A: OptionalBuffer> $name<N, A> {
            /// Visits the step count and the moments, under PyTorch's names.
            fn visit_moments(&mut self, visitor: &mut dyn $crate::state::StateVisitor) {
                visitor.count("step", &mut self.t);
                $crate::state::visit_buffer(visitor, "exp_avg", flat_mut(&mut self.exp_avg.0));
                $crate::state::visit_buffer(visitor, "exp_avg_sq", flat_mut(&mut self.exp_avg_sq.0));
                $crate::state::visit_buffer(visitor, "max_exp_avg_sq", flat_mut(&mut self.max_exp_avg_sq.0));
            }

            /// Starts a step: zeroes the moments at the first, advances the count.
            fn begin(&mut self) {
                if self.t == 0 {
                    flat_mut(&mut self.exp_avg.0).fill(0.0);
                    flat_mut(&mut self.exp_avg_sq.0).fill(0.0);
                    flat_mut(&mut self.max_exp_avg_sq.0).fill(0.0);
                }
                self.t = self.t.saturating_add(1);
            }

            /// Calls `apply` with the begun step's rule, with `coupled` weight decay added
            /// to the gradient and the parameters multiplied by `scale` first, and the state
            /// `m`, `v` and (AMSGrad) `max v`.
            fn with_rule_for(
                &mut self,
                apply: &mut dyn FnMut(&dyn $crate::optim::UpdateRule, $crate::optim::StateSlices<'_>),
                coupled: f32,
                scale: f32,
            ) {
                let rule = $crate::optim::adam_family::AdamStep::new(
                    self.lr, self.beta1, self.beta2, self.eps, self.t, coupled, scale,
                );
                let buffers = [flat_mut(&mut self.exp_avg.0), flat_mut(&mut self.exp_avg_sq.0), flat_mut(&mut self.max_exp_avg_sq.0)];
                apply(&rule, $crate::optim::StateSlices::new(buffers));
            }
        }
    };
}
pub(super) use adam_optimizer;

use super::buffer::bias_correction;
use super::update_rule::{StateSlices, UpdateRule, flush_subnormal};

/// The constants of one Adam step. Its state is `m`, `v` and, for AMSGrad only, `max v`
/// (empty otherwise).
#[derive(Clone, Copy)]
pub(crate) struct AdamStep {
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
    pub(crate) fn new(
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
}

impl UpdateRule for AdamStep {
    /// One pass over the zipped slices (with `max v` for AMSGrad).
    #[inline(always)]
    fn update_portable(&self, params: &mut [f32], grads: &[f32], state: StateSlices<'_>) {
        let AdamStep { beta1, beta2, step_size, inv_sqrt_bc2, eps, coupled_decay, decoupled_scale } = *self;
        let (c1, c2) = (1.0 - beta1, 1.0 - beta2);
        let [m, v, v_max] = state.into_buffers();
        let pgmv = params.iter_mut().zip(grads).zip(m).zip(v);
        match v_max.is_empty() {
            true => {
                for (((p, &g), m), v) in pgmv {
                    let g = g + coupled_decay * *p;
                    *m = flush_subnormal(beta1 * *m + c1 * g);
                    *v = flush_subnormal(beta2 * *v + c2 * g * g);
                    let d = crate::math::sqrt(*v) * inv_sqrt_bc2 + eps;
                    *p = *p * decoupled_scale - step_size * *m / d;
                }
            }
            false => {
                for ((((p, &g), m), v), vm) in pgmv.zip(v_max) {
                    let g = g + coupled_decay * *p;
                    *m = flush_subnormal(beta1 * *m + c1 * g);
                    *v = flush_subnormal(beta2 * *v + c2 * g * g);
                    // `>=` keeps a NaN in `v` (as `torch.maximum` does).
                    *vm = if *vm >= *v { *vm } else { *v };
                    let d = crate::math::sqrt(*vm) * inv_sqrt_bc2 + eps;
                    *p = *p * decoupled_scale - step_size * *m / d;
                }
            }
        }
    }
}
