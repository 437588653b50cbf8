//! RMSprop.

use crate::cache_line::CacheAligned;
use core::marker::PhantomData;

use super::Optimizer;
use super::buffer::{NoBuffer, OptionalBuffer, WithBuffer, flat_mut};
use super::elementwise::{ElementwiseOptimizer, begin_step_in_parts, whole_step};
use super::update_rule::{StateSlices, UpdateRule, flush_subnormal};
use crate::flat::Zeroable;
use crate::layer::Layer;

/// RMSprop, PyTorch's `torch.optim.RMSprop`.
///
/// At each step, with coupled L2 weight decay `λ`:
///
/// ```text
/// g ← g + λ θ
/// v ← α v + (1 - α) g²                        (v₀ = 0, no bias correction)
/// centred:   m ← α m + (1 - α) g,   a = √(v - m²) + ε
/// otherwise:                        a = √v + ε       (ε outside the square root)
/// momentum:  b ← μ b + g / a,   θ ← θ - η b
/// otherwise:                    θ ← θ - η g / a
/// ```
///
/// PyTorch's defaults: `η = 1e-2`, `α = 0.99`, `ε = 1e-8`, `λ = 0`, no momentum, not
/// centred. Without bias correction the first step is about `η / √(1 - α)` (10 η) long.
///
/// Momentum and centring each need a buffer, so they are chosen by type, not by flag:
///
/// | type | PyTorch | `STATE_BYTES` |
/// |---|---|---|
/// | `RmsProp<N>` | `RMSprop()` | `size_of::<N::Params>()` |
/// | `RmsProp<N, WithBuffer>` + [`.momentum(μ)`](RmsProp::momentum) | `RMSprop(momentum=μ)` | 2× |
/// | `RmsProp<N, NoBuffer, WithBuffer>` | `RMSprop(centered=True)` | 2× |
/// | `RmsProp<N, WithBuffer, WithBuffer>` | both | 3× |
///
/// Each buffer takes whole [`BLOCK_ALIGN`](crate::cache_line::BLOCK_ALIGN) blocks (64 bytes on x86-64).
///
/// Setting a momentum on a type without its buffer does not compile. In the centred form
/// `v - m²` is clamped at 0 before the root: in exact arithmetic it is never negative,
/// but f32 rounding could make it so, which would give NaN (a NaN stays NaN).
///
/// Keras' `RMSprop` puts ε *inside* the root (`g / √(v + ε)`), folds `η` into its momentum
/// buffer, and defaults to `η = 1e-3`, `ρ = α = 0.9`, `ε = 1e-7`.
///
/// ```
/// use staticnet_core::layers::Dense;
/// use staticnet_core::optim::{NoBuffer, RmsProp, WithBuffer};
///
/// type Net = Dense<3, 2>;
/// let plain = RmsProp::<Net>::new(1e-2).alpha(0.9);
/// let with_momentum = RmsProp::<Net, WithBuffer>::new(1e-2).momentum(0.9);
/// let centred = RmsProp::<Net, NoBuffer, WithBuffer>::new(1e-2);
/// let block = (8 * 4usize).next_multiple_of(staticnet_core::cache_line::BLOCK_ALIGN);
/// assert_eq!(RmsProp::<Net, WithBuffer, WithBuffer>::STATE_BYTES, 3 * block);
/// # let _ = (plain, with_momentum, centred);
/// ```
pub struct RmsProp<N: Layer, M: OptionalBuffer = NoBuffer, C: OptionalBuffer = NoBuffer> {
    /// Learning rate `η`.
    pub lr: f32,
    /// Smoothing constant `α`.
    pub alpha: f32,
    /// `ε`, added to the root.
    pub eps: f32,
    /// L2 weight decay `λ`, added to the gradient.
    pub weight_decay: f32,
    momentum: f32,
    t: u64,
    square_avg: CacheAligned<N::Params>,
    momentum_buffer: CacheAligned<M::Block<N::Params>>,
    grad_avg: CacheAligned<C::Block<N::Params>>,
    _net: PhantomData<fn() -> N>,
}

// SAFETY: every field is valid when zero: f32, u64, `Flat` blocks (including `()`) and
// `PhantomData`.
unsafe impl<N: Layer, M: OptionalBuffer, C: OptionalBuffer> Zeroable for RmsProp<N, M, C> {}

impl<N: Layer, M: OptionalBuffer, C: OptionalBuffer> RmsProp<N, M, C> {
    /// Bytes of state: the mean square, plus the momentum buffer and the mean gradient
    /// when the type keeps them.
    pub const STATE_BYTES: usize = core::mem::size_of::<CacheAligned<N::Params>>()
        + core::mem::size_of::<CacheAligned<M::Block<N::Params>>>()
        + core::mem::size_of::<CacheAligned<C::Block<N::Params>>>();

    const fn init(&mut self, lr: f32) {
        self.lr = lr;
        self.alpha = 0.99;
        self.eps = 1e-8;
        self.weight_decay = 0.0;
        self.momentum = 0.0;
    }

    super::constructors::constructors!(lr: f32);

    /// Sets the smoothing constant `α`.
    pub const fn alpha(mut self, alpha: f32) -> Self {
        self.alpha = alpha;
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

    /// The momentum `μ` (0 unless set; always 0 without a momentum buffer).
    pub fn momentum_value(&self) -> f32 {
        self.momentum
    }

    /// Whether this type keeps the mean gradient (PyTorch's `centered=True`).
    pub const fn centered(&self) -> bool {
        C::KEPT
    }

    /// Steps taken since construction or [`Optimizer::reset`].
    pub fn steps(&self) -> u64 {
        self.t
    }

    /// The running mean of squared gradients `v` (PyTorch's `square_avg`).
    pub fn square_avg(&self) -> &N::Params {
        &self.square_avg
    }
}

impl<N: Layer, C: OptionalBuffer> RmsProp<N, WithBuffer, C> {
    /// Sets the momentum `μ` (only types with a momentum buffer have this).
    pub const fn momentum(mut self, momentum: f32) -> Self {
        self.momentum = momentum;
        self
    }

