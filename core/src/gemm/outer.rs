//! `C = start + Aᵀ B`, the sum over rows of outer products: each block of `C` (`ROWS` rows
//! by `WIDTH` columns, 4 by 16 with AVX2) is kept in registers while the rows of `A` and `B`
//! stream past. Column strips are the outer loop, so a strip of `B` stays in cache for every
//! block of rows of `C`; for many rows and a large `B`, [`matmul_tn_packed`] first copies
//! the strip into a contiguous panel.

use super::Start;
use super::arith::MulAdd;
use super::tails::tail_blocks;

/// Rows of `A` and `B` summed in one pass over `C` when `C` is small enough to stay in the
/// L1 cache ([`SMALL_C`] values or fewer): the two panels of a pass then stay there as well.
/// Long sums over small results, such as a recurrent layer's weight gradients over every
/// step of a batch (896 rows into 64x28), ran 1.4-2.2x faster in passes of 32 to 64 rows
/// than in one pass (on an AMD EPYC, Zen 4, both vector paths).
const PASS_ROWS: usize = 32;

/// The largest `C`, in values, summed in passes of [`PASS_ROWS`] rows: 16 KB, half of a
/// 32 KB L1 data cache.
const SMALL_C: usize = 4096;

/// `c[j] = start[j] + Σ_r a[r][j] · b[r]`.
#[inline(always)]
pub fn matmul_tn<
    M: MulAdd,
    const WIDTH: usize,
    const HALF: usize,
    const ROWS: usize,
    const N: usize,
    const K: usize,
>(
    init: Start<'_>,
    a: &[[f32; N]],
    b: &[[f32; K]],
    c: &mut [[f32; K]; N],
) {
    if N * K > SMALL_C || a.len() <= PASS_ROWS {
        return columns::<M, WIDTH, HALF, ROWS, N, K>(init, a, b, c, 0);
    }
    for (pass, (a, b)) in a.chunks(PASS_ROWS).zip(b.chunks(PASS_ROWS)).enumerate() {
        let start = if pass == 0 { init } else { Start::Accumulate };
        columns::<M, WIDTH, HALF, ROWS, N, K>(start, a, b, c, 0);
    }
}

/// Rows of `A` and of `C` from which [`matmul_tn`] packs `B`: enough blocks of `C` read
/// each packed panel to repay the copy.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
const PACKED: usize = 48;

/// Rows of `B` in one packed panel: `PANEL_DEPTH x WIDTH` f32 (8 KiB for a width of 16,
/// 16 KiB for 32), which stays in the L1 cache beside the rows of `A` being read.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
const PANEL_DEPTH: usize = 128;

/// [`matmul_tn`] that, for many rows, a large `B` and a result too large for the passes
/// of [`PASS_ROWS`] rows, packs `B`: each strip of `WIDTH`
/// columns of `B` is first copied, `PANEL_DEPTH` rows at a time, into a contiguous panel
/// on the stack, and every block of rows of `C` then runs over the panel. Rows of `B` that
/// are a power of two bytes apart (512 values, 2 KiB) fall into few sets of the L1 cache,
/// so without the copy every block of `C` reads the strip from L2 again. The columns left
/// after the strips are not packed. For the vector kernels only: the panel would add its
/// size to the stack of every caller on a microcontroller.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[inline(always)]
pub fn matmul_tn_packed<
    M: MulAdd,
    const WIDTH: usize,
    const HALF: usize,
    const ROWS: usize,
    const N: usize,
    const K: usize,
>(
    init: Start<'_>,
    a: &[[f32; N]],
    b: &[[f32; K]],
    c: &mut [[f32; K]; N],
) {
    if K < 2 * WIDTH && !K.is_multiple_of(WIDTH) && N >= WIDTH && N * K <= SMALL_C {
        return narrow_via_transpose::<M, WIDTH, HALF, ROWS, N, K>(init, a, b, c);
    }
    if N < PACKED || a.len() < PACKED || a.len() * K <= super::panel::SMALL_B || N * K <= SMALL_C {
        return matmul_tn::<M, WIDTH, HALF, ROWS, N, K>(init, a, b, c);
    }
    let mut panel = [[0.0f32; WIDTH]; PANEL_DEPTH];
    let mut start = 0;
    while start + WIDTH <= K {
        for (chunk, (a, b)) in a.chunks(PANEL_DEPTH).zip(b.chunks(PANEL_DEPTH)).enumerate() {
            super::panel::pack_columns(b, start, &mut panel);
            let pass = if chunk == 0 { init } else { Start::Accumulate };
            strip::<M, WIDTH, ROWS, N, WIDTH, K>(pass, a, (&panel[..b.len()], 0), c, start);
        }
        start += WIDTH;
    }
    columns::<M, WIDTH, HALF, ROWS, N, K>(init, a, b, c, start);
}

/// [`matmul_tn`] for a small result whose columns end in narrow strips (`K` under two
/// strips and not a whole number of them) but whose rows fill a strip, such as the input
/// weights' gradient of a recurrent layer on a few features: computes the transpose
/// `Cᵀ = Bᵀ A`, whose rows fill whole strips, in a copy on the stack (at most [`SMALL_C`]
/// values) that starts from the transpose of `start`, so every value is the same sum in the
/// same order as [`matmul_tn`]'s. One gate's `dW_ih` of `examples/mnist_rows.rs` (64 units,
/// 28 features, 896 rows: `gemm/896x28x64/weight_grad` in the gemm bench) ran at 88 GFLOP/s
/// in strips of 16 + 8 + 4 columns and 171 transposed with AVX-512, 82 and 116 with AVX2,
/// on an Intel Xeon.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[inline(always)]
fn narrow_via_transpose<
    M: MulAdd,
    const WIDTH: usize,
    const HALF: usize,
    const ROWS: usize,
    const N: usize,
    const K: usize,
