//! What [`Fit`](crate::train::Fit) needs of a workspace that trains on several threads,
//! as a trait object: the bounds threads need (`Sync` targets and loss) are then required
//! only by [`Fit::run`](crate::train::Fit::run), not by `fit` itself, which also runs
//! without `std`.

use super::ParallelWorkspace;
use crate::error::Error;
use crate::layer::Layer;
use crate::loss::LossFor;
use crate::model::Model;
use crate::optim::Optimizer;

/// A training step on a batch, and its outputs.
pub(crate) trait TrainSteps<N: Layer, T, L, O> {
    /// One step; see [`ParallelWorkspace::train_step`].
    fn train_step(
        &mut self,
        model: &mut Model<N>,
        inputs: &[N::Input],
        targets: &[T],
        loss: &L,
        optimizer: &mut O,
    ) -> Result<f32, Error>;

    /// The outputs of the last step, one per row.
    fn outputs(&self) -> &[N::Output];
}

impl<N, T, L, O, const B: usize> TrainSteps<N, T, L, O> for ParallelWorkspace<N, B>
where
    N: Layer,
    T: Sync,
    L: LossFor<N::Output, T> + Sync,
    O: Optimizer<N>,
{
    fn train_step(
        &mut self,
        model: &mut Model<N>,
        inputs: &[N::Input],
        targets: &[T],
        loss: &L,
        optimizer: &mut O,
    ) -> Result<f32, Error> {
        ParallelWorkspace::train_step(self, model, inputs, targets, loss, optimizer)
    }

    fn outputs(&self) -> &[N::Output] {
        ParallelWorkspace::outputs(self)
    }
}
