//! The memory a training step needs, sized at compile time.

use crate::cache_line::CacheAligned;
use crate::error::Error;
use crate::finite::{check_gradients, check_inputs, check_loss};
use crate::flat::{Flat, Zeroable, flatten, flatten_mut};
use crate::layer::{GradMode, Layer, Mode};
use crate::loss::LossFor;
use crate::model::Model;
use crate::optim::Optimizer;
use crate::tensors::{TensorPath, TensorVisitor};

/// The largest value a stack constructor (`Workspace::new`, `InferenceWorkspace::new`,
/// `Model::new`) builds: 1 MiB. Larger ones are a compile error that names `new_boxed`
/// and `new_in`, because a value that size overflows a thread's stack (2 MiB for threads
/// Rust spawns, tests included), all the more in debug builds, which copy it.
pub const STACK_LIMIT: usize = 1 << 20;

/// Refuses, at compile time, to build a `T` on the stack beyond [`STACK_LIMIT`].
pub(crate) const fn assert_fits_on_stack<T>() {
    const {
        assert!(
            core::mem::size_of::<T>() <= STACK_LIMIT,
            "this value is larger than 1 MiB and would overflow the stack: build it with `new_boxed` \
             (on the heap) or `new_in` (in a static or any `MaybeUninit`) instead of `new`"
        )
    }
}

/// What training network `N` on batches of up to `B` rows needs besides the model:
/// the activations and caches backward reads, the gradient of the output, and the
/// parameter gradients.
///
/// `B` is a compile-time capacity; every call takes however many rows it is given, from
/// 1 to `B`, so the last partial batch of a data set uses the same workspace. Nothing is
/// allocated after construction. For inference alone, an
/// [`InferenceWorkspace`](crate::InferenceWorkspace) holds the activations only; for
/// training without the whole gradient block, a [`FusedWorkspace`](crate::FusedWorkspace)
/// updates each layer right after its backward pass.
///
/// The workspace also owns the random streams of the network's dropout layers:
/// [`Workspace::seed`] restarts them, so that parallel workers seeded differently draw
/// independent masks (the streams belong to the workspace, not the model, because each
/// worker has its own workspace while the model's parameters are shared).
pub struct Workspace<N: Layer, const B: usize> {
    cache: N::Cache<B>,
    output: [N::Output; B],
    grad_output: [N::Output; B],
    /// On a cache line of its own (x86-64): the products write it 64 bytes at a time.
    grads: CacheAligned<N::Params>,
    rows: usize,
}

// SAFETY: every field is `Zeroable` (`Flat` implies `Zeroable`, arrays of zeroable
// elements are zeroable), so the all-zero workspace is valid.
unsafe impl<N: Layer, const B: usize> Zeroable for Workspace<N, B> {}

impl<N: Layer, const B: usize> Workspace<N, B> {
    /// Bytes taken by the workspace: `size_of::<Self>()`, known at compile time.
    pub const BYTES: usize = core::mem::size_of::<Self>();

    /// A workspace on the stack, at most [`STACK_LIMIT`] bytes (a compile error beyond).
    /// For large networks or batches use [`Workspace::new_boxed`] or [`Workspace::new_in`].
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

    /// A workspace built in `place` (a `static` [`StaticSlot`](crate::placement::StaticSlot),
    /// a `Box::new_uninit()` or a local `MaybeUninit`): zeroed there, never on the stack.
    pub fn new_in(place: &mut core::mem::MaybeUninit<Self>) -> &mut Self {
        const { assert!(B > 0, "a workspace needs a batch capacity of at least 1") };
        crate::flat::zeroed_in(place)
    }

    /// Restarts the dropout streams from `seed` (combined with each layer's own seed).
    /// A fresh workspace draws as if seeded with 0.
    pub fn seed(&mut self, model: &Model<N>, seed: u64) {
        model.net.reseed::<B>(&mut self.cache, seed);
    }

