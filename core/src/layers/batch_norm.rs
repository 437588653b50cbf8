//! Batch normalisation, PyTorch's `nn.BatchNorm1d` and `nn.BatchNorm2d`.
//!
//! Both layers share one per-channel core: a sample is `C` channels of `S` contiguous
//! values each (`S = 1` for features, `S = H·W` for NCHW images), and each channel is
//! normalised with statistics over the `m = rows·S` values it has in the batch.

use crate::flat::{Flat, Zeroable};
use crate::layer::{Forward, GradMode, Layer, Mode};
use crate::tensors::{TensorPath, TensorVisitor};
use rand::RngCore;

/// Batch normalisation of feature vectors `[f32; N]`, PyTorch's `nn.BatchNorm1d(N)` on
/// `[batch, N]` inputs: each feature is normalised over the batch. See [`BatchNorm2d`]
/// for the formulas, with `m` = the number of rows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchNorm1d<const N: usize> {
    /// Weight of the new batch statistic in the running averages, PyTorch's `momentum`
    /// (default 0.1; Keras' `momentum = 0.99` is `1 - momentum` here).
    pub momentum: f32,
    /// Added to the variance inside the square root (default 1e-5).
    pub eps: f32,
}

/// Batch normalisation of NCHW images `[[[f32; W]; H]; C]`, PyTorch's `nn.BatchNorm2d(C)`:
/// each channel is normalised with statistics over the batch and the `H·W` pixels, so over
/// `m = rows·H·W` values.
///
/// Training ([`Mode::Train`]): with the batch mean `μ` and the BIASED batch variance
/// `σ² = Σ (x - μ)² / m`,
///
/// `x̂ = (x - μ) / sqrt(σ² + eps)`, `y = γ x̂ + β`,
///
/// and [`Layer::update_state`] then folds the batch into the running statistics, with
/// PyTorch's momentum (the weight of the new value) and the UNBIASED variance:
///
/// `running_mean = (1 - momentum)·running_mean + momentum·μ`,
/// `running_var = (1 - momentum)·running_var + momentum·σ²·m / (m - 1)`.
///
/// With a single value per channel (`m = 1`), where PyTorch raises an error, the running
/// mean is updated and the running variance is left unchanged (instead of dividing by zero).
///
/// Evaluation ([`Mode::Eval`] and [`Mode::McDropout`]): `μ` and `σ²` are the running
/// statistics, which are not updated.
///
/// Backward, for `L` with `g = dL/dy`, sums over the `m` values of a channel:
/// `dβ = Σ g`, `dγ = Σ g x̂`, and `dx = γ / sqrt(σ² + eps) · (g - dβ/m - x̂ dγ/m)` after a
/// training forward pass (through the batch mean and variance), `dx = γ g / sqrt(σ² + eps)`
/// after an evaluation pass. The running statistics are [`Forward::State`](crate::Forward::State), not parameters:
/// optimizers never touch them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchNorm2d<const C: usize, const H: usize, const W: usize> {
    /// Weight of the new batch statistic in the running averages, PyTorch's `momentum`
    /// (default 0.1; Keras' `momentum = 0.99` is `1 - momentum` here).
    pub momentum: f32,
    /// Added to the variance inside the square root (default 1e-5).
    pub eps: f32,
}

impl<const N: usize> Default for BatchNorm1d<N> {
    /// PyTorch's defaults: momentum 0.1, eps 1e-5.
    fn default() -> Self {
        BatchNorm1d { momentum: 0.1, eps: 1e-5 }
    }
}

impl<const C: usize, const H: usize, const W: usize> Default for BatchNorm2d<C, H, W> {
    /// PyTorch's defaults: momentum 0.1, eps 1e-5.
    fn default() -> Self {
        BatchNorm2d { momentum: 0.1, eps: 1e-5 }
    }
}

