//! Data-parallel training: each batch split into shards that worker threads train at once.

use core::sync::atomic::{AtomicUsize, Ordering};
use std::boxed::Box;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::vec::Vec;

use super::disjoint::{DisjointParts, DisjointState, line_part_range, part_range};
use super::pool::WorkerPool;
use crate::cache_line::CacheAligned;
use crate::error::Error;
use crate::finite::{check_loss, first_non_finite};
use crate::flat::{Flat, boxed_zeroed};
use crate::layer::{GradMode, Layer};
use crate::loss::LossFor;
use crate::model::Model;
use crate::optim::Optimizer;
use crate::workspace::{Workspace, check_rows};

/// Multiply-adds a batch's forward pass must have per thread (about `PARAMS · rows` for
/// dense layers) before a thread pays for waking it and reducing its gradients (measured:
/// see `benches/benches/training.rs`, group `threads`).
const WORK_PER_THREAD: usize = 1 << 19;

/// Rows each shard gets at least: fewer leave too little to vectorise over.
const ROWS_PER_THREAD: usize = 8;

/// The number of threads [`ParallelWorkspace::new_boxed`] uses when asked for `0` (auto):
/// one for small networks and batches, where threads do not pay, else as many as the
/// processor has (`std::thread::available_parallelism`), but no more than the work of a
/// batch of `B` rows keeps busy.
pub fn default_threads<N: Layer, const B: usize>() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let by_work = N::PARAMS.saturating_mul(B) / WORK_PER_THREAD;
    cores.min(by_work).min(B / ROWS_PER_THREAD).max(1)
}

/// Trains network `N` on batches of up to `B` rows split over threads: worker threads,
/// started once when the workspace is built, each run the forward and backward pass of
/// one shard of the batch (rows `s·rows/threads ..`) in a [`Workspace`] of its own; the
/// shards' gradients are then summed, each weighted by its share of the rows, in shard
/// order, and one optimizer step is taken, as [`Workspace::train_step`] does.
///
/// - A step allocates nothing.
/// - The result does not depend on which thread finishes first: the shards are summed in a
///   fixed order, so a run repeats bit for bit with the same number of threads.
/// - Against one thread, the gradient of a mean loss is the same sum grouped differently
///   (each shard sums its rows, then the shards are added), so it differs by rounding only:
///   at most about `rows · ε` relative to the sum of the rows' gradients' magnitudes
///   (`ε = 2⁻²⁴`); the tests check 1e-5 after several steps of an MLP.
/// - Batch norm normalises each shard with that shard's statistics, and its running
///   statistics follow the first shard, as PyTorch's `DistributedDataParallel` does
///   without `SyncBatchNorm` (with `broadcast_buffers` from rank 0).
/// - Dropout layers draw from each shard's own stream; shard `s` is seeded with
///   `seed + s` ([`ParallelWorkspace::seed`]).
///
/// Needs `std` (threads); without it, [`Workspace`] trains on one core.
pub struct ParallelWorkspace<N: Layer, const B: usize> {
    shards: Vec<RwLock<Shard<N, B>>>,
    grads: Box<CacheAligned<N::Params>>,
    outputs: Box<[N::Output; B]>,
    rows: usize,
    seeded: bool,
    pool: WorkerPool,
}

/// One worker's part of a step.
struct Shard<N: Layer, const B: usize> {
    ws: Box<Workspace<N, B>>,
    /// The shard's mean loss, or why it failed.
    loss: Result<f32, Error>,
}

impl<N: Layer, const B: usize> ParallelWorkspace<N, B> {
    /// A workspace training on `threads` threads (`0`: [`default_threads`]), the calling
    /// thread among them: spawns `threads - 1` worker threads, which live until the
    /// workspace is dropped. More threads than `B` rows are cut to `B`.
    ///
    /// Fails only if the operating system refuses a thread.
    pub fn new_boxed(threads: usize) -> std::io::Result<Box<Self>> {
        let threads = match threads {
            0 => default_threads::<N, B>(),
            n => n.min(B),
        };
        let shards = (0..threads).map(|_| RwLock::new(Shard { ws: Workspace::new_boxed(), loss: Ok(0.0) })).collect();
        let pool = WorkerPool::new(threads)?;
        Ok(Box::new(ParallelWorkspace {
            shards,
            grads: boxed_zeroed(),
            outputs: boxed_zeroed(),
            rows: 0,
            seeded: false,
            pool,
        }))
    }

