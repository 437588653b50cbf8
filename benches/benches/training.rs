//! Training-step and inference times of staticnet MLPs, each next to a baseline doing the
//! same arithmetic through `matrixmultiply::sgemm` (which allocates a packing buffer per
//! call), measured in the same run. Compare the two rows of a group as a ratio.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use staticnet::gemm::Kernel;
use staticnet::prelude::*;
use std::hint::black_box;

network! {
    struct Mnist128 { input: [784], fc1: Dense(128), Relu, fc2: Dense(10) }
}
network! {
    struct Small { input: [64], fc1: Dense(32), Relu, fc2: Dense(10) }
}
network! {
    struct Wide { input: [784], fc1: Dense(512), Relu, fc2: Dense(512), Relu, fc3: Dense(10) }
}

fn train_step<N, const B: usize>(c: &mut Criterion, name: &str, widths: &[usize])
where
    N: Layer<Output = [f32; 10]> + Default,
{
    let mut model = Model::<N>::new_boxed(0);
    let mut ws = Workspace::<N, B>::new_boxed();
    let mut sgd = Sgd::new(0.01);
    let x: Vec<N::Input> = (0..B).map(|r| sample::<N>(r)).collect();
    let y: Vec<usize> = (0..B).map(|r| r % 10).collect();
    let mut baseline = Baseline::new(widths, B);
    let flat_x: Vec<f32> = x.iter().flat_map(|s| s.as_flat().to_vec()).collect();

    let mut group = c.benchmark_group(format!("train_step/{name}/batch{B}"));
    group.bench_function("staticnet", |b| {
        b.iter(|| ws.train_step(&mut model, black_box(&x), &y, &CrossEntropyLoss, &mut sgd).unwrap())
    });
    group.bench_function("matrixmultiply", |b| b.iter(|| baseline.train_step(black_box(&flat_x), &y, 0.01)));
    group.finish();
}

fn sample<N: Layer>(r: usize) -> N::Input {
    let mut s = N::Input::zeroed();
    for (i, v) in s.as_flat_mut().iter_mut().enumerate() {
        *v = ((i * 7 + r * 13) % 17) as f32 / 17.0;
    }
    s
}

fn inference<N: Layer<Output = [f32; 10]> + Default>(c: &mut Criterion, name: &str, widths: &[usize]) {
    let model = Model::<N>::new_boxed(0);
    let mut ws = Workspace::<N, 1>::new_boxed();
    let x = sample::<N>(3);
    let mut baseline = Baseline::new(widths, 1);
    let flat_x = x.as_flat().to_vec();
    let mut group = c.benchmark_group(format!("inference/{name}/single"));
    group.bench_function("staticnet", |b| b.iter(|| argmax(ws.predict(&model, black_box(&x)))));
    group.bench_function("matrixmultiply", |b| b.iter(|| baseline.predict(black_box(&flat_x))));
    // The floor of one-sample inference: reading every parameter once, from the cache it
    // stays in between calls (L2 for 784-128-10's 407 KB); the ratio to `staticnet` is how
    // close inference comes to the bandwidth.
    group.throughput(Throughput::Bytes(N::PARAMS as u64 * 4));
    group.bench_function("read_parameters", |b| b.iter(|| sum(black_box(model.params.as_flat()))));
    group.finish();
}

/// The sum of `values` in 64 independent lanes, compiled for AVX-512 where the processor has
/// it, so that loads, not additions, bound it.
fn sum(values: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx512f") {
        // SAFETY: the processor has AVX-512F, checked just above.
        return unsafe { sum_avx512(values) };
    }
    sum_lanes(values)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn sum_avx512(values: &[f32]) -> f32 {
    sum_lanes(values)
}

#[inline(always)]
fn sum_lanes(values: &[f32]) -> f32 {
    let (chunks, tail) = values.as_chunks::<64>();
    let mut lanes = [0.0f32; 64];
    for chunk in chunks {
        for (l, v) in lanes.iter_mut().zip(chunk) {
            *l += v;
        }
    }
    lanes.iter().sum::<f32>() + tail.iter().sum::<f32>()
}

/// The same MLP (dense layers with ReLU between, softmax cross-entropy, SGD) on plain
/// vectors, every product through `matrixmultiply::sgemm`. Buffers are allocated once.
struct Baseline {
    widths: Vec<usize>,
    rows: usize,
    weights: Vec<Vec<f32>>,
    biases: Vec<Vec<f32>>,
    grads_w: Vec<Vec<f32>>,
    grads_b: Vec<Vec<f32>>,
    acts: Vec<Vec<f32>>,
    deltas: Vec<Vec<f32>>,
}

