//! Optimizers. Each updates a network's flat parameter block from its flat gradient block,
//! in one loop over `Flat::LEN` values; any state (momentum, moments) is a block of the
//! same type as the parameters, so it is sized at compile time and cannot be used with
//! another network.

mod sgd;

pub use sgd::Sgd;

use crate::layer::Layer;

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
}
