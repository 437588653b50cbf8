//! `C = start + A B`, by broadcasting: each block of `C` (`R` rows by `WIDTH` columns, 4 by
//! 16 with AVX2) is kept in registers while the rows of `B` stream past, each scaled by one
//! element of `A`. Column strips are the outer loop, so a strip of `B` stays in cache for
//! every row block; for many rows and a large `B`, [`matmul_packed`] first copies the strip
//! into a contiguous panel, which stays in the L1 cache where `B`'s own rows would not.
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
        strip::<M, A, T, T, R, WIDTH>(start, (a, 0), (b, col), c, col);
        col += WIDTH;
    }
    narrow_strips::<M, A, T, R, R8, WIDTH, HALF>(start, a, b, c, col);
}

/// Depth of a packed panel of `B` in [`matmul_packed`]: `PANEL_DEPTH x WIDTH` f32 (32 KiB
/// for a width of 32, 16 KiB for 16).
#[cfg(all(feature = "std", target_arch = "x86_64"))]
const PANEL_DEPTH: usize = 256;

/// [`matmul`] for many rows of `A` and a large `B`: each strip of `WIDTH` columns of `B` is
/// first copied, `PANEL_DEPTH` rows at a time, into a contiguous panel on the stack, and
/// every block of rows then runs over the panel. Rows of `B` that are a power of two bytes apart (512
/// values, 2 KiB) fall into few sets of the L1 cache, so without the copy every block of
/// rows reads the strip from L2 again; the copy reads `B` once per call. The columns left
/// after the strips are not packed.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[inline(always)]
pub fn matmul_packed<
    M: MulAdd,
    A: Flat,
    T: Flat,
    const R: usize,
    const R8: usize,
    const WIDTH: usize,
    const HALF: usize,
>(
    start: Start<'_>,
    a: &[A],
    b: &[T],
    c: &mut [T],
) {
    if A::LEN * T::LEN <= super::panel::SMALL_B {
        return matmul::<M, A, T, R, R8, WIDTH, HALF>(start, a, b, c);
    }
    let mut panel = [[0.0f32; WIDTH]; PANEL_DEPTH];
    let mut col = 0;
    while col + WIDTH <= T::LEN {
        let mut depth_start = 0;
        while depth_start < A::LEN {
            let depth = (A::LEN - depth_start).min(PANEL_DEPTH);
            let b_rows = b.get(depth_start..).unwrap_or_default();
            super::panel::pack_columns(b_rows, col, &mut panel[..depth]);
            let pass = if depth_start == 0 { start } else { Start::Accumulate };
            let panel = &panel[..depth.min(b_rows.len())];
            strip::<M, A, [f32; WIDTH], T, R, WIDTH>(pass, (a, depth_start), (panel, 0), c, col);
            depth_start += depth;
        }
        col += WIDTH;
    }
    narrow_strips::<M, A, T, R, R8, WIDTH, HALF>(start, a, b, c, col);
}

/// The columns from `col` on, fewer than `WIDTH`: a strip of `HALF`, then 8, 4 and 1.
#[inline(always)]
fn narrow_strips<
    M: MulAdd,
    A: Flat,
    T: Flat,
    const R: usize,
    const R8: usize,
    const WIDTH: usize,
    const HALF: usize,
>(
    start: Start<'_>,
    a: &[A],
    b: &[T],
    c: &mut [T],
    mut col: usize,
) {
    if HALF > 8 && col + HALF <= T::LEN {
        strip::<M, A, T, T, R, HALF>(start, (a, 0), (b, col), c, col);
        col += HALF;
    }
    if WIDTH > 8 && col + 8 <= T::LEN {
        strip::<M, A, T, T, R8, 8>(start, (a, 0), (b, col), c, col);
        col += 8;
    }
    if WIDTH > 4 && col + 4 <= T::LEN {
        strip::<M, A, T, T, R, 4>(start, (a, 0), (b, col), c, col);
        col += 4;
    }
    while col < T::LEN {
        strip::<M, A, T, T, R, 1>(start, (a, 0), (b, col), c, col);
        col += 1;
    }
}

/// Columns `col .. col + WIDTH` of every row of `c`, from values `from ..` of the rows of
/// `a` and the rows of `b` (columns `b_col ..`; `b` is `B` itself, or a packed panel).
#[inline(always)]
pub(super) fn strip<M: MulAdd, A: Flat, B: Flat, T: Flat, const R: usize, const WIDTH: usize>(
    start: Start<'_>,
    (a, from): (&[A], usize),
    b: (&[B], usize),
    c: &mut [T],
    col: usize,
) {
    let mut a_blocks = a.chunks_exact(R);
    let mut c_blocks = c.chunks_exact_mut(R);
    let mut row = 0;
    for (a_rows, c_rows) in (&mut a_blocks).zip(&mut c_blocks) {
        if let (Ok(a_rows), Ok(c_rows)) = (<&[A; R]>::try_from(a_rows), <&mut [T; R]>::try_from(c_rows)) {
            block::<M, A, B, T, R, WIDTH>(start, row, (a_rows, from), b, c_rows, col);
        }
        row += R;
    }
    let (a_rest, c_rest) = (a_blocks.remainder(), c_blocks.into_remainder());
    let paired = if R > 2 { a_rest.len().min(c_rest.len()) / 2 * 2 } else { 0 };
    let ((a_pairs, a_rest), (c_pairs, c_rest)) = (a_rest.split_at(paired), c_rest.split_at_mut(paired));
    for (a_rows, c_rows) in a_pairs.chunks_exact(2).zip(c_pairs.chunks_exact_mut(2)) {
        if let (Ok(a_rows), Ok(c_rows)) = (<&[A; 2]>::try_from(a_rows), <&mut [T; 2]>::try_from(c_rows)) {
            block::<M, A, B, T, 2, WIDTH>(start, row, (a_rows, from), b, c_rows, col);
        }
        row += 2;
    }
    for (a_row, c_row) in a_rest.iter().zip(c_rest) {
        block::<M, A, B, T, 1, WIDTH>(
            start,
            row,
            (core::array::from_ref(a_row), from),
            b,
            core::array::from_mut(c_row),
            col,
        );
        row += 1;
    }
}

/// Columns `col .. col + WIDTH` of the `R` rows `c`, which are rows `row ..` of the product,
/// from values `from ..` of the rows `a` and columns `b_col ..` of the rows of `b`.
#[inline(always)]
fn block<M: MulAdd, A: Flat, B: Flat, T: Flat, const R: usize, const WIDTH: usize>(
    start: Start<'_>,
    row: usize,
    (a, from): (&[A; R], usize),
    (b, b_col): (&[B], usize),
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
    let a = a.each_ref().map(|a_row| a_row.as_flat().get(from..).unwrap_or_default());
    for (j, b_row) in b.iter().enumerate().take(A::LEN.saturating_sub(from)) {
        let Some(bv) = b_row.as_flat().get(b_col..).and_then(|s| s.first_chunk::<WIDTH>()) else { return };
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
