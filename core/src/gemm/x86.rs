//! The kernels compiled for x86-64 vector extensions: AVX-512 (32 registers of 16 lanes, so
//! larger blocks) and AVX2 with FMA (16 registers of 8 lanes). Each function is safe to call
//! only on a processor with its features; [`super::dispatch::Kernel`] proves that.

use super::Start;
use super::arith::Fused;
use super::{broadcast, dots, flat_dots, outer, packed, transposed, wide_dots};
use crate::flat::Flat;

/// Rows from which the broadcast and forward products pack `B` (measured).
const PACKED_ROWS: usize = 48;

/// Whether the forward product of `rows` rows packs a panel (of `B`, or of `A` for at most
/// [`transposed::BATCH`] rows) rather than taking dot blocks: from [`PACKED_ROWS`] rows,
/// and from 16 when `B` has a strip's worth of `WIDTH` rows and `A` as many values as a
/// panel of `B` (panels are zeroed on every call: 32 KiB with AVX-512, 16 KiB with AVX2).
/// With AVX-512 on an Intel Xeon, 32x784x128 ran at 91 GFLOP/s in dot blocks and 113
/// packed; 16x64x32 ran at 53 and 66 in the benchmark, but its training step was 5% slower
/// packed (`cargo bench --bench gemm`, `--bench training`).
fn packs_forward<const K: usize, const N: usize, const WIDTH: usize>(rows: usize) -> bool {
    rows >= PACKED_ROWS || (N >= WIDTH && rows >= 16 && rows * K >= packed::PANEL_DEPTH * WIDTH)
}

/// Dot-product length from which the AVX-512 forward product of few rows takes 16 lanes
/// ([`wide_dots`]): on an Intel Xeon, 32x128x10 ran at 71 GFLOP/s in 8 lanes and 77 in 16,
/// 16x64x32 at 55 and 50 (`cargo bench --bench gemm`).
const WIDE_DOTS_DEPTH: usize = 128;

/// [`super::matmul_nt`]: where [`packs_forward`] says so, packed panels of 32 columns with
/// blocks of 6 rows, or for at most 32 rows the transpose `Cᵀ = B Aᵀ` in blocks of 8 rows
/// of `B` (32x784x128 from 112 to 157 GFLOP/s on an Intel Xeon: the panel holds `A`, not
/// `B`); else dot products, in 16 lanes from [`WIDE_DOTS_DEPTH`] values on and below in
/// blocks of 4 x 2 of 8 lanes compiled for AVX2.
#[target_feature(enable = "avx512f,avx2,fma")]
pub fn matmul_nt_avx512<const K: usize, const N: usize>(
    a: &[[f32; K]],
    b: &[[f32; K]; N],
    bias: &[f32; N],
    c: &mut [[f32; N]],
) {
    if !packs_forward::<K, N, 32>(a.len()) {
        if K >= WIDE_DOTS_DEPTH { wide_dots::matmul_nt(a, b, bias, c) } else { dots_avx2(a, b, bias, c) }
    } else if a.len() <= transposed::BATCH {
        transposed::matmul_nt::<Fused, 8, 32, K, N>(a, b, bias, c)
    } else {
        packed::matmul_nt_packed::<Fused, dots::Lanes<Fused, 8>, 32, 6, K, N>(a, b, bias, c)
    }
}

/// The dot blocks both forward kernels use for few rows, kept out of line so that they are
/// compiled for AVX2 alone. Inlined into the AVX-512 kernel, the same 8-lane code ran
/// 16x32x10 at 17 GFLOP/s and 16x64x32 at 28, against 34 and 46 compiled for AVX2, on an
/// Intel Xeon (`benches/benches/gemm.rs`).
#[inline(never)]
#[target_feature(enable = "avx2,fma")]
fn dots_avx2<const K: usize, const N: usize>(a: &[[f32; K]], b: &[[f32; K]; N], bias: &[f32; N], c: &mut [[f32; N]]) {
    dots::matmul_nt::<dots::Lanes<Fused, 8>, 4, 2, K, N>(a, b, bias, c)
}

/// [`super::matmul_nt_acc_with`] on both vector paths, in 8 lanes ([`flat_dots`]). The
/// AVX-512 path runs it too: Zen 4 splits a 512-bit multiply-add in two, so 8 lanes reach
/// the same peak there.
#[inline(never)]
#[target_feature(enable = "avx2,fma")]
pub fn matmul_nt_acc_avx2<T: Flat, A: Flat>(a: &[T], b: &[T], c: &mut [A], sums: &mut [f32]) {
    flat_dots::row_sums_acc(a, sums);
    flat_dots::matmul_nt_acc(a, b, c)
}