    /// The threads a step runs on, the calling one included.
    pub fn threads(&self) -> usize {
        self.pool.threads()
    }

    /// Restarts the dropout streams: shard `s` from `seed + s` (see [`Workspace::seed`]).
    /// A workspace never seeded draws as if seeded with 0.
    pub fn seed(&mut self, model: &Model<N>, seed: u64) {
        for (s, shard) in self.shards.iter_mut().enumerate() {
            shard.get_mut().unwrap_or_else(PoisonError::into_inner).ws.seed(model, seed.wrapping_add(s as u64));
        }
        self.seeded = true;
    }

    /// Forward, loss and backward over `inputs` (1 to `B` rows), split over the threads:
    /// afterwards [`ParallelWorkspace::grads`] holds `dL/dparams` of the whole batch, with
    /// the penalties, and the model's running statistics are updated. Returns the mean
    /// loss plus the penalties.
    ///
    /// Errors as [`Workspace::compute_gradients`]: bad inputs or targets (rows numbered
    /// in the whole batch), a non-finite loss or gradient; the model is then unchanged.
    pub fn compute_gradients<T, L>(
        &mut self,
        model: &mut Model<N>,
        inputs: &[N::Input],
        targets: &[T],
        loss: &L,
    ) -> Result<f32, Error>
    where
        T: Sync,
        L: LossFor<N::Output, T> + Sync,
    {
        let rows = check_rows::<B>(inputs.len())?;
        if targets.len() != rows {
            return Err(Error::TargetCount { outputs: rows, targets: targets.len() });
        }
        if !self.seeded {
            self.seed(model, 0);
        }
        let shards = self.shards.len().min(rows);
        let frozen: &Model<N> = model;
        self.pool.run(&|s| {
            if s < shards {
                let range = part_range(rows, shards, s);
                let mut shard = write(&self.shards[s]);
                let (inputs, targets) = (&inputs[range.clone()], &targets[range.clone()]);
                shard.loss = shard
                    .ws
                    .loss_gradients(frozen, inputs, targets, loss, GradMode::Overwrite)
                    .map_err(|e| e.offset_rows(range.start));
            }
        });
        let mut value = 0.0;
        for (s, shard) in self.shards[..shards].iter_mut().enumerate() {
            let shard = shard.get_mut().unwrap_or_else(PoisonError::into_inner);
            let range = part_range(rows, shards, s);
            value += share(range.len(), rows) * shard.loss?;
            self.outputs[range].copy_from_slice(shard.ws.outputs());
        }
        self.rows = rows;
        self.reduce(shards, rows);
        let value = check_loss(value + model.net.regularize(&model.params, &mut self.grads))?;
        self.check_gradients()?;
        read(&self.shards[0]).ws.update_state(model);
        Ok(value)
    }

    /// `grads = Σ_s (rows_s / rows) · grads_s`, summed in shard order, each thread doing
    /// one part of the parameter block.
    fn reduce(&mut self, shards: usize, rows: usize) {
        let parts = DisjointParts::new(self.grads.as_flat_mut(), self.pool.threads());
        let shard_list = &self.shards[..shards];
        self.pool.run(&|t| {
            // SAFETY: the pool calls this once per worker index `t`, so each part is taken
            // by one thread.
            let out = unsafe { parts.part(t) };
            let range = parts.part_range(t);
            for (s, shard) in shard_list.iter().enumerate() {
                let shard = read(shard);
                let grads = &shard.ws.grads().as_flat()[range.clone()];
                let w = share(part_range(rows, shards, s).len(), rows);
                if s == 0 {
                    out.iter_mut().zip(grads).for_each(|(o, g)| *o = w * g);
                } else {
                    out.iter_mut().zip(grads).for_each(|(o, g)| *o += w * g);
                }
            }
        });
    }

    /// [`Error::NonFiniteGradient`] for the first NaN or infinity in the gradients, each
    /// thread searching one part.
    fn check_gradients(&self) -> Result<(), Error> {
        let grads = self.grads.as_flat();
        let threads = self.pool.threads();
        let first = AtomicUsize::new(usize::MAX);
        self.pool.run(&|t| {
            let range = line_part_range(grads.len(), threads, t);
            if let Some((i, _)) = first_non_finite(&grads[range.clone()]) {
                first.fetch_min(range.start + i, Ordering::Relaxed);
            }
        });
        match first.into_inner() {
            usize::MAX => Ok(()),
            index => Err(Error::NonFiniteGradient { index, value: grads[index] }),
        }
    }

