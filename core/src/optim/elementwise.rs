//! Optimizers whose step splits into slices of the parameter block.

use super::Optimizer;
use crate::layer::Layer;

/// An optimizer whose update of each parameter reads only that parameter, its gradient
/// and its own state at the same position: one step can then be applied slice by slice,
/// which is what a [`FusedWorkspace`](crate::FusedWorkspace) does, updating each layer as
/// soon as its backward pass has computed its gradient.
///
/// Every optimizer of this module is elementwise; its [`Optimizer::step`] is
/// [`begin_step`](ElementwiseOptimizer::begin_step) followed by
/// [`step_slice`](ElementwiseOptimizer::step_slice) over the whole block, so a step taken
/// in slices gives the same bits. An update that needs the whole gradient at once (global
/// gradient-norm clipping) is not one of these.
pub trait ElementwiseOptimizer<N: Layer>: Optimizer<N> {
    /// Starts one step: advances the step count (once per step, however many slices
    /// follow) and, at the first step, sets the state buffers to their initial values.
    fn begin_step(&mut self);

    /// Updates `params`, the values `offset..offset + params.len()` of the network's flat
    /// parameter block, from their gradients `grads`, with the state at the same
    /// positions, as the step begun by [`begin_step`](ElementwiseOptimizer::begin_step).
    ///
    /// # Panics
    /// If `grads` and `params` differ in length or the range ends past `N::PARAMS`.
    fn step_slice(&mut self, offset: usize, params: &mut [f32], grads: &[f32]);
}

/// Panics unless `params` and `grads` have the same length and end within the `PARAMS`
/// values of network `N`; afterwards the state at `offset..offset + params.len()` exists.
#[inline]
pub(crate) fn check_slice<N: Layer>(offset: usize, params: &[f32], grads: &[f32]) {
    assert_eq!(params.len(), grads.len(), "a slice of parameters and its gradients differ in length");
    assert!(
        offset.checked_add(params.len()).is_some_and(|end| end <= N::PARAMS),
        "a slice of parameters ends past the network's parameter block"
    );
}

/// `block[offset..offset + len]`: the state of a slice of the parameters.
#[inline]
pub(crate) fn slice_of(block: &mut [f32], offset: usize, len: usize) -> &mut [f32] {
    &mut block[offset..offset + len]
}
