//! One pass of mini-batch training over a classification data set.

use crate::argmax;
use crate::data::Dataset;
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
    /// Fraction of samples whose largest output was their label, measured during training.
    pub accuracy: f64,
}

/// Trains on every sample of `data` once, in batches of `B` rows (the last may be
/// shorter), in the order the data set is in (shuffle it first for SGD). Samples of `IN`
/// values are fed as the network's input shape (e.g. 784 pixels as `[1, 28, 28]`), which
/// must hold as many values.
///
/// An empty data set, a label count that differs from the sample count and a label that
/// is not below `OUT` are errors before any step; a non-finite value is an error that
/// stops the epoch there, the parameters as they were before the failing batch.
pub fn train_epoch<N, L, O, const B: usize, const IN: usize, const OUT: usize>(
    ws: &mut Workspace<N, B>,
    model: &mut Model<N>,
    data: &Dataset<IN>,
    loss: &L,
    optimizer: &mut O,
) -> Result<EpochStats, Error>
where
    N: Layer<Output = [f32; OUT]>,
    L: LossFor<[f32; OUT], usize>,
    O: Optimizer<N>,
{
    if data.is_empty() {
        return Err(Error::EmptyBatch);
    }
    data.check_labels(OUT)?;
    let (mut loss_sum, mut correct) = (0.0f64, 0usize);
    for (inputs, labels) in data.batches(B)? {
        let inputs: &[N::Input] = reshape(inputs);
        loss_sum += ws.train_step(model, inputs, labels, loss, optimizer)? as f64 * inputs.len() as f64;
        correct += ws.outputs().iter().zip(labels).filter(|&(out, &label)| argmax(out) == label).count();
    }
    let n = data.len() as f64;
    Ok(EpochStats { loss: loss_sum / n, accuracy: correct as f64 / n })
}
