//! The three matrix products of a dense layer at the layer shapes of the benchmark MLPs,
//! on every kernel set this processor runs (`portable`, `avx2`, `avx512`), in GFLOP/s
//! (criterion's elements per second are floating-point operations, `2·rows·in·out`):
//!
//! - `forward`: `y = x Wᵀ + b` ([`matmul_nt_with`]);
//! - `input_grad`: `dx = dy W` ([`matmul_with`]);
//! - `weight_grad`: `dW = dyᵀ x` ([`matmul_tn_with`]).
//!
//! `benches/compare/compare.py` runs numpy's OpenBLAS, one thread, on the same shapes next
//! to this bench and prints the ratios.
//!
//! `alignment/` runs the two gradient products of the batch-128 layers with every operand
//! starting on a 64-byte cache line and 16 bytes past one (where the system allocator puts
//! large blocks), to show what split cache-line accesses cost.
//!
//! `fma_peak/{avx2,avx512}` measures the multiply-add peak of one core that the convolution
//! shares of the training bench are stated against: independent register-resident sums,
//! nothing loaded or stored.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use staticnet::gemm::{Kernel, Start, matmul_nt_with, matmul_tn_with, matmul_with};
use std::hint::black_box;

/// Deterministic values in [-1, 1).
fn filled<const R: usize, const C: usize>(seed: usize) -> Box<[[f32; C]; R]> {
    let mut m: Box<[[f32; C]; R]> = staticnet::flat::boxed_zeroed();
    for (i, row) in m.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = (((i * 31 + j * 17 + seed) % 101) as f32) / 50.5 - 1.0;
        }
    }
    m
}

/// The three products of a layer from `K` inputs to `N` outputs on a batch of `R` rows.
fn layer<const R: usize, const K: usize, const N: usize>(c: &mut Criterion) {
    let x = filled::<R, K>(1);
    let w = filled::<N, K>(2);
    let dy = filled::<R, N>(3);
    let bias = [0.5f32; N];
    let mut y = filled::<R, N>(0);
    let mut dx = filled::<R, K>(0);
    let mut dw = filled::<N, K>(0);
    let mut group = c.benchmark_group(format!("gemm/{R}x{K}x{N}"));
    group.throughput(Throughput::Elements((2 * R * K * N) as u64));
    for kernel in Kernel::available() {
        let name = kernel.name();
        group.bench_function(format!("forward/{name}"), |b| {
            b.iter(|| matmul_nt_with(kernel, black_box(&x[..]), &w, &bias, &mut y[..]))
        });
        group.bench_function(format!("input_grad/{name}"), |b| {
            b.iter(|| matmul_with(kernel, Start::Zero, black_box(&dy[..]), &w[..], &mut dx[..]))
        });
        group.bench_function(format!("weight_grad/{name}"), |b| {
            b.iter(|| matmul_tn_with(kernel, Start::Zero, black_box(&dy[..]), &x[..], &mut dw))
        });
    }
    group.finish();
}

/// `len` floats starting `shift` floats past a 64-byte boundary, inside `storage`.
fn placed(storage: &mut Vec<f32>, len: usize, shift: usize) -> &mut [f32] {
    storage.resize(len + 32, 0.0);
    let start = (16 - storage.as_ptr() as usize / 4 % 16) % 16 + shift;
    &mut storage[start..start + len]
}

/// The input and weight gradients of a layer from `K` inputs to `N` outputs at `R` rows, with
/// the operands placed on cache lines (`shift` 0) and 16 bytes past them (`shift` 4).
fn alignment<const R: usize, const K: usize, const N: usize>(c: &mut Criterion) {
    let mut group = c.benchmark_group(format!("alignment/{R}x{K}x{N}"));
    group.throughput(Throughput::Elements((2 * R * K * N) as u64));
    for (shift, at) in [(0, "line"), (4, "line+16")] {
        let mut storage: [Vec<f32>; 5] = Default::default();
        let [xs, ws, dys, dxs, dws] = &mut storage;
        let x = placed(xs, R * K, shift);
        x.copy_from_slice(filled::<R, K>(1).as_flattened());
        let w = placed(ws, N * K, shift);
        w.copy_from_slice(filled::<N, K>(2).as_flattened());
        let dy = placed(dys, R * N, shift);
        dy.copy_from_slice(filled::<R, N>(3).as_flattened());
        let (x, w): (&[[f32; K]], &[[f32; K]]) = (x.as_chunks().0, w.as_chunks().0);
        let dy: &[[f32; N]] = dy.as_chunks().0;
        let dx: &mut [[f32; K]] = placed(dxs, R * K, shift).as_chunks_mut().0;
        let Ok(dw) = <&mut [[f32; K]; N]>::try_from(placed(dws, N * K, shift).as_chunks_mut().0) else { return };
        for kernel in Kernel::available().filter(|&k| k != Kernel::portable()) {
            let name = kernel.name();
            group.bench_function(format!("input_grad/{name}/{at}"), |b| {
                b.iter(|| matmul_with(kernel, Start::Zero, black_box(dy), w, &mut *dx))
            });
            group.bench_function(format!("weight_grad/{name}/{at}"), |b| {
                b.iter(|| matmul_tn_with(kernel, Start::Zero, black_box(dy), x, &mut *dw))
            });
        }
    }
    group.finish();
}

