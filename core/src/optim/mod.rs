//! Optimizers. Each updates a network's flat parameter block from its flat gradient block,
//! in one loop over `Flat::LEN` values; any state (momentum, moments) is a block of the
//! same type as the parameters, so it is sized at compile time and cannot be used with
//! another network.
//!
//! Every update rule is PyTorch's documented algorithm with PyTorch's default
//! hyperparameters (see each type; where Keras differs, the type says how). All of them:
//!
//! | type | PyTorch | state buffers (`STATE_BYTES`) |
//! |---|---|---|
//! | [`Sgd`] | `SGD` (momentum 0) | none |
//! | [`Momentum`] | `SGD(momentum, dampening, nesterov)` | 1 |
//! | [`Adagrad`] | `Adagrad` | 1 |
//! | [`RmsProp`] | `RMSprop` | 1, +1 with momentum, +1 centred |
//! | [`Adam`], [`AmsGrad`] | `Adam`, `Adam(amsgrad=True)` | 2, 3 |
//! | [`AdamW`], [`AdamWAmsGrad`] | `AdamW` | 2, 3 |
//! | [`Adamax`] | `Adamax` | 2 |
//! | [`NAdam`] | `NAdam` | 2 |
//!
//! Hyperparameters are public fields and builder methods (`Adam::new(1e-3).betas(0.9,
//! 0.99)`). `new` is a `const fn` that builds by value (also in a `static`); `new_boxed`
//! (feature `alloc`) zero-allocates on the heap so a large state never touches the stack.
//! State starts at the first [`Optimizer::step`] (or after [`Optimizer::reset`]).
//! A step allocates nothing and makes one pass over the zipped flat slices, compiled for
//! the processor's widest vectors ([`UpdateRule`]). Every one of
//! them is an [`ElementwiseOptimizer`]: its step can also be taken slice by slice, layer
//! by layer, which [`FusedWorkspace`](crate::FusedWorkspace) does.
//!
//! ```
//! use staticnet_core::layers::{Dense, DenseParams};
//! use staticnet_core::optim::{Adam, Optimizer};
//! use staticnet_core::Flat;
//!
//! type Net = Dense<3, 2>;
//! let mut params = DenseParams::<3, 2>::zeroed();
//! let mut grads = DenseParams::<3, 2>::zeroed();
//! grads.bias = [1.0, -1.0];
//!
//! let mut adam = Adam::<Net>::new(1e-3).betas(0.9, 0.999);
//! adam.step(&mut params, &grads);
//! // Adam's first step moves every parameter with a gradient by about `lr`.
//! assert!((params.bias[0] + 1e-3).abs() < 1e-6 && (params.bias[1] - 1e-3).abs() < 1e-6);
//! // Two moments of 8 values, each starting on a cache line (64 bytes) on x86-64.
//! let block = core::mem::size_of::<DenseParams<3, 2>>().next_multiple_of(staticnet_core::cache_line::BLOCK_ALIGN);
//! assert_eq!(Adam::<Net>::STATE_BYTES, 2 * block);
//! ```

mod adagrad;
mod adam;
mod adam_family;
mod adamax;
mod adamw;
mod buffer;
mod constructors;
mod elementwise;
mod momentum;
mod nadam;
mod rmsprop;
mod sgd;
mod update_rule;

pub use adagrad::Adagrad;
pub use adam::{Adam, AmsGrad};
pub use adamax::Adamax;
pub use adamw::{AdamW, AdamWAmsGrad};
pub use buffer::{NoBuffer, OptionalBuffer, WithBuffer};
pub use elementwise::ElementwiseOptimizer;
pub use momentum::Momentum;
pub use nadam::NAdam;
pub use rmsprop::RmsProp;
pub use sgd::Sgd;
pub use update_rule::{StateSlices, UpdateRule};

use crate::layer::Layer;
use crate::state::StateVisitor;

/// Updates the parameters of network `N` from their gradients.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot update the parameters of `{N}`",
    label = "this optimizer was built for another network",
    note = "optimizer state is typed by the network it trains: build one for `{N}`"
)]
pub trait Optimizer<N: Layer> {
    /// One update step: `params ← update(params, grads, state)`.
    fn step(&mut self, params: &mut N::Params, grads: &N::Params);

    /// The current learning rate.
    fn learning_rate(&self) -> f32;

    /// Sets the learning rate (what a schedule does between steps).
    fn set_learning_rate(&mut self, lr: f32);

    /// Forgets the state (moments, step count): the next step is a first step again, as
    /// for a freshly built optimizer. Hyperparameters are kept. Stateless optimizers keep
    /// the default, which does nothing.
    fn reset(&mut self) {}

    /// Calls `visitor` with each named piece of the running state (the step count and
    /// every buffer, under PyTorch's names), to save it or restore it. Hyperparameters are
    /// not state: they come from the code that builds the optimizer.
    fn visit_state(&mut self, visitor: &mut dyn StateVisitor);

    /// Begins a step that is applied in parts, several at once (one per thread in a
    /// [`ParallelWorkspace`](crate::parallel::ParallelWorkspace)): calls `apply` once with
    /// the step's [`UpdateRule`] and the whole state (each kept buffer `N::PARAMS` values
    /// long), and returns `true`. `apply` must apply the rule to every parameter once, in
    /// parts of its choice: together they are one [`Optimizer::step`], bit for bit.
    ///
    /// The default returns `false` without calling `apply` or changing anything: an
    /// optimizer whose update needs the whole gradient at once keeps it, and the caller
    /// then calls [`Optimizer::step`]. Every optimizer of this module overrides it.
    fn begin_step_in_parts(&mut self, apply: &mut dyn FnMut(&dyn UpdateRule, StateSlices<'_>)) -> bool {
        let _ = apply;
        false
    }
}
