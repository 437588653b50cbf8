//! Frozen layers, Keras's `trainable = False` (PyTorch: `requires_grad_(False)` on a
//! module's parameters): a layer whose weights do not train.
//!
//! A frozen layer has no trainable parameters (`Params = ()`), so the network's gradient
//! block and every optimizer state buffer leave its weights out. Its weights are a
//! `static` of the program, in flash on a microcontroller, which `network!` reads from a
//! safetensors file at compile time.
//!
//! A frozen layer always runs as in evaluation: nothing it holds changes in training. Its
//! backward pass computes the input gradient only, and only when asked for it: `network!`
//! asks when a trainable layer lies below. Under a network's lowest trainable layer no
//! backward pass runs and no output gradient is kept, so a network with a frozen layer
//! there gives no input gradient ([`Layer::INPUT_GRADIENT`] is false).

use crate::error::Error;
use crate::flat::{Flat, Zeroable};
use crate::fused::LayerUpdate;
use crate::layer::{Forward, GradMode, Layer, Mode};
use crate::tensors::{TensorPath, TensorVisitor};
use core::fmt;
use rand::RngCore;

/// A layer that can compute its input gradient `dx = dL/dx` without its parameter
/// gradients: what a frozen layer needs. Dense, Conv1d and Conv2d layers are such layers.
#[diagnostic::on_unimplemented(
    message = "this layer cannot be frozen: it has no input gradient without parameter gradients",
    note = "Dense, Conv1d and Conv2d layers can be frozen"
)]
pub trait InputGradient: Layer {
    /// Writes `dx` from `dy` after a forward pass in [`Mode::Eval`] with these `params`
    /// and `state` (`x`, `y` and `cache` are what that pass read, wrote and kept).
    #[allow(clippy::too_many_arguments)]
    fn input_gradient<const B: usize>(
        &self,
        params: &Self::Params,
        state: &Self::State,
        x: &[Self::Input],
        y: &[Self::Output],
        dy: &[Self::Output],
        cache: &mut Self::Cache<B>,
        dx: &mut [Self::Input],
    );
}

/// The weights of a frozen layer: its parameters and its state, one flat block.
#[repr(C)]
pub struct FrozenWeights<L: Forward> {
    /// The layer's parameters, as the unfrozen layer keeps them.
    pub params: L::Params,
    /// The layer's state.
    pub state: L::State,
}

impl<L: Forward> Clone for FrozenWeights<L> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<L: Forward> Copy for FrozenWeights<L> {}

// SAFETY: repr(C) of two `Flat` blocks, each all-zero valid.
unsafe impl<L: Forward> Zeroable for FrozenWeights<L> {}
// SAFETY: repr(C) of two `Flat` blocks, f32-aligned, so without padding between them.
unsafe impl<L: Forward> Flat for FrozenWeights<L> {
    const LEN: usize = <L::Params as Flat>::LEN + <L::State as Flat>::LEN;
}

impl<L: Forward> FrozenWeights<L> {
    /// The weights from their values in flat order (the parameters, then the state), at
    /// compile time: `network!` builds the `static` of a [`Frozen`] layer with it.
    ///
    /// # Panics
    /// If `N` is not the number of values of the layer's weights (at compile time, when
    /// called in a constant).
    pub const fn from_values<const N: usize>(values: [f32; N]) -> Self {
        assert!(
            core::mem::size_of::<Self>() == N * core::mem::size_of::<f32>(),
            "the number of values differs from the layer's weights"
        );
        /// The same bytes read as either type.
        #[repr(C)]
        union Cast<T: Copy, const N: usize> {
            values: [f32; N],
            weights: T,
        }
        // SAFETY: `Self` is `Flat`: f32 values without padding, any bit pattern valid, and
        // of the size of `[f32; N]` (asserted above), so the bytes of the values are a valid
        // `Self`.
        unsafe { Cast::<Self, N> { values }.weights }
    }
}

impl<L: Forward> fmt::Debug for FrozenWeights<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FrozenWeights({} values)", <Self as Flat>::LEN)
    }
}

/// `N` little-endian f32 values from `bytes`: `count` values from byte `start` for each
/// `(start, count)` of `segments`, in order. `network!` reads a frozen layer's weights with
/// it, at compile time, from the safetensors file it checked.
///
/// # Panics
/// If the segments do not hold `N` values or reach past `bytes`.
#[doc(hidden)]
pub const fn f32_values<const N: usize>(bytes: &[u8], segments: &[(usize, usize)]) -> [f32; N] {
    let mut values = [0.0f32; N];
    let (mut i, mut s) = (0, 0);
    while s < segments.len() {
        let (start, count) = segments[s];
        let mut k = 0;
        while k < count {
            let at = start + 4 * k;
            values[i] = f32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
            (i, k) = (i + 1, k + 1);
        }
        s += 1;
    }
    assert!(i == N, "the segments hold a number of values other than the layer's");
    values
}

