//! What [`fit`](super::fit) and [`Checkpoint`](super::Checkpoint) work with: a training
//! workspace, fused or not.

use crate::error::Error;
use crate::fused::FusedLayer;
use crate::fused_workspace::FusedWorkspace;
use crate::layer::Layer;
use crate::loss::LossFor;
use crate::model::Model;
use crate::optim::{ElementwiseOptimizer, Optimizer};
use crate::tensors::TensorVisitor;
use crate::workspace::Workspace;

/// A training workspace of batch capacity `B` for network `N` and optimizer `O`: a
/// [`Workspace`] (any optimizer) or a [`FusedWorkspace`] (an
/// [`ElementwiseOptimizer`]), so that [`fit`](super::fit) trains and a
/// [`Checkpoint`](super::Checkpoint) saves either way.
pub trait TrainingWorkspace<N: Layer, O: ?Sized, const B: usize> {
    /// Whether it updates each layer during backward ([`FusedWorkspace`]): such a step
    /// runs on one thread, so [`Fit::threads`](super::Fit::threads) does not split it.
    const FUSED: bool = false;

    /// One training step; see [`Workspace::train_step`] and [`FusedWorkspace::train_step`].
    fn train_step<T, L: LossFor<N::Output, T>>(
        &mut self,
        model: &mut Model<N>,
        inputs: &[N::Input],
        targets: &[T],
        loss: &L,
        optimizer: &mut O,
    ) -> Result<f32, Error>;

    /// The outputs of the last step, one per row.
    fn outputs(&self) -> &[N::Output];

    /// Calls `visitor.counter` with the state of every dropout stream; see
    /// [`Workspace::visit_streams`].
    fn visit_streams<V: TensorVisitor>(&mut self, model: &Model<N>, visitor: &mut V);
}

impl<N: Layer, O: Optimizer<N> + ?Sized, const B: usize> TrainingWorkspace<N, O, B> for Workspace<N, B> {
    fn train_step<T, L: LossFor<N::Output, T>>(
        &mut self,
        model: &mut Model<N>,
        inputs: &[N::Input],
        targets: &[T],
        loss: &L,
        optimizer: &mut O,
    ) -> Result<f32, Error> {
        Workspace::train_step(self, model, inputs, targets, loss, optimizer)
    }

    fn outputs(&self) -> &[N::Output] {
        Workspace::outputs(self)
    }

    fn visit_streams<V: TensorVisitor>(&mut self, model: &Model<N>, visitor: &mut V) {
        Workspace::visit_streams(self, model, visitor);
    }
}

impl<N: FusedLayer, O: ElementwiseOptimizer<N> + ?Sized, const B: usize> TrainingWorkspace<N, O, B>
    for FusedWorkspace<N, B>
{
    const FUSED: bool = true;

    fn train_step<T, L: LossFor<N::Output, T>>(
        &mut self,
        model: &mut Model<N>,
        inputs: &[N::Input],
        targets: &[T],
        loss: &L,
        optimizer: &mut O,
    ) -> Result<f32, Error> {
        FusedWorkspace::train_step(self, model, inputs, targets, loss, optimizer)
    }

    fn outputs(&self) -> &[N::Output] {
        FusedWorkspace::outputs(self)
    }

    fn visit_streams<V: TensorVisitor>(&mut self, model: &Model<N>, visitor: &mut V) {
        FusedWorkspace::visit_streams(self, model, visitor);
    }
}

/// A boxed workspace trains as the workspace (`fit(&mut model, &mut boxed_ws, ..)`).
#[cfg(feature = "alloc")]
impl<N: Layer, O: ?Sized, W: TrainingWorkspace<N, O, B> + ?Sized, const B: usize> TrainingWorkspace<N, O, B>
    for alloc::boxed::Box<W>
{
    const FUSED: bool = W::FUSED;

    fn train_step<T, L: LossFor<N::Output, T>>(
        &mut self,
        model: &mut Model<N>,
        inputs: &[N::Input],
        targets: &[T],
        loss: &L,
        optimizer: &mut O,
    ) -> Result<f32, Error> {
        (**self).train_step(model, inputs, targets, loss, optimizer)
    }

    fn outputs(&self) -> &[N::Output] {
        (**self).outputs()
    }

    fn visit_streams<V: TensorVisitor>(&mut self, model: &Model<N>, visitor: &mut V) {
        (**self).visit_streams(model, visitor);
    }
}