    /// Calls `visitor.counter` with the state of every dropout stream, named after its
    /// layer (`drop`, `block.drop`): what a training checkpoint saves so that a resumed
    /// run draws the masks an uninterrupted one would.
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

    /// Runs the network in evaluation mode on one sample.
    pub fn predict(&mut self, model: &Model<N>, input: &N::Input) -> &N::Output {
        self.rows = 1;
        let output = &mut self.output[..1];
        let input = core::slice::from_ref(input);
        model.net.forward::<B>(&model.params, &model.state, input, output, &mut self.cache, Mode::Eval);
        &output[0]
    }

    /// Forward pass in training mode, loss, and backward pass: afterwards
    /// [`Workspace::grads`] holds `dL/dparams` for this batch, including the gradients of
    /// the layers' weight penalties. Updates the model's non-trainable state (running
    /// statistics). Returns the mean loss plus the penalties.
    ///
    /// A NaN or infinity in the inputs, the loss or the gradients is an error, returned
    /// before the model's state changes.
    pub fn compute_gradients<T, L: LossFor<N::Output, T>>(
        &mut self,
        model: &mut Model<N>,
        inputs: &[N::Input],
        targets: &[T],
        loss: &L,
    ) -> Result<f32, Error> {
        self.gradients(model, inputs, targets, loss, GradMode::Overwrite)
    }

    /// As [`Workspace::compute_gradients`], but ADDS this batch's gradients to those the
    /// workspace holds: gradient accumulation over micro-batches, for an effective batch
    /// larger than `B`. With `k` equal micro-batches of a mean loss, scale the sum by
    /// `1 / k` ([`Workspace::scale_gradients`]) to get the gradient of the whole batch, then
    /// [`Workspace::apply_gradients`]. Start the sum with [`Workspace::compute_gradients`].
    /// After an error the held sum is not usable; the model is unchanged.
    pub fn accumulate_gradients<T, L: LossFor<N::Output, T>>(
        &mut self,
        model: &mut Model<N>,
        inputs: &[N::Input],
        targets: &[T],
        loss: &L,
    ) -> Result<f32, Error> {
        self.gradients(model, inputs, targets, loss, GradMode::Accumulate)
    }

    fn gradients<T, L: LossFor<N::Output, T>>(
        &mut self,
        model: &mut Model<N>,
        inputs: &[N::Input],
        targets: &[T],
        loss: &L,
        mode: GradMode,
    ) -> Result<f32, Error> {
        let value = self.loss_gradients(model, inputs, targets, loss, mode)?;
        let value = check_loss(value + model.net.regularize(&model.params, &mut self.grads))?;
        check_gradients(&*self.grads)?;
        // Last, so that an error leaves the running statistics as they were too.
        self.update_state(model);
        Ok(value)
    }

    /// Checks the batch, runs forward, the loss and backward: the loss's gradients (no
    /// penalties) go into `grads` as `mode` says, and the mean loss is returned. The model
    /// is not changed: a [`ParallelWorkspace`](crate::parallel::ParallelWorkspace) calls
    /// this on every shard of a batch at once.
    pub(crate) fn loss_gradients<T, L: LossFor<N::Output, T>>(
        &mut self,
        model: &Model<N>,
        inputs: &[N::Input],
        targets: &[T],
        loss: &L,
        mode: GradMode,
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
        let params = &model.params;
        model.net.forward::<B>(params, &model.state, inputs, output, &mut self.cache, Mode::Train);
        let value = check_loss(loss.loss_and_grad(output, targets, grad_output)?)?;
        model.net.backward::<B>(params, inputs, output, grad_output, &mut self.cache, None, &mut self.grads, mode);
        Ok(value)
    }

    /// Folds the last training forward pass's batch statistics into the model's state.
    pub(crate) fn update_state(&self, model: &mut Model<N>) {
        model.net.update_state::<B>(&mut model.state, &self.cache);
    }

    /// Multiplies the held gradients by `factor` (`1 / k` after `k` accumulated batches).
    pub fn scale_gradients(&mut self, factor: f32) {
        self.grads.as_flat_mut().iter_mut().for_each(|g| *g *= factor);
    }

