//! `C = A B`: each block of `C` (`ROWS` rows by `WIDTH` columns, 4 by 16 with AVX2) is kept in registers while the
//! rows of `B` stream past, each scaled by one element of `A` (broadcast). Column strips
//! are the outer loop, so a strip of `B` stays in cache for every row block.

use super::arith::MulAdd;

#[inline(always)]
pub fn matmul_nn<
    M: MulAdd,
    const WIDTH: usize,
    const HALF: usize,
    const ROWS: usize,
    const N: usize,
    const K: usize,
>(
    a: &[[f32; N]],
    b: &[[f32; K]; N],
    c: &mut [[f32; K]],
) {
    let mut start = 0;
    while start + WIDTH <= K {
        strip::<M, WIDTH, ROWS, N, K>(a, b, c, start);
        start += WIDTH;
    }
    // The last columns: a half-width strip, then one column at a time.
    if start + HALF <= K {
        strip::<M, HALF, ROWS, N, K>(a, b, c, start);
        start += HALF;
    }
    while start < K {
        strip::<M, 1, ROWS, N, K>(a, b, c, start);
        start += 1;
    }
}

/// Columns `start .. start + W` of every row of `C`.
#[inline(always)]
fn strip<M: MulAdd, const W: usize, const ROWS: usize, const N: usize, const K: usize>(
    a: &[[f32; N]],
    b: &[[f32; K]; N],
    c: &mut [[f32; K]],
    start: usize,
) {
    let mut a_blocks = a.chunks_exact(ROWS);
    let mut c_blocks = c.chunks_exact_mut(ROWS);
    for (a_rows, c_rows) in (&mut a_blocks).zip(&mut c_blocks) {
        let (Ok(a_rows), Ok(c_rows)) =
            (<&[[f32; N]; ROWS]>::try_from(a_rows), <&mut [[f32; K]; ROWS]>::try_from(c_rows))
        else {
            continue;
        };
        block::<M, W, ROWS, N, K>(a_rows, b, c_rows, start);
    }
    for (a_row, c_row) in a_blocks.remainder().iter().zip(c_blocks.into_remainder()) {
        block::<M, W, 1, N, K>(core::array::from_ref(a_row), b, core::array::from_mut(c_row), start);
    }
}

/// Columns `start .. start + WIDTH` of `R` rows.
#[inline(always)]
fn block<M: MulAdd, const WIDTH: usize, const R: usize, const N: usize, const K: usize>(
    a: &[[f32; N]; R],
    b: &[[f32; K]; N],
    c: &mut [[f32; K]; R],
    start: usize,
) {
    let mut acc = [[0.0f32; WIDTH]; R];
    for (j, b_row) in b.iter().enumerate() {
        let Some(bv) = b_row.get(start..).and_then(|s| s.first_chunk::<WIDTH>()) else { return };
        for (acc_r, a_row) in acc.iter_mut().zip(a) {
            let s = a_row[j];
            for l in 0..WIDTH {
                acc_r[l] = M::mul_add(s, bv[l], acc_r[l]);
            }
        }
    }
    for (c_row, acc_r) in c.iter_mut().zip(&acc) {
        if let Some(out) = c_row.get_mut(start..).and_then(|s| s.first_chunk_mut::<WIDTH>()) {
            *out = *acc_r;
        }
    }
}
