//! Scores of a trained network on held-out data.

use crate::argmax;
use crate::data::{ClassTarget, Dataset};
use crate::error::Error;
use crate::flat::reshape;
use crate::layer::{Layer, Mode};
use crate::loss::LossFor;
use crate::model::Model;
use crate::workspace::Workspace;

/// Fraction of `data` whose largest output, in evaluation mode, is its class. Samples are
/// fed as the network's input shape, as in [`train_epoch`](super::train_epoch). An empty
/// data set, a target count that differs from the sample count and a class that is not
/// below `OUT` are errors, before any pass.
pub fn accuracy<N, T, const B: usize, const IN: usize, const OUT: usize>(
    ws: &mut Workspace<N, B>,
    model: &Model<N>,
    data: &Dataset<IN, T>,
) -> Result<f64, Error>
where
    N: Layer<Output = [f32; OUT]>,
    T: ClassTarget,
{
    super::epoch::check_classes(data, OUT)?;
    let mut correct = 0;
    for (inputs, targets) in data.batches(B)? {
        let outputs = ws.forward(model, reshape(inputs), Mode::Eval)?;
        correct += outputs.iter().zip(targets).filter(|&(out, t)| argmax(out) == t.class()).count();
    }
    Ok(correct as f64 / data.len() as f64)
}

/// Mean `loss` over `data` in evaluation mode (no penalties): a validation loss for early
/// stopping or model selection. An empty data set is an error.
pub fn evaluate_loss<N, L, T, const B: usize, const IN: usize, const OUT: usize>(
    ws: &mut Workspace<N, B>,
    model: &Model<N>,
    data: &Dataset<IN, T>,
    loss: &L,
) -> Result<f64, Error>
where
    N: Layer<Output = [f32; OUT]>,
    L: LossFor<[f32; OUT], T>,
{
    if data.is_empty() {
        return Err(Error::EmptyBatch);
    }
    let mut total = 0.0f64;
    for (inputs, targets) in data.batches(B)? {
        let outputs = ws.forward(model, reshape(inputs), Mode::Eval)?;
        total += loss.loss(outputs, L::targets(targets))? as f64 * inputs.len() as f64;
    }
    Ok(total / data.len() as f64)
}

/// The network's outputs for every sample of `inputs`, in evaluation mode, in order.
pub fn predict_all<N, const B: usize, const IN: usize, const OUT: usize>(
    ws: &mut Workspace<N, B>,
    model: &Model<N>,
    inputs: &[[f32; IN]],
) -> Result<std::vec::Vec<[f32; OUT]>, Error>
where
    N: Layer<Output = [f32; OUT]>,
{
    let mut outputs = std::vec::Vec::with_capacity(inputs.len());
    for chunk in inputs.chunks(B) {
        outputs.extend_from_slice(ws.forward(model, reshape(chunk), Mode::Eval)?);
    }
    Ok(outputs)
}