/// [`super::matmul`]: blocks of 8 rows by 32 columns (16 of the 32 vector registers as
/// accumulators), over packed panels of `B` from [`PACKED_ROWS`] rows of `A`. On an Intel
/// Xeon with two 512-bit multiply-add units, blocks of 4 rows (8 sums, as many as the units
/// hold in flight) ran 128x512x512 at 159 GFLOP/s and 32x784x128 at 154, blocks of 8 at 185
/// and 189 (`cargo bench --bench gemm`).
#[target_feature(enable = "avx512f,avx2,fma")]
pub fn matmul_avx512<A: Flat, T: Flat>(start: Start<'_>, a: &[A], b: &[T], c: &mut [T]) {
    if a.len() >= PACKED_ROWS {
        broadcast::matmul_packed::<Fused, A, T, 8, 8, 32, 16>(start, a, b, c)
    } else {
        broadcast::matmul::<Fused, A, T, 8, 8, 32, 16>(start, a, b, c)
    }
}

/// [`super::matmul_tn`]: for results of 64 columns or more, blocks of 4 rows by 64 columns
/// (16 accumulators, 4 vectors of `B` loaded for each 4 broadcast from `A`), else 6 rows by
/// 32; over packed panels of `B` for many rows. On an Intel Xeon, 128x512x512 ran at 171
/// GFLOP/s with blocks of 6 x 32 and 183 with 4 x 64, 128x784x512 at 164 and 175
/// (`cargo bench --bench gemm`). Blocks of 8 x 32 ran at 7: the compiler turned their
/// loads of `A` into gathers.
#[target_feature(enable = "avx512f,avx2,fma")]
pub fn matmul_tn_avx512<const N: usize, const K: usize>(
    start: Start<'_>,
    a: &[[f32; N]],
    b: &[[f32; K]],
    c: &mut [[f32; K]; N],
) {
    if K >= 64 {
        outer::matmul_tn_packed::<Fused, 64, 32, 4, N, K>(start, a, b, c)
    } else {
        outer::matmul_tn_packed::<Fused, 32, 16, 6, N, K>(start, a, b, c)
    }
}

/// [`super::matmul_nt`]: where [`packs_forward`] says so, packed panels of 16 columns with
/// blocks of 6 rows (12 of the 16 vector registers as accumulators: 128x784x512 ran at 48
/// GFLOP/s with blocks of 4 and 69-74 with 6 on an AMD EPYC, Zen 4), or for at most 32 rows
/// the transpose in blocks of 6 rows of `B` (32x784x128 from 90 to 102 on an Intel Xeon);
/// blocks of 4 x 2 dot products of 8 lanes for few rows.
#[target_feature(enable = "avx2,fma")]
pub fn matmul_nt_avx2<const K: usize, const N: usize>(
    a: &[[f32; K]],
    b: &[[f32; K]; N],
    bias: &[f32; N],
    c: &mut [[f32; N]],
) {
    if !packs_forward::<K, N, 16>(a.len()) {
        dots_avx2(a, b, bias, c)
    } else if a.len() <= transposed::BATCH {
        transposed::matmul_nt::<Fused, 6, 16, K, N>(a, b, bias, c)
    } else {
        packed::matmul_nt_packed::<Fused, dots::Lanes<Fused, 8>, 16, 6, K, N>(a, b, bias, c)
    }
}

/// Rows from which the AVX2 gradient products take blocks of 6 rows (12 of the 16 vector
/// registers as accumulators) rather than 4: below, the rows left over after the blocks
/// of 6 cost more than the larger blocks save (measured with `cargo bench --bench gemm`).
const AVX2_ROWS_6: usize = 48;

/// [`super::matmul`]: blocks of 6 rows by 16 columns over packed panels of `B` for many
/// rows, 4 rows over `B` itself for few (8 rows for strips of 8).
#[target_feature(enable = "avx2,fma")]
pub fn matmul_avx2<A: Flat, T: Flat>(start: Start<'_>, a: &[A], b: &[T], c: &mut [T]) {
    if a.len() >= AVX2_ROWS_6 {
        broadcast::matmul_packed::<Fused, A, T, 6, 8, 16, 8>(start, a, b, c)
    } else {
        broadcast::matmul::<Fused, A, T, 4, 8, 16, 8>(start, a, b, c)
    }
}

/// [`super::matmul_tn`]: blocks of 6 rows by 16 columns for many rows of `C` (over packed
/// panels of `B` for many rows of `A`), 4 for few.
#[target_feature(enable = "avx2,fma")]
pub fn matmul_tn_avx2<const N: usize, const K: usize>(
    start: Start<'_>,
    a: &[[f32; N]],
    b: &[[f32; K]],
    c: &mut [[f32; K]; N],
) {
    if N >= AVX2_ROWS_6 {
        outer::matmul_tn_packed::<Fused, 16, 8, 6, N, K>(start, a, b, c)
    } else {
        outer::matmul_tn::<Fused, 16, 8, 4, N, K>(start, a, b, c)
    }
}

/// Runs `f` inside a function compiled for AVX-512: where `f` is inlined (a closure called
/// from one place is), its elementwise loops use 16 lanes.
#[target_feature(enable = "avx512f,avx2,fma")]
pub fn vectorised_avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// [`vectorised_avx512`] for AVX2 (8 lanes).
#[target_feature(enable = "avx2,fma")]
pub fn vectorised_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}
