//! Kernels compiled for x86-64 vector extensions, chosen at run time: AVX-512 (32
//! registers of 16 lanes, so larger blocks) and AVX2 with FMA (16 registers of 8 lanes).

use super::arith::Fused;
use super::{nn, nt, nt_packed, tn};

/// Rows from which packing `B` for the forward product pays off (measured).
const PACKED_ROWS: usize = 48;

/// Whether this processor has AVX-512F (detected once, then cached by `std`).
#[inline]
pub fn has_avx512() -> bool {
    std::is_x86_feature_detected!("avx512f") && has_avx2_fma()
}

/// Whether this processor has AVX2 and FMA.
#[inline]
pub fn has_avx2_fma() -> bool {
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
}

/// [`super::matmul_nt`]: for many rows, packed panels of 32 columns with blocks of 6 rows;
/// for few, blocks of 4 x 2 dot products of 8 lanes (wider dot blocks measured slower: the
/// compiler no longer keeps their accumulators in registers).
#[target_feature(enable = "avx512f,avx2,fma")]
pub fn matmul_nt_avx512<const K: usize, const N: usize>(
    a: &[[f32; K]],
    b: &[[f32; K]; N],
    bias: &[f32; N],
    c: &mut [[f32; N]],
) {
    if a.len() >= PACKED_ROWS {
        nt_packed::matmul_nt_packed::<Fused, nt::Lanes<Fused, 8>, 32, 6, K, N>(a, b, bias, c)
    } else {
        nt::matmul_nt::<nt::Lanes<Fused, 8>, 4, 2, K, N>(a, b, bias, c)
    }
}

/// [`super::matmul_nn`]: blocks of 6 rows by 32 columns.
#[target_feature(enable = "avx512f,avx2,fma")]
pub fn matmul_nn_avx512<const N: usize, const K: usize>(a: &[[f32; N]], b: &[[f32; K]; N], c: &mut [[f32; K]]) {
    nn::matmul_nn::<Fused, 32, 16, 6, N, K>(a, b, c)
}

/// [`super::matmul_tn`]: blocks of 6 rows by 32 columns.
#[target_feature(enable = "avx512f,avx2,fma")]
pub fn matmul_tn_avx512<const N: usize, const K: usize>(a: &[[f32; N]], b: &[[f32; K]], c: &mut [[f32; K]; N]) {
    tn::matmul_tn::<Fused, 32, 16, 6, N, K>(a, b, c)
}

/// [`super::matmul_nt`]: packed panels of 16 columns with blocks of 4 rows for many rows,
/// blocks of 4 x 2 dot products of 8 lanes for few.
#[target_feature(enable = "avx2,fma")]
pub fn matmul_nt_avx2<const K: usize, const N: usize>(
    a: &[[f32; K]],
    b: &[[f32; K]; N],
    bias: &[f32; N],
    c: &mut [[f32; N]],
) {
    if a.len() >= PACKED_ROWS {
        nt_packed::matmul_nt_packed::<Fused, nt::Lanes<Fused, 8>, 16, 4, K, N>(a, b, bias, c)
    } else {
        nt::matmul_nt::<nt::Lanes<Fused, 8>, 4, 2, K, N>(a, b, bias, c)
    }
}

/// [`super::matmul_nn`]: blocks of 4 rows by 16 columns.
#[target_feature(enable = "avx2,fma")]
pub fn matmul_nn_avx2<const N: usize, const K: usize>(a: &[[f32; N]], b: &[[f32; K]; N], c: &mut [[f32; K]]) {
    nn::matmul_nn::<Fused, 16, 8, 4, N, K>(a, b, c)
}

/// [`super::matmul_tn`]: blocks of 4 rows by 16 columns.
#[target_feature(enable = "avx2,fma")]
pub fn matmul_tn_avx2<const N: usize, const K: usize>(a: &[[f32; N]], b: &[[f32; K]], c: &mut [[f32; K]; N]) {
    tn::matmul_tn::<Fused, 16, 8, 4, N, K>(a, b, c)
}