    /// Sets the momentum `μ` in place (for a boxed optimizer).
    pub fn set_momentum(&mut self, momentum: f32) {
        self.momentum = momentum;
    }

    /// The momentum buffer `b` (PyTorch's `momentum_buffer`).
    pub fn momentum_buffer(&self) -> &N::Params {
        &self.momentum_buffer
    }
}

impl<N: Layer, M: OptionalBuffer> RmsProp<N, M, WithBuffer> {
    /// The running mean gradient `m` of the centred form (PyTorch's `grad_avg`).
    pub fn grad_avg(&self) -> &N::Params {
        &self.grad_avg
    }
}

impl<N: Layer> Default for RmsProp<N> {
    /// PyTorch's defaults, `lr = 1e-2`.
    fn default() -> Self {
        Self::new(1e-2)
    }
}

impl<N: Layer, M: OptionalBuffer, C: OptionalBuffer> Optimizer<N> for RmsProp<N, M, C> {
    fn visit_state(&mut self, visitor: &mut dyn crate::state::StateVisitor) {
        visitor.count("step", &mut self.t);
        crate::state::visit_buffer(visitor, "square_avg", crate::flat::Flat::as_flat_mut(&mut self.square_avg.0));
        crate::state::visit_buffer(
            visitor,
            "momentum_buffer",
            crate::flat::Flat::as_flat_mut(&mut self.momentum_buffer.0),
        );
        crate::state::visit_buffer(visitor, "grad_avg", crate::flat::Flat::as_flat_mut(&mut self.grad_avg.0));
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

impl<N: Layer, M: OptionalBuffer, C: OptionalBuffer> ElementwiseOptimizer<N> for RmsProp<N, M, C> {
    fn begin_step(&mut self) {
        if self.t == 0 {
            flat_mut(&mut self.square_avg.0).fill(0.0);
            flat_mut(&mut self.momentum_buffer.0).fill(0.0);
            flat_mut(&mut self.grad_avg.0).fill(0.0);
        }
        self.t = self.t.saturating_add(1);
    }

    fn with_rule(&mut self, apply: &mut dyn FnMut(&dyn UpdateRule, StateSlices<'_>)) {
        let rule = RmsPropRule {
            lr: self.lr,
            alpha: self.alpha,
            eps: self.eps,
            weight_decay: self.weight_decay,
            momentum: self.momentum,
        };
        // The optional buffers are empty (`()` blocks) when the type does not keep them.
        let buffers =
            [flat_mut(&mut self.square_avg.0), flat_mut(&mut self.momentum_buffer.0), flat_mut(&mut self.grad_avg.0)];
        apply(&rule, StateSlices::new(buffers));
    }
}

/// One RMSprop step. State: `v`, the momentum buffer `buf` and the mean gradient `m`, the
/// last two empty where the optimizer does not keep them.
#[derive(Clone, Copy)]
struct RmsPropRule {
    lr: f32,
    alpha: f32,
    eps: f32,
    weight_decay: f32,
    momentum: f32,
}

impl UpdateRule for RmsPropRule {
    #[inline(always)]
    fn update_portable(&self, params: &mut [f32], grads: &[f32], state: StateSlices<'_>) {
        let RmsPropRule { lr, alpha: a, eps, weight_decay: wd, momentum: mu } = *self;
        let b = 1.0 - a;
        let [square_avg, momentum_buffer, grad_avg] = state.into_buffers();
        let pg = params.iter_mut().zip(grads);
        // One loop per combination of buffers, each a single pass over zipped slices.
        match (!momentum_buffer.is_empty(), !grad_avg.is_empty()) {
            (false, false) => {
                for ((p, &g), v) in pg.zip(square_avg) {
                    let g = g + wd * *p;
                    *v = flush_subnormal(a * *v + b * g * g);
                    *p -= lr * g / (crate::math::sqrt(*v) + eps);
                }
            }
            (true, false) => {
                for (((p, &g), v), buf) in pg.zip(square_avg).zip(momentum_buffer) {
                    let g = g + wd * *p;
                    *v = flush_subnormal(a * *v + b * g * g);
                    *buf = flush_subnormal(mu * *buf + g / (crate::math::sqrt(*v) + eps));
                    *p -= lr * *buf;
                }
            }
            (false, true) => {
                for (((p, &g), v), m) in pg.zip(square_avg).zip(grad_avg) {
                    let g = g + wd * *p;
                    *v = flush_subnormal(a * *v + b * g * g);
                    *m = flush_subnormal(a * *m + b * g);
                    *p -= lr * g / (crate::math::sqrt(non_negative(*v - *m * *m)) + eps);
                }
            }
            (true, true) => {
                for ((((p, &g), v), m), buf) in pg.zip(square_avg).zip(grad_avg).zip(momentum_buffer) {
                    let g = g + wd * *p;
                    *v = flush_subnormal(a * *v + b * g * g);
                    *m = flush_subnormal(a * *m + b * g);
                    *buf = flush_subnormal(mu * *buf + g / (crate::math::sqrt(non_negative(*v - *m * *m)) + eps));
                    *p -= lr * *buf;
                }
            }
        }
    }
}

/// `x` clamped at 0, keeping NaN (which `f32::max` would turn into 0).
#[inline(always)]
fn non_negative(x: f32) -> f32 {
    if x < 0.0 { 0.0 } else { x }
}
