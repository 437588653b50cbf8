//! `C += A Bᵀ` over rows of any [`Flat`] block, by dot products, and the row sums of `A`: a
//! convolution's weight gradient `dW[o][k] += Σ_p dy[o][p] · col[k][p]`, whose dot products
//! run over the output pixels `p` of one sample, and its bias gradient `db[o] += Σ_p dy[o][p]`.
//!
//! For a convolution with fewer output channels than a vector has lanes, the broadcast
//! kernel's form `dWᵀ += col · dyᵀ` fills part of each vector and first transposes `dy`;
//! here every vector is full and `dy` is read as it lies. Conv 1->8, 3x3, on 28x28 at batch
//! 32 (the first layer of `examples/mnist_cnn.rs`): its weight and bias gradients took 174
//! µs as `col · dyᵀ` and 69 µs here with AVX-512, 155 and 69 µs with AVX2, on an AMD EPYC
//! (Zen 4; `cargo bench --bench training -- conv/`).
//!
//! Written with `core::arch` intrinsics in 8 lanes, as `wide_dots.rs` is in 16: the portable
//! form of these blocks (`dots::Lanes`) over rows whose length is not a const parameter
//! compiled to scalar code with its sums on the stack, 10x slower.

use core::arch::x86_64::{
    __m256, _mm_add_ps, _mm_add_ss, _mm_cvtss_f32, _mm_movehl_ps, _mm_shuffle_ps, _mm256_add_ps,
    _mm256_castps256_ps128, _mm256_extractf128_ps, _mm256_fmadd_ps, _mm256_setr_ps, _mm256_setzero_ps,
};

use crate::flat::Flat;

/// Rows of `A` and of `B` per block (8 of the 16 registers as sums; each step loads 4 + 2
/// vectors for 8 multiply-adds). Blocks of 3 x 3 were slower: 75 against 69 µs for conv
/// 1->8's weight gradient (above).
const ROWS: usize = 4;
const COLS: usize = 2;
/// Rows of `B` per block when `A` has a single row left: 6 sums, 6 vectors of `B` and one
/// of `A` in 13 of the 16 registers.
const SINGLE_ROW_COLS: usize = 6;

/// `c[r][j] += Σ_p a[r][p] · b[j][p]` for every row `r` of `a` and `c` and every row `j` of
/// `b` (rows of `c` have one value per row of `b`), in blocks of [`ROWS`] rows of `a` by
/// [`COLS`] of `b`, then single rows of `a`.
#[target_feature(enable = "avx2,fma")]
pub fn matmul_nt_acc<T: Flat, A: Flat>(a: &[T], b: &[T], c: &mut [A]) {
    let mut a_blocks = a.chunks_exact(ROWS);
    let mut c_blocks = c.chunks_exact_mut(ROWS);
    for (a_rows, c_rows) in (&mut a_blocks).zip(&mut c_blocks) {
        let Ok(a_rows) = <&[T; ROWS]>::try_from(a_rows) else { continue };
        add_outputs::<T, A, ROWS, COLS>(a_rows.each_ref(), b, c_rows);
    }
    for (a_row, c_row) in a_blocks.remainder().iter().zip(c_blocks.into_remainder()) {
        add_outputs::<T, A, 1, SINGLE_ROW_COLS>([a_row], b, core::slice::from_mut(c_row));
    }
}

/// `sums[r] += Σ_p a[r][p]` (a convolution's bias gradient `db[o] += Σ_p dy[o][p]`), in 4
/// vectors of lane sums so that no add waits for the one before: over `p ≡ lane (mod 32)`,
/// then the whole vectors left, then the values left, in order.
#[target_feature(enable = "avx2,fma")]
pub fn row_sums_acc<T: Flat>(a: &[T], sums: &mut [f32]) {
    for (row, sum) in a.iter().zip(sums) {
        let (quads, rest) = row.as_flat().as_chunks::<32>();
        let (vectors, values) = rest.as_chunks::<8>();
        let mut lanes = [_mm256_setzero_ps(); 4];
        for quad in quads {
            for (lanes, chunk) in lanes.iter_mut().zip(quad.as_chunks::<8>().0) {
                *lanes = _mm256_add_ps(*lanes, load(chunk));
            }
        }
        for chunk in vectors {
            lanes[0] = _mm256_add_ps(lanes[0], load(chunk));
        }
        let [l0, l1, l2, l3] = lanes;
        *sum += sum_lanes(_mm256_add_ps(_mm256_add_ps(l0, l1), _mm256_add_ps(l2, l3))) + values.iter().sum::<f32>();
    }
}