    /// One optimizer step with the held gradients, then the layers' weight constraints
    /// (max-norm).
    pub fn apply_gradients<O: Optimizer<N> + ?Sized>(&mut self, model: &mut Model<N>, optimizer: &mut O) {
        optimizer.step(&mut model.params, &self.grads);
        model.net.constrain(&mut model.params);
    }

    /// One training step: [`Workspace::compute_gradients`], then
    /// [`Workspace::apply_gradients`]. Returns the mean loss of the batch with the
    /// penalties; on error neither the model nor the optimizer has changed.
    pub fn train_step<T, L: LossFor<N::Output, T>, O: Optimizer<N> + ?Sized>(
        &mut self,
        model: &mut Model<N>,
        inputs: &[N::Input],
        targets: &[T],
        loss: &L,
        optimizer: &mut O,
    ) -> Result<f32, Error> {
        let value = self.compute_gradients(model, inputs, targets, loss)?;
        self.apply_gradients(model, optimizer);
        Ok(value)
    }

    /// Monte-Carlo dropout: `passes` stochastic forward passes over `inputs` with dropout
    /// active and batch norm on its running statistics ([`Mode::McDropout`]). Each pass's
    /// output row goes through `map` (e.g. a softmax, to average probabilities rather than
    /// logits; `|_| {}` keeps raw outputs). Writes, for every row and output, the mean over
    /// the passes into `mean` and the (population) standard deviation into `std`,
    /// accumulated with Welford's method in those buffers: nothing is allocated. `mean` and
    /// `std` need one row per input row.
    pub fn mc_dropout(
        &mut self,
        model: &Model<N>,
        inputs: &[N::Input],
        passes: usize,
        mut map: impl FnMut(&mut N::Output),
        mean: &mut [N::Output],
        std: &mut [N::Output],
    ) -> Result<(), Error> {
        let rows = check_rows::<B>(inputs.len())?;
        if passes == 0 {
            return Err(Error::NoPasses);
        }
        let (Some(mean), Some(std)) = (mean.get_mut(..rows), std.get_mut(..rows)) else {
            return Err(Error::OutputCount { rows, given: mean.len().min(std.len()) });
        };
        let (mean, m2) = (flatten_mut(mean), flatten_mut(std));
        mean.fill(0.0);
        m2.fill(0.0);
        for pass in 1..=passes {
            self.forward(model, inputs, Mode::McDropout)?;
            let output = &mut self.output[..rows];
            output.iter_mut().for_each(&mut map);
            for ((mu, m2), &y) in mean.iter_mut().zip(m2.iter_mut()).zip(flatten(output)) {
                let delta = y - *mu;
                *mu += delta / pass as f32;
                *m2 += delta * (y - *mu);
            }
        }
        for m2 in m2.iter_mut() {
            *m2 = crate::math::sqrt(*m2 / passes as f32);
        }
        Ok(())
    }

    /// The outputs of the last forward pass (of a training step too), one per row.
    pub fn outputs(&self) -> &[N::Output] {
        &self.output[..self.rows]
    }

    /// The parameter gradients of the last [`Workspace::compute_gradients`] call (or the
    /// sum since it, after [`Workspace::accumulate_gradients`]).
    pub fn grads(&self) -> &N::Params {
        &self.grads
    }

    /// Mutable gradients, for clipping or penalties before an optimizer step.
    pub fn grads_mut(&mut self) -> &mut N::Params {
        &mut self.grads
    }
}

impl<N: Layer, const B: usize> Default for Workspace<N, B> {
    fn default() -> Self {
        Self::new()
    }
}

/// `rows` itself when it is from 1 to `B`, else the error.
pub(crate) fn check_rows<const B: usize>(rows: usize) -> Result<usize, Error> {
    match rows {
        0 => Err(Error::EmptyBatch),
        r if r > B => Err(Error::BatchTooLarge { rows, capacity: B }),
        r => Ok(r),
    }
}
