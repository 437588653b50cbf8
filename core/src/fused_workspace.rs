//! The memory a fused training step needs: a workspace without the gradient block.

use core::marker::PhantomData;

use crate::cache_line::CacheAligned;
use crate::error::Error;
use crate::finite::{check_inputs, check_loss, first_non_finite};
use crate::flat::{Flat, Zeroable, block_mut};
use crate::fused::{FusedLayer, LayerUpdate};
use crate::layer::{Layer, Mode};
use crate::loss::LossFor;
use crate::model::Model;
use crate::optim::ElementwiseOptimizer;
use crate::tensors::{TensorPath, TensorVisitor};
use crate::workspace::{assert_fits_on_stack, check_rows};

/// A [`Workspace`](crate::Workspace) for fused training: its [`FusedWorkspace::train_step`]
/// updates each layer as soon as the backward pass has computed that layer's gradient, so
/// the network's whole gradient block never exists. It keeps the activations and caches
/// backward reads, the output and its gradient, and one gradient block the size of the
/// largest layer's parameters ([`Layer::MAX_LAYER_PARAMS`]) instead of all of them:
///
/// ```text
/// FusedWorkspace::<N, B>::BYTES = Workspace::<N, B>::BYTES - 4 · N::PARAMS + 4 · N::MAX_LAYER_PARAMS
/// ```
///
/// (up to the rounding of the size to `usize` alignment, and on x86-64 of the gradient
/// block to whole 64-byte cache lines). This is the idea of PyTorch's
/// `Tensor.register_post_accumulate_grad_hook` with `optimizer.step()` called per
/// parameter inside the hook; here it is the training step itself, and the result is
/// the same, bit for bit, as [`Workspace::train_step`](crate::Workspace::train_step)
/// with the same optimizer.
///
/// What it cannot do, because the whole gradient never exists: clip by the global
/// gradient norm, accumulate gradients over micro-batches, or inspect the gradients before
/// the step. It trains with an [`ElementwiseOptimizer`] (every optimizer of
/// [`optim`](crate::optim)); the layers' weight penalties (`l1`, `l2`) and max-norm
/// constraints are applied per layer, as the unfused step does.
pub struct FusedWorkspace<N: FusedLayer, const B: usize> {
    cache: N::Cache<B>,
    output: [N::Output; B],
    grad_output: [N::Output; B],
    /// On a cache line of its own (x86-64), as the unfused workspace's: the products write
    /// it 64 bytes at a time and the optimizer reads it so.
    grads: CacheAligned<N::LayerGrads>,
    rows: usize,
}

// SAFETY: every field is `Zeroable` (`Flat` implies `Zeroable`, arrays of zeroable
// elements are zeroable), so the all-zero workspace is valid.
unsafe impl<N: FusedLayer, const B: usize> Zeroable for FusedWorkspace<N, B> {}

impl<N: FusedLayer, const B: usize> FusedWorkspace<N, B> {
    /// Bytes taken by the workspace: `size_of::<Self>()`, known at compile time.
    pub const BYTES: usize = core::mem::size_of::<Self>();

    /// Checks at compile time what the workspace relies on: a batch capacity, and a
    /// gradient block as large as the largest layer's parameters.
    const VALID: () = {
        assert!(B > 0, "a workspace needs a batch capacity of at least 1");
        assert!(
            <N::LayerGrads as Flat>::LEN >= N::MAX_LAYER_PARAMS,
            "FusedLayer::LayerGrads must hold MAX_LAYER_PARAMS values"
        );
    };

    /// A workspace on the stack, at most [`STACK_LIMIT`](crate::workspace::STACK_LIMIT)
    /// bytes (a compile error beyond). For large networks or batches use
    /// [`FusedWorkspace::new_boxed`] or [`FusedWorkspace::new_in`].
    pub fn new() -> Self {
        let () = Self::VALID;
        assert_fits_on_stack::<Self>();
        crate::flat::zeroed()
    }

    /// A workspace built directly on the heap (zeroed in place, never on the stack).
    #[cfg(feature = "alloc")]
    pub fn new_boxed() -> alloc::boxed::Box<Self> {
        let () = Self::VALID;
        crate::flat::boxed_zeroed()
    }

    /// A workspace built in `place` (a `static` [`StaticSlot`](crate::placement::StaticSlot),
    /// a `Box::new_uninit()` or a local `MaybeUninit`): zeroed there, never on the stack.
    pub fn new_in(place: &mut core::mem::MaybeUninit<Self>) -> &mut Self {
        let () = Self::VALID;
        crate::flat::zeroed_in(place)
    }

    /// Restarts the dropout streams from `seed`, as [`Workspace::seed`](crate::Workspace::seed).
    pub fn seed(&mut self, model: &Model<N>, seed: u64) {
        model.net.reseed::<B>(&mut self.cache, seed);
    }

    /// Calls `visitor.counter` with the state of every dropout stream, as
    /// [`Workspace::visit_streams`](crate::Workspace::visit_streams).
    pub fn visit_streams<V: TensorVisitor>(&mut self, model: &Model<N>, visitor: &mut V) {
        model.net.visit_streams::<B, V>(&mut self.cache, &TensorPath::ROOT, visitor);
    }

    /// Runs the network on `inputs` (1 to `B` rows) in `mode` and returns one output per
    /// row. For evaluation alone an [`InferenceWorkspace`](crate::InferenceWorkspace) needs
    /// far less memory.
    pub fn forward(&mut self, model: &Model<N>, inputs: &[N::Input], mode: Mode) -> Result<&[N::Output], Error> {
        let rows = check_rows::<B>(inputs.len())?;
        self.rows = rows;
        let output = &mut self.output[..rows];
        model.net.forward::<B>(&model.params, &model.state, inputs, output, &mut self.cache, mode);
        Ok(output)
    }