/// In training a frozen layer runs as in evaluation; Monte-Carlo dropout stays as it is.
fn frozen_mode(mode: Mode) -> Mode {
    match mode {
        Mode::Train => Mode::Eval,
        other => other,
    }
}

/// A frozen layer: `layer` with the weights `weights`, a `static` of the program (in
/// flash on a microcontroller). Declared in `network!` as
/// `#[frozen(weights = "features.safetensors")] fc1: Dense(128)`, which reads the file at
/// compile time.
///
/// Its weights are not part of the model: `PARAMS`, `Model::BYTES`, model files and
/// checkpoints leave them out, and nothing in training changes them.
pub struct Frozen<L: Forward + 'static> {
    /// The layer, with its hyperparameters.
    pub layer: L,
    /// Its weights.
    pub weights: &'static FrozenWeights<L>,
}

impl<L: Forward + 'static> Frozen<L> {
    /// `layer` frozen with `weights`.
    pub const fn new(layer: L, weights: &'static FrozenWeights<L>) -> Self {
        Frozen { layer, weights }
    }
}

impl<L: Forward + Clone + 'static> Clone for Frozen<L> {
    fn clone(&self) -> Self {
        Frozen { layer: self.layer.clone(), weights: self.weights }
    }
}

impl<L: Forward + fmt::Debug + 'static> fmt::Debug for Frozen<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frozen").field("layer", &self.layer).field("weights", self.weights).finish()
    }
}

impl<L: InputGradient + 'static> Forward for Frozen<L> {
    type Input = L::Input;
    type Output = L::Output;
    type Params = ();
    type State = ();
    type Scratch<const B: usize> = L::Scratch<B>;

    fn infer<const B: usize>(&self, _: &(), _: &(), x: &[L::Input], y: &mut [L::Output], scratch: &mut L::Scratch<B>) {
        self.layer.infer::<B>(&self.weights.params, &self.weights.state, x, y, scratch);
    }

    /// None: the weights belong to the program, not to the model.
    fn visit_tensors<V: TensorVisitor>(&self, _: &mut (), _: &mut (), _: &TensorPath<'_>, _: &mut V) {}
}

impl<L: InputGradient + 'static> Layer for Frozen<L> {
    type Cache<const B: usize> = L::Cache<B>;

    /// Nothing to draw: the weights are fixed.
    fn init<R: RngCore + ?Sized>(&self, _: &mut (), _: &mut (), _: &mut R) {}

    fn forward<const B: usize>(
        &self,
        _: &(),
        _: &(),
        x: &[L::Input],
        y: &mut [L::Output],
        cache: &mut L::Cache<B>,
        mode: Mode,
    ) {
        self.layer.forward::<B>(&self.weights.params, &self.weights.state, x, y, cache, frozen_mode(mode));
    }

    /// The input gradient when asked for, nothing else.
    fn backward<const B: usize>(
        &self,
        _: &(),
        x: &[L::Input],
        y: &[L::Output],
        dy: &[L::Output],
        cache: &mut L::Cache<B>,
        dx: Option<&mut [L::Input]>,
        _: &mut (),
        _: GradMode,
    ) {
        if let Some(dx) = dx {
            self.layer.input_gradient::<B>(&self.weights.params, &self.weights.state, x, y, dy, cache, dx);
        }
    }

    /// [`Layer::backward`]: there is nothing to update.
    fn backward_update<const B: usize, U: LayerUpdate>(
        &self,
        params: &mut (),
        x: &[L::Input],
        y: &[L::Output],
        dy: &[L::Output],
        cache: &mut L::Cache<B>,
        dx: Option<&mut [L::Input]>,
        _: usize,
        _: &mut U,
    ) -> Result<f32, Error> {
        self.backward::<B>(params, x, y, dy, cache, dx, &mut (), GradMode::Overwrite);
        Ok(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::Dense;

    #[test]
    fn values_are_read_little_endian_segment_by_segment() {
        let bytes: Vec<u8> = [9.0f32, 1.5, -2.0, 9.0, 4.25].iter().flat_map(|v| v.to_le_bytes()).collect();
        assert_eq!(f32_values::<3>(&bytes, &[(16, 1), (4, 2)]), [4.25, 1.5, -2.0]);
    }

    #[test]
    fn weights_from_values_keep_their_order() {
        let weights = FrozenWeights::<Dense<2, 3>>::from_values([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
        assert_eq!(weights.params.weight, [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
        assert_eq!(weights.params.bias, [7.0, 8.0, 9.0]);
    }

    #[test]
    #[should_panic(expected = "differs from the layer's weights")]
    fn weights_from_the_wrong_number_of_values_panic() {
        let _ = FrozenWeights::<Dense<2, 3>>::from_values([0.0; 8]);
    }
}
