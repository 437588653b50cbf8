//! The memory an evaluation pass needs, and nothing a training step adds.

use crate::error::Error;
use crate::flat::Zeroable;
use crate::layer::Forward;
use crate::model::Model;
use crate::workspace::{assert_fits_on_stack, check_rows};

/// What running network `N` in evaluation mode on batches of up to `B` rows needs: the
/// layers' scratch (for a generated network, two activation buffers that consecutive
/// layers take turns in, sized for the widest layer) and the output rows. No gradients,
/// no caches: for the 784-128-10 MLP at `B = 1` this is about 1 KB, where a training
/// [`Workspace`](crate::Workspace) holds 400 KB of parameter gradients.
///
/// Dropout is the identity and batch norm uses its running statistics; for Monte-Carlo
/// dropout, which keeps dropout active, use [`Workspace::mc_dropout`](crate::Workspace::mc_dropout).
pub struct InferenceWorkspace<N: Forward, const B: usize> {
    scratch: N::Scratch<B>,
    output: [N::Output; B],
    rows: usize,
}

// SAFETY: every field is `Zeroable` (`Forward::Scratch` is, arrays of `Flat` blocks are,
// and so is `usize`), so the all-zero workspace is valid.
unsafe impl<N: Forward, const B: usize> Zeroable for InferenceWorkspace<N, B> {}

impl<N: Forward, const B: usize> InferenceWorkspace<N, B> {
    /// Bytes taken by the workspace: `size_of::<Self>()`, known at compile time.
    pub const BYTES: usize = core::mem::size_of::<Self>();

    /// A workspace on the stack, at most [`STACK_LIMIT`](crate::workspace::STACK_LIMIT)
    /// bytes (a compile error beyond).
    pub fn new() -> Self {
        const { assert!(B > 0, "a workspace needs a batch capacity of at least 1") };
        assert_fits_on_stack::<Self>();
        crate::flat::zeroed()
    }

    /// A workspace built directly on the heap (zeroed in place, never on the stack).
    #[cfg(feature = "alloc")]
    pub fn new_boxed() -> alloc::boxed::Box<Self> {
        const { assert!(B > 0, "a workspace needs a batch capacity of at least 1") };
        crate::flat::boxed_zeroed()
    }

    /// A workspace built in `place` (a `static` [`StaticSlot`](crate::placement::StaticSlot)
    /// or any `MaybeUninit`): zeroed there, never on the stack.
    pub fn new_in(place: &mut core::mem::MaybeUninit<Self>) -> &mut Self {
        const { assert!(B > 0, "a workspace needs a batch capacity of at least 1") };
        crate::flat::zeroed_in(place)
    }

    /// Runs the network on `inputs` (1 to `B` rows) and returns one output per row.
    pub fn forward(&mut self, model: &Model<N>, inputs: &[N::Input]) -> Result<&[N::Output], Error> {
        let rows = check_rows::<B>(inputs.len())?;
        self.rows = rows;
        let output = &mut self.output[..rows];
        model.net.infer::<B>(&model.params, &model.state, inputs, output, &mut self.scratch);
        Ok(output)
    }

    /// Runs the network on one sample.
    pub fn predict(&mut self, model: &Model<N>, input: &N::Input) -> &N::Output {
        self.rows = 1;
        let output = &mut self.output[..1];
        model.net.infer::<B>(&model.params, &model.state, core::slice::from_ref(input), output, &mut self.scratch);
        &output[0]
    }

    /// The outputs of the last pass, one per row.
    pub fn outputs(&self) -> &[N::Output] {
        &self.output[..self.rows]
    }
}

impl<N: Forward, const B: usize> Default for InferenceWorkspace<N, B> {
    fn default() -> Self {
        Self::new()
    }
}