fn alignments(c: &mut Criterion) {
    alignment::<128, 784, 512>(c);
    alignment::<128, 512, 512>(c);
    alignment::<128, 512, 10>(c);
}

fn shapes(c: &mut Criterion) {
    // 784-128-10 at batch 32.
    layer::<32, 784, 128>(c);
    layer::<32, 128, 10>(c);
    // 64-32-10 at batch 16.
    layer::<16, 64, 32>(c);
    layer::<16, 32, 10>(c);
    // 784-512-512-10 at batch 128.
    layer::<128, 784, 512>(c);
    layer::<128, 512, 512>(c);
    layer::<128, 512, 10>(c);
    // One gate's input side of `examples/mnist_rows.rs`' LSTM(64): 32 sequences of 28 steps
    // of 28 features.
    layer::<896, 28, 64>(c);
    // Its recurrent step, `h W_hhᵀ` for the 4 gates of 32 sequences (the input gradient of
    // a 256-to-64 layer), and `dL/dh` backwards (of a 64-to-256 layer).
    layer::<32, 256, 64>(c);
    layer::<32, 64, 256>(c);
}

/// Multiply-adds per call of a peak kernel, per accumulator.
const PEAK_STEPS: usize = 1024;

/// 12 independent 16-lane sums, each multiplied and added `PEAK_STEPS` times: enough sums
/// to hide the multiply-add latency (4 cycles, 2 a cycle on Intel's cores), so the
/// throughput of the FMA units bounds it.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
fn peak_avx512(scale: f32, add: f32) -> f32 {
    use std::arch::x86_64::*;
    let (scale, add) = (_mm512_set1_ps(scale), _mm512_set1_ps(add));
    let mut acc = [_mm512_set1_ps(1.0); 12];
    for _ in 0..PEAK_STEPS {
        for sum in acc.iter_mut() {
            *sum = _mm512_fmadd_ps(*sum, scale, add);
        }
    }
    acc.iter().map(|&sum| _mm512_reduce_add_ps(sum)).sum()
}

/// [`peak_avx512`] with 8-lane sums.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn peak_avx2(scale: f32, add: f32) -> f32 {
    use std::arch::x86_64::*;
    let (scale, add) = (_mm256_set1_ps(scale), _mm256_set1_ps(add));
    let mut acc = [_mm256_set1_ps(1.0); 12];
    for _ in 0..PEAK_STEPS {
        for sum in acc.iter_mut() {
            *sum = _mm256_fmadd_ps(*sum, scale, add);
        }
    }
    let mut lanes = [0.0f32; 8];
    let total = acc.iter().fold(_mm256_setzero_ps(), |t, &sum| _mm256_add_ps(t, sum));
    // SAFETY: `lanes` holds 8 f32, the 32 bytes an unaligned 256-bit store writes.
    unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), total) };
    lanes.iter().sum()
}

/// The multiply-add peak of one core in GFLOP/s, on each vector path the processor has.
#[cfg(target_arch = "x86_64")]
fn fma_peak(c: &mut Criterion) {
    let mut group = c.benchmark_group("fma_peak");
    if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("fma") {
        group.throughput(Throughput::Elements((2 * 12 * 16 * PEAK_STEPS) as u64));
        // SAFETY: the processor has AVX-512F and FMA, checked just above.
        group.bench_function("avx512", |b| b.iter(|| unsafe { peak_avx512(black_box(0.999), black_box(1e-3)) }));
    }
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        group.throughput(Throughput::Elements((2 * 12 * 8 * PEAK_STEPS) as u64));
        // SAFETY: the processor has AVX2 and FMA, checked just above.
        group.bench_function("avx2", |b| b.iter(|| unsafe { peak_avx2(black_box(0.999), black_box(1e-3)) }));
    }
    group.finish();
}

#[cfg(not(target_arch = "x86_64"))]
fn fma_peak(_: &mut Criterion) {}

criterion_group! {
    name = gemm;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_millis(200))
        .measurement_time(std::time::Duration::from_millis(600));
    targets = shapes, alignments, fma_peak
}
criterion_main!(gemm);
