//! What a fused backward pass ([`Layer::backward_update`]) hands each layer's gradient
//! to, and the gradient block a fused training step keeps.

use crate::error::Error;
use crate::flat::Flat;
use crate::layer::Layer;

/// Receives each layer's gradient during [`Layer::backward_update`] and updates that
/// layer's parameters with it. A [`FusedWorkspace`](crate::FusedWorkspace) passes one that
/// checks the gradient and takes the optimizer's step on the layer's slice.
pub trait LayerUpdate {
    /// Lends `backward` a gradient block for `params` (the values at `offset` in the flat
    /// parameter block of the network being trained); `backward` writes the gradient into
    /// it, reading the parameters as they are, and returns the layer's weight penalty.
    /// Then updates `params` from that gradient and returns the penalty, or an error that
    /// leaves `params` as they were (a NaN or infinity in the gradient or the penalty).
    fn update<P: Flat>(
        &mut self,
        offset: usize,
        params: &mut P,
        backward: impl FnOnce(&P, &mut P) -> f32,
    ) -> Result<f32, Error>;
}

/// A network a [`FusedWorkspace`](crate::FusedWorkspace) can train: it names the block
/// its largest layer's gradient needs. `network!` implements it for every network.
pub trait FusedLayer: Layer {
    /// `[f32; MAX_LAYER_PARAMS]`: the only parameter gradients a fused step holds.
    type LayerGrads: Flat;
}
