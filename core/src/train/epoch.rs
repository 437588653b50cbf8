//! One pass of mini-batch training over a data set.

use crate::argmax;
use crate::augment::{Augment, Augmenter};
use crate::data::{ClassTarget, Dataset};
use crate::error::Error;
use crate::flat::reshape;
use crate::layer::Layer;
use crate::loss::LossFor;
use crate::model::Model;
use crate::optim::Optimizer;
use crate::workspace::Workspace;

/// What one epoch measured on the batches it trained on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochStats {
    /// Mean loss over the samples (penalties included), each batch's loss weighted by
    /// its rows.
    pub loss: f64,
    /// Fraction of samples whose largest output was their class, measured during training.
    pub accuracy: f64,
}

/// Trains on every sample of a classification data set once, in batches of `B` rows (the
/// last may be shorter), in the order the data set is in (shuffle it first for SGD).
/// Samples of `IN` values are fed as the network's input shape (e.g. 784 pixels as
/// `[1, 28, 28]`), which must hold as many values. Targets are class indices or one-hot /
/// probability vectors (see [`ClassTarget`]); for other targets use [`train_epoch_loss`].
///
/// An empty data set, a target count that differs from the sample count and a class that
/// is not below `OUT` are errors before any step; a non-finite value is an error that
/// stops the epoch there, the parameters as they were before the failing batch.
pub fn train_epoch<N, L, O, T, const B: usize, const IN: usize, const OUT: usize>(
    ws: &mut Workspace<N, B>,
    model: &mut Model<N>,
    data: &Dataset<IN, T>,
    loss: &L,
    optimizer: &mut O,
) -> Result<EpochStats, Error>
where
    N: Layer<Output = [f32; OUT]>,
    L: LossFor<[f32; OUT], T>,
    O: Optimizer<N>,
    T: ClassTarget,
{
    check_classes(data, OUT)?;
    let (mut loss_sum, mut correct) = (0.0f64, 0usize);
    for (inputs, targets) in data.batches(B)? {
        let inputs: &[N::Input] = reshape(inputs);
        loss_sum += ws.train_step(model, inputs, targets, loss, optimizer)? as f64 * inputs.len() as f64;
        correct += ws.outputs().iter().zip(targets).filter(|&(out, t)| argmax(out) == t.class()).count();
    }
    let n = data.len() as f64;
    Ok(EpochStats { loss: loss_sum / n, accuracy: correct as f64 / n })
}

/// [`train_epoch`] on augmented copies: each batch is copied into `buffer` (allocated once
/// by the caller, at least one row; batches are `min(B, buffer.len())` rows), transformed
/// there by `augmenter` as `[C, H, W]` images with a fresh draw per image, and trained on;
/// `data` is left as it was. Nothing is allocated per step. `C·H·W` must equal `IN` (a
/// compile error otherwise). An empty `buffer` is [`Error::ZeroBatchSize`].
#[allow(clippy::too_many_arguments)]
pub fn train_epoch_augmented<
    N,
    L,
    O,
    T,
    A,
    const B: usize,
    const IN: usize,
    const OUT: usize,
    const C: usize,
    const H: usize,
    const W: usize,
>(
    ws: &mut Workspace<N, B>,
    model: &mut Model<N>,
    data: &Dataset<IN, T>,
    loss: &L,
    optimizer: &mut O,
    augmenter: &mut Augmenter<A, C, H, W>,
    buffer: &mut [[f32; IN]],
) -> Result<EpochStats, Error>
where
    N: Layer<Output = [f32; OUT]>,
    L: LossFor<[f32; OUT], T>,
    O: Optimizer<N>,
    T: ClassTarget,
    A: Augment<C, H, W>,
{
    check_classes(data, OUT)?;
    let rows = B.min(buffer.len());
    let (mut loss_sum, mut correct) = (0.0f64, 0usize);
    for (inputs, targets) in data.batches(rows.max(1))? {
        let batch = buffer.get_mut(..inputs.len()).ok_or(Error::ZeroBatchSize)?;
        batch.copy_from_slice(inputs);
        augmenter.apply_flat(batch);
        let batch: &[N::Input] = reshape(batch);
        loss_sum += ws.train_step(model, batch, targets, loss, optimizer)? as f64 * batch.len() as f64;
        correct += ws.outputs().iter().zip(targets).filter(|&(out, t)| argmax(out) == t.class()).count();
    }
    let n = data.len() as f64;
    Ok(EpochStats { loss: loss_sum / n, accuracy: correct as f64 / n })
}

/// Trains on every sample of `data` once as [`train_epoch`] does, for targets of any kind
/// (regression values, multi-label 0/1 vectors, probabilities); returns the mean loss over
/// the samples (penalties included). An empty data set and a target count that differs
/// from the sample count are errors before any step.
pub fn train_epoch_loss<N, L, O, T, const B: usize, const IN: usize, const OUT: usize>(
    ws: &mut Workspace<N, B>,
    model: &mut Model<N>,
    data: &Dataset<IN, T>,
    loss: &L,
    optimizer: &mut O,
) -> Result<f64, Error>
where
    N: Layer<Output = [f32; OUT]>,
    L: LossFor<[f32; OUT], T>,
    O: Optimizer<N>,
{
    if data.is_empty() {
        return Err(Error::EmptyBatch);
    }
    let mut loss_sum = 0.0f64;
    for (inputs, targets) in data.batches(B)? {
        let inputs: &[N::Input] = reshape(inputs);
        loss_sum += ws.train_step(model, inputs, targets, loss, optimizer)? as f64 * inputs.len() as f64;
    }
    Ok(loss_sum / data.len() as f64)
}

/// [`Error::EmptyBatch`] for no samples, [`Error::DatasetLabels`] for a target count that
/// differs, [`Error::LabelOutOfRange`] for the first class not below `classes`.
pub(super) fn check_classes<const IN: usize, T: ClassTarget>(
    data: &Dataset<IN, T>,
    classes: usize,
) -> Result<(), Error> {
    if data.is_empty() {
        return Err(Error::EmptyBatch);
    }
    data.check()?;
    match data.targets.iter().map(ClassTarget::class).enumerate().find(|&(_, label)| label >= classes) {
        Some((sample, label)) => Err(Error::LabelOutOfRange { sample, label, classes }),
        None => Ok(()),
    }
}
