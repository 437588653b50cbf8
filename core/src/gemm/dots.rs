//! `C = A Bᵀ + bias`, as dot products of rows of `A` with rows of `B` (both contiguous).
//!
//! A block of `ROWS` rows of `A` by `COLS` rows of `B` keeps `ROWS x COLS` vector
//! accumulators in registers (4 x 2 of 8 lanes with AVX2: each step loads 6 vectors for
//! 8 multiply-adds); [`Dots`] says how a block is computed. A single row is done 8 outputs at a time
//! (8 independent accumulators). The rows of `B` are taken in groups that fit in the L2
//! cache, so that every row block of `A` reuses them from there.

use core::marker::PhantomData;

use super::arith::MulAdd;

/// Rows of `B` per block when `A` has a single row left.
const SINGLE_ROW_COLS: usize = 8;
/// Bytes of `B` per group, about a quarter of a typical L2 cache.
const GROUP_BYTES: usize = 256 * 1024;

#[inline(always)]
pub fn matmul_nt<D: Dots, const ROWS: usize, const COLS: usize, const K: usize, const N: usize>(
    a: &[[f32; K]],
    b: &[[f32; K]; N],
    bias: &[f32; N],
    c: &mut [[f32; N]],
) {
    let group = (GROUP_BYTES / 4 / K.max(1) / COLS).max(1) * COLS;
    let mut start = 0;
    while start < N {
        let end = (start + group).min(N);
        columns::<D, ROWS, COLS, K, N>(a, b, bias, c, start..end);
        start = end;
    }
}

/// Columns `columns` of every row of `C` with dot-product blocks (`ROWS x COLS`, then
/// single rows 8 outputs at a time).
#[inline(always)]
pub fn columns<D: Dots, const ROWS: usize, const COLS: usize, const K: usize, const N: usize>(
    a: &[[f32; K]],
    b: &[[f32; K]; N],
    bias: &[f32; N],
    c: &mut [[f32; N]],
    columns: core::ops::Range<usize>,
) {
    let mut a_blocks = a.chunks_exact(ROWS);
    let mut c_blocks = c.chunks_exact_mut(ROWS);
    for (a_rows, c_rows) in (&mut a_blocks).zip(&mut c_blocks) {
        let (Ok(a_rows), Ok(c_rows)) =
            (<&[[f32; K]; ROWS]>::try_from(a_rows), <&mut [[f32; N]; ROWS]>::try_from(c_rows))
        else {
            continue;
        };
        outputs::<D, ROWS, COLS, K, N>(a_rows, b, bias, c_rows, columns.clone());
    }
    for (a_row, c_row) in a_blocks.remainder().iter().zip(c_blocks.into_remainder()) {
        let (a_row, c_row) = (core::array::from_ref(a_row), core::array::from_mut(c_row));
        outputs::<D, 1, SINGLE_ROW_COLS, K, N>(a_row, b, bias, c_row, columns.clone());
    }
}

/// Outputs `columns` of `R` rows, `C` outputs at a time.
#[inline(always)]
fn outputs<D: Dots, const R: usize, const C: usize, const K: usize, const N: usize>(
    a: &[[f32; K]; R],
    b: &[[f32; K]; N],
    bias: &[f32; N],
    c: &mut [[f32; N]; R],
    columns: core::ops::Range<usize>,
) {
    let Some(b) = b.get(columns.clone()) else { return };
    let mut blocks = b.chunks_exact(C);
    let mut j = columns.start;
    for b_rows in &mut blocks {
        let Ok(b_rows) = <&[[f32; K]; C]>::try_from(b_rows) else { continue };
        let d = D::dots::<R, C, K>(a, b_rows.each_ref());
        for (c_row, d_row) in c.iter_mut().zip(&d) {
            for (i, d) in d_row.iter().enumerate() {
                c_row[j + i] = d + bias[j + i];
            }
        }
        j += C;
    }
    for b_row in blocks.remainder() {
        let d = D::dots::<R, 1, K>(a, [b_row]);
        for (c_row, d_row) in c.iter_mut().zip(&d) {
            c_row[j] = d_row[0] + bias[j];
        }
        j += 1;
    }
}

/// How a block of dot products is computed.
pub trait Dots {
    /// The `R x C` dot products of rows `a` with rows `b`.
    fn dots<const R: usize, const C: usize, const K: usize>(a: &[[f32; K]; R], b: [&[f32; K]; C]) -> [[f32; C]; R];
}

/// Dot products with `LANES` accumulator lanes each, in portable code the compiler vectorises.
pub struct Lanes<M, const LANES: usize>(PhantomData<M>);

impl<M: MulAdd, const LANES: usize> Dots for Lanes<M, LANES> {
    #[inline(always)]
    fn dots<const R: usize, const C: usize, const K: usize>(a: &[[f32; K]; R], b: [&[f32; K]; C]) -> [[f32; C]; R] {
        let a_split = a.each_ref().map(|row| row.as_chunks::<LANES>());
        let b_split = b.map(|row| row.as_chunks::<LANES>());
        let mut acc = [[[0.0f32; LANES]; C]; R];
        for k in 0..K / LANES {
            for (acc_r, (a_chunks, _)) in acc.iter_mut().zip(&a_split) {
                let av = &a_chunks[k];
                for (acc_rc, (b_chunks, _)) in acc_r.iter_mut().zip(&b_split) {
                    let bv = &b_chunks[k];
                    for l in 0..LANES {
                        acc_rc[l] = M::mul_add(av[l], bv[l], acc_rc[l]);
                    }
                }
            }
        }
        let mut out = [[0.0f32; C]; R];
        for ((out_r, acc_r), (_, a_tail)) in out.iter_mut().zip(&acc).zip(&a_split) {
            for ((o, acc_rc), (_, b_tail)) in out_r.iter_mut().zip(acc_r).zip(&b_split) {
                let tail = a_tail.iter().zip(*b_tail).fold(0.0, |s, (x, y)| M::mul_add(*x, *y, s));
                *o = acc_rc.iter().sum::<f32>() + tail;
            }
        }
        out
    }
}