impl Baseline {
    fn new(widths: &[usize], rows: usize) -> Self {
        let layers = widths.len() - 1;
        let w = |l: usize| vec![0.01f32; widths[l] * widths[l + 1]];
        Baseline {
            widths: widths.to_vec(),
            rows,
            weights: (0..layers).map(w).collect(),
            biases: (0..layers).map(|l| vec![0.0; widths[l + 1]]).collect(),
            grads_w: (0..layers).map(w).collect(),
            grads_b: (0..layers).map(|l| vec![0.0; widths[l + 1]]).collect(),
            acts: (0..layers).map(|l| vec![0.0; rows * widths[l + 1]]).collect(),
            deltas: (0..layers).map(|l| vec![0.0; rows * widths[l + 1]]).collect(),
        }
    }

    /// `c (m x n) = alpha a b + beta c` with explicit strides.
    #[allow(clippy::too_many_arguments)]
    fn gemm(
        m: usize,
        k: usize,
        n: usize,
        a: &[f32],
        rsa: isize,
        csa: isize,
        b: &[f32],
        rsb: isize,
        csb: isize,
        c: &mut [f32],
        beta: f32,
    ) {
        // SAFETY: the strides describe matrices inside the given slices (checked by the
        // callers' sizes); matrixmultiply reads a and b and writes c only.
        unsafe {
            matrixmultiply::sgemm(
                m,
                k,
                n,
                1.0,
                a.as_ptr(),
                rsa,
                csa,
                b.as_ptr(),
                rsb,
                csb,
                beta,
                c.as_mut_ptr(),
                n as isize,
                1,
            )
        }
    }

    fn forward(&mut self, x: &[f32], rows: usize) {
        let layers = self.weights.len();
        for l in 0..layers {
            let (fan_in, fan_out) = (self.widths[l], self.widths[l + 1]);
            let (before, after) = self.acts.split_at_mut(l);
            let input = if l == 0 { x } else { &before[l - 1][..] };
            let out = &mut after[0][..rows * fan_out];
            for row in out.chunks_mut(fan_out) {
                row.copy_from_slice(&self.biases[l]);
            }
            // out = input (rows x in) * W^T (in x out), W stored [out, in].
            Self::gemm(
                rows,
                fan_in,
                fan_out,
                input,
                fan_in as isize,
                1,
                &self.weights[l],
                1,
                fan_in as isize,
                out,
                1.0,
            );
            if l + 1 < layers {
                out.iter_mut().for_each(|v| *v = v.max(0.0));
            }
        }
    }

    fn predict(&mut self, x: &[f32]) -> usize {
        self.forward(x, 1);
        let out = &self.acts[self.weights.len() - 1][..10];
        (0..10).fold(0, |best, i| if out[i] > out[best] { i } else { best })
    }

    fn train_step(&mut self, x: &[f32], y: &[usize], lr: f32) -> f32 {
        let rows = self.rows;
        self.forward(x, rows);
        let layers = self.weights.len();
        let mut loss = 0.0;
        {
            let out = &self.acts[layers - 1];
            let delta = &mut self.deltas[layers - 1];
            for ((o, d), &label) in out.chunks(10).zip(delta.chunks_mut(10)).zip(y) {
                let max = o.iter().fold(f32::MIN, |m, &v| m.max(v));
                let sum: f32 = o.iter().map(|v| (v - max).exp()).sum();
                loss += sum.ln() + max - o[label];
                for (d, v) in d.iter_mut().zip(o) {
                    *d = (v - max).exp() / sum / rows as f32;
                }
                d[label] -= 1.0 / rows as f32;
            }
        }
        for l in (0..layers).rev() {
            let (fan_in, fan_out) = (self.widths[l], self.widths[l + 1]);
            let input = if l == 0 { x } else { &self.acts[l - 1][..] };
            let delta = &self.deltas[l];
            // dW (out x in) = delta^T (out x rows) * input (rows x in).
            Self::gemm(
                fan_out,
                rows,
                fan_in,
                delta,
                1,
                fan_out as isize,
                input,
                fan_in as isize,
                1,
                &mut self.grads_w[l],
                0.0,
            );
            self.grads_b[l].iter_mut().for_each(|b| *b = 0.0);
            for row in delta.chunks(fan_out) {
                self.grads_b[l].iter_mut().zip(row).for_each(|(b, d)| *b += d);
            }
            if l > 0 {
                let (before, after) = self.deltas.split_at_mut(l);
                let prev = &mut before[l - 1];
                // d_input (rows x in) = delta (rows x out) * W (out x in), masked by ReLU.
                Self::gemm(
                    rows,
                    fan_out,
                    fan_in,
                    &after[0],
                    fan_out as isize,
                    1,
                    &self.weights[l],
                    fan_in as isize,
                    1,
                    prev,
                    0.0,
                );
                prev.iter_mut().zip(&self.acts[l - 1]).for_each(|(d, &a)| {
                    if a <= 0.0 {
                        *d = 0.0
                    }
                });
            }
        }
        for l in 0..layers {
            self.weights[l].iter_mut().zip(&self.grads_w[l]).for_each(|(w, g)| *w -= lr * g);
            self.biases[l].iter_mut().zip(&self.grads_b[l]).for_each(|(b, g)| *b -= lr * g);
        }
        loss / rows as f32
    }
}