/// Adds the dot products of the `R` rows `a` with every row of `b` to the rows `c`, `C`
/// rows of `b` at a time, then one at a time.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn add_outputs<T: Flat, A: Flat, const R: usize, const C: usize>(a: [&T; R], b: &[T], c: &mut [A]) {
    let mut b_blocks = b.chunks_exact(C);
    let mut j = 0;
    for b_rows in &mut b_blocks {
        let Ok(b_rows) = <&[T; C]>::try_from(b_rows) else { continue };
        add(&dots(a, b_rows.each_ref()), c, j);
        j += C;
    }
    for b_row in b_blocks.remainder() {
        add(&dots(a, [b_row]), c, j);
        j += 1;
    }
}

/// The `R x C` dot products of rows `a` with rows `b`: 8 lane sums over `p ≡ lane (mod
/// 8)`, added, then the values left after the last 8, in order. Generic over the block
/// type so that its length is a constant even where this is not inlined.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn dots<T: Flat, const R: usize, const C: usize>(a: [&T; R], b: [&T; C]) -> [[f32; C]; R] {
    let (a_split, b_split) = (a.map(|row| row.as_flat().as_chunks::<8>()), b.map(|row| row.as_flat().as_chunks::<8>()));
    let mut sums = [[_mm256_setzero_ps(); C]; R];
    // Written without closures: a closure the compiler does not inline would keep `sums`
    // in memory, stored on every step.
    for k in 0..T::LEN / 8 {
        let mut b_k = [_mm256_setzero_ps(); C];
        for (b_k, (b_chunks, _)) in b_k.iter_mut().zip(&b_split) {
            if let Some(chunk) = b_chunks.get(k) {
                *b_k = load(chunk);
            }
        }
        for (sums_r, (a_chunks, _)) in sums.iter_mut().zip(&a_split) {
            let Some(chunk) = a_chunks.get(k) else { continue };
            let a_k = load(chunk);
            for (s, b_k) in sums_r.iter_mut().zip(&b_k) {
                *s = _mm256_fmadd_ps(a_k, *b_k, *s);
            }
        }
    }
    let mut out = [[0.0; C]; R];
    for ((out_r, sums_r), (_, a_tail)) in out.iter_mut().zip(&sums).zip(&a_split) {
        for ((out, sum), (_, b_tail)) in out_r.iter_mut().zip(sums_r).zip(&b_split) {
            let tail = a_tail.iter().zip(*b_tail).fold(0.0, |s, (x, y)| x.mul_add(*y, s));
            *out = sum_lanes(*sum) + tail;
        }
    }
    out
}

/// The sum of the 8 lanes of `v`, pairwise: `((v0 + v4) + (v2 + v6)) + ((v1 + v5) + (v3 + v7))`.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn sum_lanes(v: __m256) -> f32 {
    let quarter = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
    let half = _mm_add_ps(quarter, _mm_movehl_ps(quarter, quarter));
    _mm_cvtss_f32(_mm_add_ss(half, _mm_shuffle_ps::<1>(half, half)))
}

/// `c[r][j + i] += d[r][i]`.
#[inline(always)]
fn add<A: Flat, const R: usize, const C: usize>(d: &[[f32; C]; R], c: &mut [A], j: usize) {
    for (c_row, d_row) in c.iter_mut().zip(d) {
        for (slot, d) in c_row.as_flat_mut().iter_mut().skip(j).zip(d_row) {
            *slot += d;
        }
    }
}

/// 8 consecutive values as one register.
#[target_feature(enable = "avx2")]
#[inline]
fn load(v: &[f32; 8]) -> __m256 {
    _mm256_setr_ps(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7])
}