/// The trainable parameters of a batch norm layer with `C` channels (or features).
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct BatchNormParams<const C: usize> {
    /// `γ`, PyTorch's `weight`; initialised to 1.
    pub weight: [f32; C],
    /// `β`, PyTorch's `bias`; initialised to 0.
    pub bias: [f32; C],
}

// SAFETY: repr(C) of f32 arrays.
unsafe impl<const C: usize> Zeroable for BatchNormParams<C> {}
// SAFETY: repr(C) of two f32 arrays of C values: 2·C values without padding.
unsafe impl<const C: usize> Flat for BatchNormParams<C> {
    const LEN: usize = 2 * C;
}

/// The running statistics of a batch norm layer: state saved with the model, updated by
/// [`Layer::update_state`] after each training forward pass, never by an optimizer.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct BatchNormState<const C: usize> {
    /// Running mean of each channel; initialised to 0.
    pub running_mean: [f32; C],
    /// Running (unbiased) variance of each channel; initialised to 1.
    pub running_var: [f32; C],
    /// Training passes folded into the statistics, PyTorch's `num_batches_tracked`;
    /// initialised to 0. PyTorch uses it only for `momentum=None` (a cumulative average),
    /// which staticnet does not have: here it is counted and saved, so that a file
    /// moves to and from PyTorch with it.
    pub num_batches_tracked: BatchCount,
}

// SAFETY: repr(C) of f32 arrays.
unsafe impl<const C: usize> Zeroable for BatchNormState<C> {}
// SAFETY: repr(C) of two f32 arrays of C values and a `BatchCount` (2 f32): 2·C + 2 values
// without padding.
unsafe impl<const C: usize> Flat for BatchNormState<C> {
    const LEN: usize = 2 * C + 2;
}

/// A count of batches kept in two f32 values, so that a layer's state stays a block of
/// f32: `count = high · 2^24 + low`, each part an integer below `2^24`, where every
/// integer is exact in f32. Exact up to [`BatchCount::MAX`] (`2^48 - 1`), where it stops.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
#[repr(C)]
pub struct BatchCount {
    high: f32,
    low: f32,
}

// SAFETY: repr(C) of two f32.
unsafe impl Zeroable for BatchCount {}
// SAFETY: repr(C) of two f32 values without padding.
unsafe impl Flat for BatchCount {
    const LEN: usize = 2;
}

impl BatchCount {
    /// The largest count held, `2^48 - 1`.
    pub const MAX: u64 = (1 << 48) - 1;
    const SPLIT: u64 = 1 << 24;

    /// The count `value`, or `None` beyond [`BatchCount::MAX`].
    pub fn new(value: u64) -> Option<Self> {
        (value <= Self::MAX)
            .then_some(BatchCount { high: (value / Self::SPLIT) as f32, low: (value % Self::SPLIT) as f32 })
    }

    /// The count.
    pub fn get(&self) -> u64 {
        self.high as u64 * Self::SPLIT + self.low as u64
    }

    /// Adds one, up to [`BatchCount::MAX`].
    pub fn increment(&mut self) {
        *self = Self::new(self.get() + 1).unwrap_or(*self);
    }
}

/// What a batch norm layer keeps from its last forward pass.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchNormCache<const C: usize> {
    /// The mean used: the batch mean after a training pass, the running mean otherwise.
    pub mean: [f32; C],
    /// The variance used: the biased batch variance after a training pass, the running
    /// variance otherwise.
    pub var: [f32; C],
    /// `1 / sqrt(var + eps)`.
    pub inv_std: [f32; C],
    /// `m`: the number of values per channel in the batch.
    pub count: usize,
    /// Whether the pass used batch statistics ([`Mode::Train`]).
    pub training: bool,
}

// SAFETY: f32 arrays, an integer and a bool: all-zero bytes are valid (0.0, 0, false).
unsafe impl<const C: usize> Zeroable for BatchNormCache<C> {}

/// The per-channel core: samples of type `X` are `C` channels of `X::LEN / C` values.
struct Core<const C: usize> {
    momentum: f32,
    eps: f32,
}

