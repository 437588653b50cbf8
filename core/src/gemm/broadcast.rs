//! `C = start + A B`, by broadcasting: each block of `C` (`R` rows by `WIDTH` columns, 4 by
//! 16 with AVX2) is kept in registers while the rows of `B` stream past, each scaled by one
//! element of `A`. Column strips are the outer loop, so a strip of `B` stays in cache for
//! every row block.
//!
//! Rows are any [`Flat`] blocks, whose lengths are constants the compiler knows: a dense
//! layer's `[f32; K]` rows, or a convolution's `[[f32; OW]; OH]` images.

use super::Start;
use super::arith::MulAdd;
use crate::flat::Flat;

/// `c[r] = start[r] + Σ_j a[r][j] · b[j]`: rows of `a` have `A::LEN` values (the inner
/// dimension, the number of rows of `b`), rows of `b` and `c` are `T` blocks.
///
/// Columns are done in strips of `WIDTH`, then `HALF`, 8, 4 and 1 for the rest; rows in
/// blocks of `R`, then pairs and single rows. Strips of 8 columns take blocks of `R8` rows,
/// so that products with 8 columns (8 output channels) still have enough independent sums
/// to hide the latency of the multiply-adds.
#[inline(always)]
pub fn matmul<M: MulAdd, A: Flat, T: Flat, const R: usize, const R8: usize, const WIDTH: usize, const HALF: usize>(
    start: Start<'_>,
    a: &[A],
    b: &[T],
    c: &mut [T],
) {
    let mut col = 0;
    while col + WIDTH <= T::LEN {
        strip::<M, A, T, R, WIDTH>(start, a, b, c, col);
        col += WIDTH;
    }
    if HALF > 8 && col + HALF <= T::LEN {
        strip::<M, A, T, R, HALF>(start, a, b, c, col);
        col += HALF;
    }
    if WIDTH > 8 && col + 8 <= T::LEN {
        strip::<M, A, T, R8, 8>(start, a, b, c, col);
        col += 8;
    }
    if WIDTH > 4 && col + 4 <= T::LEN {
        strip::<M, A, T, R, 4>(start, a, b, c, col);
        col += 4;
    }
    while col < T::LEN {
        strip::<M, A, T, R, 1>(start, a, b, c, col);
        col += 1;
    }
}

/// Columns `col .. col + WIDTH` of every row of `c`.
#[inline(always)]
fn strip<M: MulAdd, A: Flat, T: Flat, const R: usize, const WIDTH: usize>(
    start: Start<'_>,
    a: &[A],
    b: &[T],
    c: &mut [T],
    col: usize,
) {
    let mut a_blocks = a.chunks_exact(R);
    let mut c_blocks = c.chunks_exact_mut(R);
    let mut row = 0;
    for (a_rows, c_rows) in (&mut a_blocks).zip(&mut c_blocks) {
        if let (Ok(a_rows), Ok(c_rows)) = (<&[A; R]>::try_from(a_rows), <&mut [T; R]>::try_from(c_rows)) {
            block::<M, A, T, R, WIDTH>(start, row, a_rows, b, c_rows, col);
        }
        row += R;
    }
    let (a_rest, c_rest) = (a_blocks.remainder(), c_blocks.into_remainder());
    let paired = if R > 2 { a_rest.len().min(c_rest.len()) / 2 * 2 } else { 0 };
    let ((a_pairs, a_rest), (c_pairs, c_rest)) = (a_rest.split_at(paired), c_rest.split_at_mut(paired));
    for (a_rows, c_rows) in a_pairs.chunks_exact(2).zip(c_pairs.chunks_exact_mut(2)) {
        if let (Ok(a_rows), Ok(c_rows)) = (<&[A; 2]>::try_from(a_rows), <&mut [T; 2]>::try_from(c_rows)) {
            block::<M, A, T, 2, WIDTH>(start, row, a_rows, b, c_rows, col);
        }
        row += 2;
    }
    for (a_row, c_row) in a_rest.iter().zip(c_rest) {
        block::<M, A, T, 1, WIDTH>(start, row, core::array::from_ref(a_row), b, core::array::from_mut(c_row), col);
        row += 1;
    }
}

/// Columns `col .. col + WIDTH` of the `R` rows `c`, which are rows `row ..` of the product.
#[inline(always)]
fn block<M: MulAdd, A: Flat, T: Flat, const R: usize, const WIDTH: usize>(
    start: Start<'_>,
    row: usize,
    a: &[A; R],
    b: &[T],
    c: &mut [T; R],
    col: usize,
) {
    let mut c = c.each_mut().map(|c_row| c_row.as_flat_mut().get_mut(col..).and_then(|s| s.first_chunk_mut::<WIDTH>()));
    let mut acc = [[0.0f32; WIDTH]; R];
    for (r, (acc_r, c_r)) in acc.iter_mut().zip(&c).enumerate() {
        *acc_r = match (start, c_r) {
            (Start::RowBias(bias), _) => [bias.get(row + r).copied().unwrap_or(0.0); WIDTH],
            (Start::Accumulate, Some(c_r)) => **c_r,
            _ => [0.0; WIDTH],
        };
    }
    let a = a.each_ref().map(Flat::as_flat);
    for (j, b_row) in b.iter().enumerate().take(A::LEN) {
        let Some(bv) = b_row.as_flat().get(col..).and_then(|s| s.first_chunk::<WIDTH>()) else { return };
        for (acc_r, a_row) in acc.iter_mut().zip(&a) {
            let s = a_row[j];
            for l in 0..WIDTH {
                acc_r[l] = M::mul_add(s, bv[l], acc_r[l]);
            }
        }
    }
    for (c_r, acc_r) in c.iter_mut().zip(&acc) {
        if let Some(c_r) = c_r {
            **c_r = *acc_r;
        }
    }
}
