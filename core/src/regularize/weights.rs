//! Which parameters a penalty or constraint acts on.

use crate::flat::Flat;
use crate::layers::DenseParams;

/// Parameters with weights that regularisers act on, as opposed to biases (and
/// normalisation scales), which they leave alone.
pub trait Weights {
    /// The regularised weights, flat.
    fn weights(&self) -> &[f32];

    /// Mutable form of [`Weights::weights`].
    fn weights_mut(&mut self) -> &mut [f32];
}

impl<const IN: usize, const OUT: usize> Weights for DenseParams<IN, OUT> {
    /// The `[out, in]` weight matrix, row-major; not the bias.
    fn weights(&self) -> &[f32] {
        if IN * OUT == 0 { &[] } else { self.weight.as_flat() }
    }

    fn weights_mut(&mut self) -> &mut [f32] {
        if IN * OUT == 0 { &mut [] } else { self.weight.as_flat_mut() }
    }
}
