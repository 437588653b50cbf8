//! `C = A Bᵀ + bias` for few rows of long dot products, in the 16 lanes of AVX-512
//! registers: the forward product of one-sample inference (784-128-10 from 3.35 to 2.91
//! µs on an Intel Xeon, against 2.12 µs to read its weights from L2; `cargo bench --bench
//! training -- inference`).
//!
//! Written with `core::arch` intrinsics because the compiler does not turn 16-lane arrays
//! into registers: `dots::Lanes<_, 16>` compiled for AVX-512 kept its sums on the stack
//! and ran 13x slower. Loads go through `_mm512_setr_ps` of 16 consecutive values, which
//! the compiler emits as one vector load and which needs no raw pointer.
//!
//! Each dot product `a · b` is the same sum whatever block it is computed in: 16 lane
//! sums over `k ≡ lane (mod 16)` in order of `k`, added by `_mm512_reduce_add_ps`, then
//! the `K mod 16` values left, in order. So a row's result does not depend on how many
//! rows the batch has, as with `dots.rs`.

use core::arch::x86_64::{__m512, _mm512_fmadd_ps, _mm512_reduce_add_ps, _mm512_setr_ps, _mm512_setzero_ps};

/// Rows of `A` and of `B` per block with several rows of `A` (8 sums in registers; each
/// step loads 4 + 2 vectors for 8 multiply-adds).
const ROWS: usize = 4;
const COLS: usize = 2;
/// Rows of `B` per block for a single row of `A` (8 sums: one load of `A` for 8 of `B`).
const SINGLE_ROW_COLS: usize = 8;

/// [`super::matmul_nt`] in blocks of [`ROWS`] x [`COLS`] dot products, then single rows
/// [`SINGLE_ROW_COLS`] outputs at a time.
#[target_feature(enable = "avx512f,avx2,fma")]
pub fn matmul_nt<const K: usize, const N: usize>(
    a: &[[f32; K]],
    b: &[[f32; K]; N],
    bias: &[f32; N],
    c: &mut [[f32; N]],
) {
    let mut a_blocks = a.chunks_exact(ROWS);
    let mut c_blocks = c.chunks_exact_mut(ROWS);
    for (a_rows, c_rows) in (&mut a_blocks).zip(&mut c_blocks) {
        let (Ok(a_rows), Ok(c_rows)) =
            (<&[[f32; K]; ROWS]>::try_from(a_rows), <&mut [[f32; N]; ROWS]>::try_from(c_rows))
        else {
            continue;
        };
        outputs::<ROWS, COLS, K, N>(a_rows, b, bias, c_rows);
    }
    for (a_row, c_row) in a_blocks.remainder().iter().zip(c_blocks.into_remainder()) {
        outputs::<1, SINGLE_ROW_COLS, K, N>(core::array::from_ref(a_row), b, bias, core::array::from_mut(c_row));
    }
}

/// Every output of `R` rows, `C` at a time, then one at a time.
#[target_feature(enable = "avx512f,avx2,fma")]
#[inline]
fn outputs<const R: usize, const C: usize, const K: usize, const N: usize>(
    a: &[[f32; K]; R],
    b: &[[f32; K]; N],
    bias: &[f32; N],
    c: &mut [[f32; N]; R],
) {
    let mut blocks = b.chunks_exact(C);
    let mut j = 0;
    for b_rows in &mut blocks {
        let Ok(b_rows) = <&[[f32; K]; C]>::try_from(b_rows) else { continue };
        let d = dots::<R, C, K>(a, b_rows);
        for (c_row, d_row) in c.iter_mut().zip(&d) {
            for (i, d) in d_row.iter().enumerate() {
                c_row[j + i] = d + bias[j + i];
            }
        }
        j += C;
    }
    for b_row in blocks.remainder() {
        let d = dots::<R, 1, K>(a, core::array::from_ref(b_row));
        for (c_row, d_row) in c.iter_mut().zip(&d) {
            c_row[j] = d_row[0] + bias[j];
        }
        j += 1;
    }
}

/// The `R x C` dot products of rows `a` with rows `b`.
#[target_feature(enable = "avx512f,avx2,fma")]
#[inline]
fn dots<const R: usize, const C: usize, const K: usize>(a: &[[f32; K]; R], b: &[[f32; K]; C]) -> [[f32; C]; R] {
    let a_split = a.each_ref().map(|row| row.as_chunks::<16>());
    let b_split = b.each_ref().map(|row| row.as_chunks::<16>());
    let mut sums = [[_mm512_setzero_ps(); C]; R];
    for k in 0..K / 16 {
        let b_k: [__m512; C] = core::array::from_fn(|j| load(&b_split[j].0[k]));
        for (sums_r, (a_chunks, _)) in sums.iter_mut().zip(&a_split) {
            let a_k = load(&a_chunks[k]);
            for (s, b_k) in sums_r.iter_mut().zip(&b_k) {
                *s = _mm512_fmadd_ps(a_k, *b_k, *s);
            }
        }
    }
    core::array::from_fn(|r| {
        core::array::from_fn(|j| {
            let tail = a_split[r].1.iter().zip(b_split[j].1).fold(0.0, |s, (x, y)| x.mul_add(*y, s));
            _mm512_reduce_add_ps(sums[r][j]) + tail
        })
    })
}

/// 16 consecutive values as one register.
#[target_feature(enable = "avx512f")]
#[inline]
fn load(v: &[f32; 16]) -> __m512 {
    _mm512_setr_ps(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15])
}
