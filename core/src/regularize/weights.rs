//! Which parameters a penalty or constraint acts on.

/// Parameters with weights that regularisers act on, as opposed to biases (and
/// normalisation scales), which they leave alone.
pub trait Weights {
    /// The regularised weights, flat.
    fn weights(&self) -> &[f32];

    /// Mutable form of [`Weights::weights`].
    fn weights_mut(&mut self) -> &mut [f32];
}