impl<const C: usize> Core<C> {
    fn init(params: &mut BatchNormParams<C>, state: &mut BatchNormState<C>) {
        *params = BatchNormParams { weight: [1.0; C], bias: [0.0; C] };
        *state = BatchNormState {
            running_mean: [0.0; C],
            running_var: [1.0; C],
            num_batches_tracked: BatchCount::default(),
        };
    }

    /// Values per channel in one sample (at least 1, so that chunking never panics; the
    /// check in `forward` makes it exact).
    const fn spatial<X: Flat>() -> usize {
        if C == 0 || X::LEN < C { 1 } else { X::LEN / C }
    }

    /// Per-channel sums of `f(value, channel)` over the batch, accumulated per sample in f32
    /// (8 partial sums) and across samples in f64.
    fn channel_sums<X: Flat>(x: &[X], f: impl Fn(f32, usize) -> f32) -> [f64; C] {
        let s = Self::spatial::<X>();
        let mut sums = [0.0f64; C];
        for sample in x {
            for ((c, sum), values) in sums.iter_mut().enumerate().zip(sample.as_flat().chunks_exact(s)) {
                *sum += lane_sum_by(values, |v| f(v, c)) as f64;
            }
        }
        sums
    }

    fn forward<X: Flat>(
        &self,
        params: &BatchNormParams<C>,
        state: &BatchNormState<C>,
        x: &[X],
        y: &mut [X],
        cache: &mut BatchNormCache<C>,
        mode: Mode,
    ) {
        const {
            assert!(
                C > 0 && X::LEN >= C && X::LEN % C == 0,
                "batch norm: the sample must be C non-empty channels of equal size"
            )
        };
        let m = x.len() * Self::spatial::<X>();
        cache.count = m;
        cache.training = mode == Mode::Train;
        if cache.training {
            if m == 0 {
                return;
            }
            let sums = Self::channel_sums(x, |v, _| v);
            let mean: [f32; C] = core::array::from_fn(|c| (sums[c] / m as f64) as f32);
            let squares = Self::channel_sums(x, |v, c| (v - mean[c]) * (v - mean[c]));
            cache.mean = mean;
            cache.var = core::array::from_fn(|c| (squares[c] / m as f64) as f32);
        } else {
            cache.mean = state.running_mean;
            cache.var = state.running_var;
        }
        cache.inv_std = core::array::from_fn(|c| 1.0 / libm::sqrtf(cache.var[c] + self.eps));

        let s = Self::spatial::<X>();
        for (x, y) in x.iter().zip(y.iter_mut()) {
            let channels = x.as_flat().chunks_exact(s).zip(y.as_flat_mut().chunks_exact_mut(s));
            for (c, (x, y)) in channels.enumerate().take(C) {
                let scale = params.weight[c] * cache.inv_std[c];
                let shift = params.bias[c] - cache.mean[c] * scale;
                for (y, &x) in y.iter_mut().zip(x) {
                    *y = x * scale + shift;
                }
            }
        }
    }

