//! Accuracy of a classifier on held-out data.

use crate::argmax;
use crate::data::Dataset;
use crate::error::Error;
use crate::flat::reshape;
use crate::layer::{Layer, Mode};
use crate::model::Model;
use crate::workspace::Workspace;

/// Fraction of `data` whose largest output, in evaluation mode, is its label. Samples are
/// fed as the network's input shape, as in [`train_epoch`](super::train_epoch). An empty
/// data set, a label count that differs from the sample count and a label that is not
/// below `OUT` are errors, before any pass.
pub fn accuracy<N, const B: usize, const IN: usize, const OUT: usize>(
    ws: &mut Workspace<N, B>,
    model: &Model<N>,
    data: &Dataset<IN>,
) -> Result<f64, Error>
where
    N: Layer<Output = [f32; OUT]>,
{
    if data.is_empty() {
        return Err(Error::EmptyBatch);
    }
    data.check_labels(OUT)?;
    let mut correct = 0;
    for (inputs, labels) in data.batches(B)? {
        let outputs = ws.forward(model, reshape(inputs), Mode::Eval)?;
        correct += outputs.iter().zip(labels).filter(|&(out, &label)| argmax(out) == label).count();
    }
    Ok(correct as f64 / data.len() as f64)
}