    /// One training step: forward pass in training mode, loss, then the backward pass from
    /// the last layer to the first, each layer's parameters updated by `optimizer` right
    /// after its backward (which computes that layer's input gradient with the parameters
    /// before the update), with its weight penalty added to its gradient first and its
    /// max-norm constraint applied after. Updates the running statistics last. Returns the
    /// mean loss of the batch plus the penalties; the parameters, the optimizer state and
    /// the returned loss are those of [`Workspace::train_step`](crate::Workspace::train_step),
    /// bit for bit.
    ///
    /// Errors, and what has changed when one is returned:
    /// - a bad batch (no rows, too many, a target count or target that does not fit), a
    ///   NaN or infinity in the inputs or the loss: checked before anything changes; the
    ///   model and the optimizer are as they were.
    /// - a NaN or infinity in a layer's gradient or weight penalty
    ///   ([`Error::NonFiniteGradient`], its `index` in the flat parameter block, or
    ///   [`Error::NonFiniteLoss`]): found before that layer is updated. The step stops
    ///   there: the layers after it (the ones backward had already reached) have been
    ///   updated and the optimizer's step count has advanced, unless the layer is the last
    ///   one with parameters, in which case nothing has changed. That layer, those before
    ///   it and the running statistics are unchanged. Restore a checkpoint to go on from a
    ///   consistent state.
    /// - penalties each finite whose sum with the loss overflows to infinity
    ///   ([`Error::NonFiniteLoss`]): found after every layer has been updated; the running
    ///   statistics are unchanged.
    pub fn train_step<T, L: LossFor<N::Output, T>, O: ElementwiseOptimizer<N> + ?Sized>(
        &mut self,
        model: &mut Model<N>,
        inputs: &[N::Input],
        targets: &[T],
        loss: &L,
        optimizer: &mut O,
    ) -> Result<f32, Error> {
        let targets = L::targets(targets);
        let rows = check_rows::<B>(inputs.len())?;
        if targets.len() != rows {
            return Err(Error::TargetCount { outputs: rows, targets: targets.len() });
        }
        check_inputs(inputs)?;
        loss.check_targets(targets)?;
        self.rows = rows;
        let (output, grad_output) = (&mut self.output[..rows], &mut self.grad_output[..rows]);
        model.net.forward::<B>(&model.params, &model.state, inputs, output, &mut self.cache, Mode::Train);
        let value = check_loss(loss.loss_and_grad(output, targets, grad_output)?)?;
        let mut update =
            OptimizerStep::<N, O> { grads: self.grads.as_flat_mut(), optimizer, begun: false, _net: PhantomData };
        let params = &mut model.params;
        let cache = &mut self.cache;
        let penalty =
            model.net.backward_update::<B, _>(params, inputs, output, grad_output, cache, None, 0, &mut update)?;
        // A network without parameters still counts the step, as the unfused one does.
        update.begin();
        let value = check_loss(value + penalty)?;
        model.net.update_state::<B>(&mut model.state, &self.cache);
        Ok(value)
    }

    /// The outputs of the last forward pass (of a training step too), one per row.
    pub fn outputs(&self) -> &[N::Output] {
        &self.output[..self.rows]
    }
}

impl<N: FusedLayer, const B: usize> Default for FusedWorkspace<N, B> {
    fn default() -> Self {
        Self::new()
    }
}

/// The [`LayerUpdate`] of a fused step: checks each layer's gradient and penalty, then
/// takes the optimizer's step on the layer's slice, beginning the step at the first
/// layer that gets that far.
struct OptimizerStep<'a, N, O: ?Sized> {
    grads: &'a mut [f32],
    optimizer: &'a mut O,
    begun: bool,
    _net: PhantomData<fn() -> N>,
}

impl<N: Layer, O: ElementwiseOptimizer<N> + ?Sized> OptimizerStep<'_, N, O> {
    /// Begins the optimizer's step, once.
    fn begin(&mut self) {
        begin_once::<N, O>(self.optimizer, &mut self.begun);
    }
}

/// Begins `optimizer`'s step unless `begun` says it has been.
fn begin_once<N: Layer, O: ElementwiseOptimizer<N> + ?Sized>(optimizer: &mut O, begun: &mut bool) {
    if !*begun {
        optimizer.begin_step();
        *begun = true;
    }
}

impl<N: Layer, O: ElementwiseOptimizer<N> + ?Sized> LayerUpdate for OptimizerStep<'_, N, O> {
    fn update<P: Flat>(
        &mut self,
        offset: usize,
        params: &mut P,
        backward: impl FnOnce(&P, &mut P) -> f32,
    ) -> Result<f32, Error> {
        let Some(values) = self.grads.get_mut(..P::LEN) else {
            panic!("a layer's fused backward pass updated more than its MAX_LAYER_PARAMS parameters at once");
        };
        let grads: &mut P = block_mut(values);
        let penalty = backward(params, grads);
        if P::LEN == 0 {
            return Ok(penalty);
        }
        let penalty = check_loss(penalty)?;
        if let Some((index, value)) = first_non_finite(grads.as_flat()) {
            return Err(Error::NonFiniteGradient { index: offset + index, value });
        }
        begin_once::<N, O>(self.optimizer, &mut self.begun);
        self.optimizer.step_slice(offset, params.as_flat_mut(), grads.as_flat());
        Ok(penalty)
    }
}