    fn update_state(&self, state: &mut BatchNormState<C>, cache: &BatchNormCache<C>) {
        if !cache.training || cache.count == 0 {
            return;
        }
        state.num_batches_tracked.increment();
        let m = self.momentum;
        for (running, &mean) in state.running_mean.iter_mut().zip(&cache.mean) {
            *running = (1.0 - m) * *running + m * mean;
        }
        if cache.count > 1 {
            let unbias = cache.count as f32 / (cache.count - 1) as f32;
            for (running, &var) in state.running_var.iter_mut().zip(&cache.var) {
                *running = (1.0 - m) * *running + m * var * unbias;
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn backward<X: Flat>(
        &self,
        params: &BatchNormParams<C>,
        x: &[X],
        dy: &[X],
        cache: &BatchNormCache<C>,
        dx: Option<&mut [X]>,
        grads: &mut BatchNormParams<C>,
        mode: GradMode,
    ) {
        let s = Self::spatial::<X>();
        let (mean, inv_std) = (&cache.mean, &cache.inv_std);
        let mut dgamma = [0.0f64; C];
        let mut dbeta = [0.0f64; C];
        for (x, dy) in x.iter().zip(dy) {
            let channels = x.as_flat().chunks_exact(s).zip(dy.as_flat().chunks_exact(s));
            for (c, (x, dy)) in channels.enumerate().take(C) {
                dbeta[c] += lane_sum(dy) as f64;
                dgamma[c] += (lane_dot(dy, x, mean[c]) * inv_std[c]) as f64;
            }
        }
        let (dgamma, dbeta) = (dgamma.map(|v| v as f32), dbeta.map(|v| v as f32));
        for c in 0..C {
            mode.store(&mut grads.weight[c], dgamma[c]);
            mode.store(&mut grads.bias[c], dbeta[c]);
        }

        let Some(dx) = dx else { return };
        if cache.training {
            let m = cache.count.max(1) as f32;
            for (dx, (x, dy)) in dx.iter_mut().zip(x.iter().zip(dy)) {
                let channels = dx.as_flat_mut().chunks_exact_mut(s).zip(x.as_flat().chunks_exact(s));
                for (c, ((dx, x), dy)) in channels.zip(dy.as_flat().chunks_exact(s)).enumerate().take(C) {
                    let scale = params.weight[c] * inv_std[c];
                    let (mean_g, mean_gx) = (dbeta[c] / m, dgamma[c] / m);
                    for ((dx, &x), &g) in dx.iter_mut().zip(x).zip(dy) {
                        let x_hat = (x - mean[c]) * inv_std[c];
                        *dx = scale * (g - mean_g - x_hat * mean_gx);
                    }
                }
            }
        } else {
            for (dx, dy) in dx.iter_mut().zip(dy) {
                let channels = dx.as_flat_mut().chunks_exact_mut(s).zip(dy.as_flat().chunks_exact(s));
                for (c, (dx, dy)) in channels.enumerate().take(C) {
                    let scale = params.weight[c] * inv_std[c];
                    for (dx, &g) in dx.iter_mut().zip(dy) {
                        *dx = scale * g;
                    }
                }
            }
        }
    }
}

/// The sum of `values`, with 8 partial sums: vectorised, and more accurate than one
/// running sum.
#[inline(always)]
pub(super) fn lane_sum(values: &[f32]) -> f32 {
    lane_sum_by(values, |v| v)
}

/// `Σ f(v)` over `values`, with 8 partial sums.
#[inline(always)]
fn lane_sum_by(values: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let (chunks, tail) = values.as_chunks::<8>();
    let mut lanes = [0.0f32; 8];
    for chunk in chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane += f(v);
        }
    }
    lanes.iter().sum::<f32>() + tail.iter().map(|&v| f(v)).sum::<f32>()
}

/// `Σ g·(x - shift)` over paired values, with 8 partial sums.
#[inline(always)]
fn lane_dot(g: &[f32], x: &[f32], shift: f32) -> f32 {
    let ((g_chunks, g_tail), (x_chunks, x_tail)) = (g.as_chunks::<8>(), x.as_chunks::<8>());
    let mut lanes = [0.0f32; 8];
    for (g, x) in g_chunks.iter().zip(x_chunks) {
        for ((lane, &g), &x) in lanes.iter_mut().zip(g).zip(x) {
            *lane += g * (x - shift);
        }
    }
    lanes.iter().sum::<f32>() + g_tail.iter().zip(x_tail).map(|(&g, &x)| g * (x - shift)).sum::<f32>()
}

/// Implements [`Forward`] and [`Layer`] for a batch norm type on samples `$input` with `$c` channels.
macro_rules! batch_norm_layer {
    ($name:ident < $(const $param:ident),* >, $input:ty, $c:expr) => {
        impl<$(const $param: usize),*> $name<$($param),*> {
            fn core(&self) -> Core<{ $c }> {
                Core { momentum: self.momentum, eps: self.eps }
            }
        }

        impl<$(const $param: usize),*> Forward for $name<$($param),*> {
            type Input = $input;
            type Output = $input;
            type Params = BatchNormParams<{ $c }>;
            type State = BatchNormState<{ $c }>;
            type Scratch<const B: usize> = ();

            /// Normalises with the running statistics.
            fn infer<const B: usize>(
                &self,
                params: &Self::Params,
                state: &Self::State,
                x: &[$input],
                y: &mut [$input],
                _: &mut (),
            ) {
                let mut cache = crate::flat::zeroed::<BatchNormCache<{ $c }>>();
                self.core().forward(params, state, x, y, &mut cache, Mode::Eval);
            }

            /// `weight`, `bias`, `running_mean` and `running_var`, each `[channels]`, and
            /// the counter `num_batches_tracked`, as PyTorch's batch norm.
            fn visit_tensors<V: TensorVisitor>(
                &self,
                params: &mut Self::Params,
                state: &mut Self::State,
                path: &TensorPath<'_>,
                v: &mut V,
            ) {
                v.tensor(&path.child("weight"), &[$c], &mut params.weight);
                v.tensor(&path.child("bias"), &[$c], &mut params.bias);
                v.tensor(&path.child("running_mean"), &[$c], &mut state.running_mean);
                v.tensor(&path.child("running_var"), &[$c], &mut state.running_var);
                let mut count = state.num_batches_tracked.get();
                v.counter(&path.child("num_batches_tracked"), &mut count);
                state.num_batches_tracked = BatchCount::new(count).unwrap_or(state.num_batches_tracked);
            }
        }

        impl<$(const $param: usize),*> Layer for $name<$($param),*> {
            type Cache<const B: usize> = BatchNormCache<{ $c }>;

            /// `γ = 1`, `β = 0`, running mean 0 and running variance 1, as PyTorch.
            fn init<R: RngCore + ?Sized>(&self, params: &mut Self::Params, state: &mut Self::State, _: &mut R) {
                Core::init(params, state);
            }

            fn forward<const B: usize>(
                &self,
                params: &Self::Params,
                state: &Self::State,
                x: &[$input],
                y: &mut [$input],
                cache: &mut Self::Cache<B>,
                mode: Mode,
            ) {
                self.core().forward(params, state, x, y, cache, mode);
            }

            fn update_state<const B: usize>(&self, state: &mut Self::State, cache: &Self::Cache<B>) {
                self.core().update_state(state, cache);
            }

            fn backward<const B: usize>(
                &self,
                params: &Self::Params,
                x: &[$input],
                _y: &[$input],
                dy: &[$input],
                cache: &mut Self::Cache<B>,
                dx: Option<&mut [$input]>,
                grads: &mut Self::Params,
                mode: GradMode,
            ) {
                self.core().backward(params, x, dy, cache, dx, grads, mode);
            }
        }
    };
}

batch_norm_layer!(BatchNorm1d<const N>, [f32; N], N);
batch_norm_layer!(BatchNorm2d<const C, const H, const W>, [[[f32; W]; H]; C], C);

#[cfg(test)]
mod tests {
    use super::BatchCount;

    #[test]
    fn batch_counts_are_exact_across_the_split_and_stop_at_the_maximum() {
        for value in [0, 1, (1 << 24) - 1, 1 << 24, (1 << 24) + 1, 470 << 30, BatchCount::MAX] {
            assert_eq!(BatchCount::new(value).unwrap().get(), value);
        }
        let mut count = BatchCount::new((1 << 24) - 1).unwrap();
        count.increment();
        assert_eq!(count.get(), 1 << 24, "the low part carries into the high part");
        let mut full = BatchCount::new(BatchCount::MAX).unwrap();
        full.increment();
        assert_eq!(full.get(), BatchCount::MAX);
        assert!(BatchCount::new(BatchCount::MAX + 1).is_none());
    }
}