>(
    init: Start<'_>,
    a: &[[f32; N]],
    b: &[[f32; K]],
    c: &mut [[f32; K]; N],
) {
    let mut values = [0.0f32; SMALL_C];
    let (rows, _) = values.as_chunks_mut::<N>();
    let Some(ct) = rows.first_chunk_mut::<K>() else { return };
    for (j, c_row) in c.iter().enumerate() {
        for (ct_row, &held) in ct.iter_mut().zip(c_row) {
            ct_row[j] = match init {
                Start::Zero => 0.0,
                Start::Accumulate => held,
                Start::RowBias(bias) => bias.get(j).copied().unwrap_or(0.0),
            };
        }
    }
    matmul_tn::<M, WIDTH, HALF, ROWS, K, N>(Start::Accumulate, b, a, ct);
    for (j, c_row) in c.iter_mut().enumerate() {
        for (out, ct_row) in c_row.iter_mut().zip(ct.iter()) {
            *out = ct_row[j];
        }
    }
}

/// [`matmul_tn`] in one pass over the rows: strips of columns of `C` from column `start` on.
#[inline(always)]
fn columns<M: MulAdd, const WIDTH: usize, const HALF: usize, const ROWS: usize, const N: usize, const K: usize>(
    init: Start<'_>,
    a: &[[f32; N]],
    b: &[[f32; K]],
    c: &mut [[f32; K]; N],
    mut start: usize,
) {
    while start + WIDTH <= K {
        strip::<M, WIDTH, ROWS, N, K, K>(init, a, (b, start), c, start);
        start += WIDTH;
    }
    // The last columns: strips of half width, 16, 8 and 4 (those that fit and are
    // narrower), then one column at a time. 28 columns are 16 + 8 + 4, not 16 and 12
    // single columns; 784 in strips of 64 end in one of 16.
    if start + HALF <= K {
        strip::<M, HALF, ROWS, N, K, K>(init, a, (b, start), c, start);
        start += HALF;
    }
    if HALF > 16 && start + 16 <= K {
        strip::<M, 16, ROWS, N, K, K>(init, a, (b, start), c, start);
        start += 16;
    }
    if HALF > 8 && start + 8 <= K {
        strip::<M, 8, ROWS, N, K, K>(init, a, (b, start), c, start);
        start += 8;
    }
    if HALF > 4 && start + 4 <= K {
        strip::<M, 4, ROWS, N, K, K>(init, a, (b, start), c, start);
        start += 4;
    }
    while start < K {
        strip::<M, 1, ROWS, N, K, K>(init, a, (b, start), c, start);
        start += 1;
    }
}

/// Columns `start .. start + W` of every row of `C`, from the rows of `b` (columns
/// `b_col ..`; `b` is `B` itself, or a packed panel).
#[inline(always)]
fn strip<M: MulAdd, const W: usize, const ROWS: usize, const N: usize, const KB: usize, const K: usize>(
    init: Start<'_>,
    a: &[[f32; N]],
    b: (&[[f32; KB]], usize),
    c: &mut [[f32; K]; N],
    start: usize,
) {
    let mut c_blocks = c.chunks_exact_mut(ROWS);
    let mut j = 0;
    for c_rows in &mut c_blocks {
        if let Ok(c_rows) = <&mut [[f32; K]; ROWS]>::try_from(c_rows) {
            block::<M, W, ROWS, N, KB, K>(init, a, b, j, c_rows, start);
        }
        j += ROWS;
    }
    let mut rest = c_blocks.into_remainder();
    for size in tail_blocks(ROWS, rest.len()) {
        let (rows, after) = core::mem::take(&mut rest).split_at_mut(size);
        match size {
            4 => {
                if let Ok(r) = rows.try_into() {
                    block::<M, W, 4, N, KB, K>(init, a, b, j, r, start)
                }
            }
            2 => {
                if let Ok(r) = rows.try_into() {
                    block::<M, W, 2, N, KB, K>(init, a, b, j, r, start)
                }
            }
            _ => {
                if let Ok(r) = rows.try_into() {
                    block::<M, W, 1, N, KB, K>(init, a, b, j, r, start)
                }
            }
        }
        (rest, j) = (after, j + size);
    }
}

/// Columns `start .. start + WIDTH` of rows `j .. j + R` of `C`, from columns `b_col ..` of
/// the rows of `b`.
#[inline(always)]
fn block<M: MulAdd, const WIDTH: usize, const R: usize, const N: usize, const KB: usize, const K: usize>(
    init: Start<'_>,
    a: &[[f32; N]],
    (b, b_col): (&[[f32; KB]], usize),
    j: usize,
    c: &mut [[f32; K]; R],
    start: usize,
) {
    let mut acc = [[0.0f32; WIDTH]; R];
    for (r, (acc_r, c_row)) in acc.iter_mut().zip(c.iter()).enumerate() {
        let held = c_row.get(start..).and_then(|s| s.first_chunk::<WIDTH>());
        *acc_r = match (init, held) {
            (Start::RowBias(bias), _) => [bias.get(j + r).copied().unwrap_or(0.0); WIDTH],
            (Start::Accumulate, Some(held)) => *held,
            _ => [0.0; WIDTH],
        };
    }
    for (a_row, b_row) in a.iter().zip(b) {
        let Some(bv) = b_row.get(b_col..).and_then(|s| s.first_chunk::<WIDTH>()) else { return };
        let Some(scales) = a_row.get(j..j + R) else { return };
        for (acc_r, &s) in acc.iter_mut().zip(scales) {
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