/// One optimizer step on the 784-512-512-10 parameter block, with the update compiled for
/// each kernel set the processor runs (`portable` is the baseline: x86-64's SSE2, 4
/// lanes); the throughput is the memory traffic the update must do: `floats_per_param`
/// reads and writes of 4 bytes.
fn optimizer_step<O: ElementwiseOptimizer<Wide>>(
    c: &mut Criterion,
    name: &str,
    optimizer: &mut O,
    floats_per_param: u64,
) {
    let mut model = Model::<Wide>::new_boxed(0);
    let mut grads = Model::<Wide>::new_boxed(1);
    grads.params.as_flat_mut().iter_mut().for_each(|g| *g *= 1e-3);
    let mut group = c.benchmark_group(format!("optimizer_step/784-512-512-10/{name}"));
    group.throughput(Throughput::Bytes(Wide::PARAMS as u64 * floats_per_param * 4));
    for kernel in Kernel::available() {
        group.bench_function(kernel.name(), |b| {
            b.iter(|| {
                optimizer.begin_step();
                let (params, grads) = (model.params.as_flat_mut(), black_box(grads.params.as_flat()));
                optimizer.with_rule(&mut |rule, state| rule.update_with(kernel, params, grads, state));
            })
        });
    }
    group.finish();
}

fn optimizers(c: &mut Criterion) {
    // Floats moved per parameter: read p and g, write p, plus each state buffer read and written.
    optimizer_step(c, "sgd", &mut Sgd::new(1e-3), 3);
    optimizer_step(c, "momentum", &mut *Momentum::new_boxed(1e-3, 0.9), 5);
    let mut nesterov = Momentum::new_boxed(1e-3, 0.9);
    nesterov.nesterov = true;
    optimizer_step(c, "nesterov", &mut *nesterov, 5);
    optimizer_step(c, "adagrad", &mut *Adagrad::new_boxed(1e-2), 5);
    optimizer_step(c, "rmsprop", &mut *RmsProp::<Wide>::new_boxed(1e-3), 5);
    optimizer_step(c, "adam", &mut *Adam::<Wide>::new_boxed(1e-3), 7);
    optimizer_step(c, "adamax", &mut *Adamax::new_boxed(2e-3), 7);
    optimizer_step(c, "nadam", &mut *NAdam::new_boxed(2e-3), 7);
    optimizer_step(c, "adamw", &mut *AdamW::<Wide>::new_boxed(1e-3), 7);
}

network! {
    /// The network of `examples/mnist_cnn.rs`.
    struct Cnn {
        input: [1, 28, 28],
        conv1: Conv2d(8, kernel_size = 3, padding = 1),
        bn1: BatchNorm,
        Relu,
        pool1: MaxPool2d(2),
        conv2: Conv2d(16, kernel_size = 3, padding = 1),
        bn2: BatchNorm,
        Relu,
        pool2: MaxPool2d(2),
        flat: Flatten,
        fc1: Dense(64),
        Relu,
        drop: Dropout(0.3),
        fc2: Dense(10),
    }
}

fn cnn(c: &mut Criterion) {
    let mut model = Model::<Cnn>::new_boxed(0);
    let mut ws = Workspace::<Cnn, 32>::new_boxed();
    let mut adam = Adam::<Cnn>::new_boxed(1e-3);
    let x: Vec<<Cnn as Forward>::Input> = (0..32).map(sample::<Cnn>).collect();
    let y: Vec<usize> = (0..32).map(|r| r % 10).collect();
    c.bench_function("train_step/mnist_cnn/batch32", |b| {
        b.iter(|| ws.train_step(&mut model, black_box(&x), &y, &CrossEntropyLoss, adam.as_mut()).unwrap())
    });
    conv::<1, 28, 28, 8, 28, 28>(c, "conv 1->8 3x3 pad 1 on 28x28");
    conv::<8, 14, 14, 16, 14, 14>(c, "conv 8->16 3x3 pad 1 on 14x14");
}