    /// One optimizer step from [`ParallelWorkspace::grads`], each thread updating one part
    /// of the parameters and of the optimizer's state ([`Optimizer::begin_step_in_parts`]),
    /// which gives the bits of one [`Optimizer::step`]; an optimizer that cannot step in
    /// parts steps on this thread.
    fn optimizer_step<O: Optimizer<N> + ?Sized>(&self, params: &mut N::Params, optimizer: &mut O) {
        let (grads, pool) = (self.grads.as_flat(), &self.pool);
        let flat_params = params.as_flat_mut();
        let parted = optimizer.begin_step_in_parts(&mut |rule, state| {
            let len = flat_params.len();
            let params = DisjointParts::new(&mut *flat_params, pool.threads());
            let state = DisjointState::new(state, len, pool.threads());
            pool.run(&|t| {
                let range = params.part_range(t);
                // SAFETY: the pool calls this once per worker index `t`, so each part of
                // the parameters and of the state is taken by one thread.
                let (params, state) = unsafe { (params.part(t), state.part(t)) };
                rule.update(params, &grads[range], state);
            });
        });
        if !parted {
            optimizer.step(params, &self.grads);
        }
    }

    /// One training step: [`ParallelWorkspace::compute_gradients`], then one optimizer
    /// step (split over the threads too) and the layers' weight constraints, as
    /// [`Workspace::train_step`]. On error neither the model nor the optimizer has
    /// changed.
    pub fn train_step<T, L, O>(
        &mut self,
        model: &mut Model<N>,
        inputs: &[N::Input],
        targets: &[T],
        loss: &L,
        optimizer: &mut O,
    ) -> Result<f32, Error>
    where
        T: Sync,
        L: LossFor<N::Output, T> + Sync,
        O: Optimizer<N> + ?Sized,
    {
        let value = self.compute_gradients(model, inputs, targets, loss)?;
        self.optimizer_step(&mut model.params, optimizer);
        model.net.constrain(&mut model.params);
        Ok(value)
    }

    /// The outputs of the last step's forward pass, one per row (copied from the shards'
    /// workspaces after each step, so that they are one slice in row order).
    pub fn outputs(&self) -> &[N::Output] {
        &self.outputs[..self.rows]
    }

    /// The parameter gradients of the last [`ParallelWorkspace::compute_gradients`].
    pub fn grads(&self) -> &N::Params {
        &self.grads
    }

    /// Mutable gradients, for clipping before an optimizer step.
    pub fn grads_mut(&mut self) -> &mut N::Params {
        &mut self.grads
    }
}

/// `part / whole`: a shard's weight in the mean over the batch.
fn share(part: usize, whole: usize) -> f32 {
    part as f32 / whole as f32
}

fn read<S>(lock: &RwLock<S>) -> RwLockReadGuard<'_, S> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<S>(lock: &RwLock<S>) -> RwLockWriteGuard<'_, S> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    //! The workspace's own unsafe code (the reduction and the split optimizer step, each
    //! thread writing its own part), small enough for miri (`parallel::` in `.ci/run`).
    use super::*;
    use crate::layers::Dense;
    use crate::loss::MseLoss;
    use crate::optim::Momentum;

    type Net = Dense<3, 2>;

    #[test]
    fn two_threads_reduce_and_step_their_own_parts() {
        let x = [[0.5f32, -1.0, 2.0], [1.0, 0.0, -0.5], [0.25, 0.75, 1.5]];
        let y = [[1.0f32, 0.0], [0.0, 1.0], [0.5, 0.5]];
        let (mut model, mut whole_model) = (Model::<Net>::new(7), Model::<Net>::new(7));
        // Momentum: Adam's bias correction calls `libm::sqrt`, whose inline assembly miri
        // cannot run.
        let (mut momentum, mut whole) = (Momentum::<Net>::new(0.1, 0.9), Momentum::<Net>::new(0.1, 0.9));
        let mut ws = ParallelWorkspace::<Net, 3>::new_boxed(2).unwrap();
        for _ in 0..3 {
            ws.compute_gradients(&mut whole_model, &x, &y, &MseLoss).unwrap();
            let grads = *ws.grads();
            whole.step(&mut whole_model.params, &grads);
            ws.train_step(&mut model, &x, &y, &MseLoss, &mut momentum).unwrap();
            assert_eq!(model.params, whole_model.params);
            assert_eq!(momentum.momentum_buffer(), whole.momentum_buffer());
        }
    }
}
