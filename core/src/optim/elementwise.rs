//! Optimizers whose step splits into slices of the parameter block.

use super::Optimizer;
use super::buffer::{flat, flat_mut};
use super::update_rule::{StateSlices, UpdateRule};
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

    /// Calls `apply` once with the [`UpdateRule`] of the step begun by
    /// [`begin_step`](ElementwiseOptimizer::begin_step) and the whole state (each kept
    /// buffer `N::PARAMS` values long).
    fn with_rule(&mut self, apply: &mut dyn FnMut(&dyn UpdateRule, StateSlices<'_>));

    /// Updates `params`, the values `offset..offset + params.len()` of the network's flat
    /// parameter block, from their gradients `grads`, with the state at the same
    /// positions, as the step begun by [`begin_step`](ElementwiseOptimizer::begin_step).
    ///
    /// # Panics
    /// If `grads` and `params` differ in length or the range ends past `N::PARAMS`.
    fn step_slice(&mut self, offset: usize, params: &mut [f32], grads: &[f32]) {
        assert_eq!(params.len(), grads.len(), "a slice of parameters and its gradients differ in length");
        assert!(
            offset.checked_add(params.len()).is_some_and(|end| end <= N::PARAMS),
            "a slice of parameters ends past the network's parameter block"
        );
        let len = params.len();
        self.with_rule(&mut |rule, state| rule.update(params, grads, state.range(offset, len)));
    }
}

/// [`Optimizer::step`] of an elementwise optimizer: the step begun, then applied to the
/// whole block as one slice.
#[inline]
pub(crate) fn whole_step<N: Layer, O: ElementwiseOptimizer<N>>(
    optimizer: &mut O,
    params: &mut N::Params,
    grads: &N::Params,
) {
    optimizer.begin_step();
    optimizer.step_slice(0, flat_mut(params), flat(grads));
}

/// [`Optimizer::begin_step_in_parts`] of an elementwise optimizer.
#[inline]
pub(crate) fn begin_step_in_parts<N: Layer, O: ElementwiseOptimizer<N>>(
    optimizer: &mut O,
    apply: &mut dyn FnMut(&dyn UpdateRule, StateSlices<'_>),
) -> bool {
    optimizer.begin_step();
    optimizer.with_rule(apply);
    true
}