/// Forward and backward (weight and input gradients, and weight gradients alone) of a 3x3
/// convolution with padding 1, batch 32.
fn conv<const C: usize, const H: usize, const W: usize, const OC: usize, const OH: usize, const OW: usize>(
    c: &mut Criterion,
    name: &str,
) {
    type Conv<const C: usize, const H: usize, const W: usize, const OC: usize, const OH: usize, const OW: usize> =
        staticnet::layers::Conv2d<C, H, W, OC, 3, 3, 1, 1, 1, 1, OH, OW>;
    let layer = Conv::<C, H, W, OC, OH, OW>::default();
    let model = Model::<Conv<C, H, W, OC, OH, OW>>::new_boxed(0);
    let x: Vec<[[[f32; W]; H]; C]> = (0..32).map(sample::<Conv<C, H, W, OC, OH, OW>>).collect();
    let mut y = vec![[[[0.0f32; OW]; OH]; OC]; 32];
    let mut dx = vec![[[[0.0f32; W]; H]; C]; 32];
    let mut grads = Model::<Conv<C, H, W, OC, OH, OW>>::new_boxed(1);
    let mut cache = staticnet::flat::boxed_zeroed::<<Conv<C, H, W, OC, OH, OW> as Layer>::Cache<32>>();
    let cache = cache.as_mut();
    let mut group = c.benchmark_group(format!("conv/{name}/batch32"));
    group.bench_function("forward", |b| {
        b.iter(|| layer.forward::<32>(&model.params, &model.state, black_box(&x), &mut y, cache, Mode::Train))
    });
    // "backward_weights" without the input gradient, as the first layer of a network runs.
    for (name, input_gradient) in [("backward", true), ("backward_weights", false)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let dx = if input_gradient { Some(dx.as_mut_slice()) } else { None };
                layer.backward::<32>(
                    &model.params,
                    &x,
                    &y,
                    black_box(&y),
                    cache,
                    dx,
                    &mut grads.params,
                    GradMode::Overwrite,
                )
            })
        });
    }
    group.finish();
}

/// One Adam step of network `N` at batch `B` on one thread (a [`Workspace`]) and with the
/// batch split over 1 thread and every core ([`ParallelWorkspace`]): the speedup of every core,
/// and the cost of a thread where it does not pay (which sets `default_threads`).
fn threads<N, const B: usize>(c: &mut Criterion, name: &str)
where
    N: Layer<Output = [f32; 10]> + Default,
{
    let x: Vec<N::Input> = (0..B).map(|r| sample::<N>(r)).collect();
    let y: Vec<usize> = (0..B).map(|r| r % 10).collect();
    let mut group = c.benchmark_group(format!("threads/{name}/batch{B}/adam"));
    let mut model = Model::<N>::new_boxed(0);
    let mut adam = Adam::<N>::new_boxed(1e-4);
    let mut ws = Workspace::<N, B>::new_boxed();
    group.bench_function("workspace", |b| {
        b.iter(|| ws.train_step(&mut model, black_box(&x), &y, &CrossEntropyLoss, &mut *adam).unwrap())
    });
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    for threads in if cores > 1 { vec![1, cores] } else { vec![1] } {
        let mut ws = ParallelWorkspace::<N, B>::new_boxed(threads).unwrap();
        group.bench_function(format!("parallel_{threads}"), |b| {
            b.iter(|| ws.train_step(&mut model, black_box(&x), &y, &CrossEntropyLoss, &mut *adam).unwrap())
        });
    }
    group.finish();
}

fn parallel(c: &mut Criterion) {
    threads::<Wide, 128>(c, "784-512-512-10");
    threads::<Mnist128, 32>(c, "784-128-10");
    threads::<Small, 16>(c, "64-32-10");
    threads::<Cnn, 32>(c, "mnist_cnn");
}

fn benches(c: &mut Criterion) {
    train_step::<Mnist128, 32>(c, "784-128-10", &[784, 128, 10]);
    train_step::<Small, 16>(c, "64-32-10", &[64, 32, 10]);
    train_step::<Wide, 128>(c, "784-512-512-10", &[784, 512, 512, 10]);
    inference::<Mnist128>(c, "784-128-10", &[784, 128, 10]);
    inference::<Small>(c, "64-32-10", &[64, 32, 10]);
}

criterion_group! {
    name = training;
    config = Criterion::default().sample_size(30).warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(2));
    targets = benches, cnn, optimizers, parallel
}
criterion_main!(training);
