//! `C = A Bᵀ + bias` for a batch of few rows, computed as its transpose
//! `Cᵀ = B Aᵀ + bias`: the rows of `B` (a dense layer's weights) are broadcast against a
//! panel of `Aᵀ`, whose [`BATCH`] columns are the rows of `A`. The panel to pack is then
//! `A`'s `rows x K` values rather than `B`'s `N x K`, four times fewer for 32 rows of a
//! 784-128 layer. Each value of `C` is summed from the bias over the inputs in order, in
//! panels of the same depth, as [`super::packed`] sums all but its last `N mod WIDTH`
//! columns (which it takes as dot products), so the two give the same bits there.

use super::Start;
use super::arith::MulAdd;
use super::broadcast;
use super::packed::{PANEL_DEPTH, transpose_into};

/// Rows of `A` per pass: the width of the panel of `Aᵀ` and of the block of `Cᵀ`; the
/// kernel pays for rows up to this many (more go through [`super::packed`]).
pub const BATCH: usize = 32;

/// Rows of `B` (columns of `C`) whose part of `Cᵀ` is summed on the stack at a time:
/// 16 KiB.
const COLUMNS: usize = 128;

/// `c[r][j] = bias[j] + Σ_k a[r][k] · b[j][k]` for every row of `a`, [`BATCH`] rows at a
/// time, in broadcast blocks of `R` rows of `B` by `WIDTH` rows of `A`.
#[inline(always)]
pub fn matmul_nt<M: MulAdd, const R: usize, const WIDTH: usize, const K: usize, const N: usize>(
    a: &[[f32; K]],
    b: &[[f32; K]; N],
    bias: &[f32; N],
    c: &mut [[f32; N]],
) {
    let mut panel = [[0.0f32; BATCH]; PANEL_DEPTH];
    let mut sums = [[0.0f32; BATCH]; COLUMNS];
    for (a, c) in a.chunks(BATCH).zip(c.chunks_mut(BATCH)) {
        for (chunk, (b_rows, bias)) in b.chunks(COLUMNS).zip(bias.chunks(COLUMNS)).enumerate() {
            let sums = &mut sums[..b_rows.len()];
            transposed_columns::<M, R, WIDTH, K>(a, b_rows, bias, &mut panel, sums);
            let first = chunk * COLUMNS;
            for (r, c_row) in c.iter_mut().enumerate() {
                for (out, sum) in c_row.iter_mut().skip(first).zip(sums.iter()) {
                    *out = sum[r];
                }
            }
        }
    }
}

/// `sums[j][r] = bias[j] + Σ_k a[r][k] · b_rows[j][k]` for the (at most [`BATCH`]) rows of
/// `a`, one panel of `Aᵀ` at a time.
#[inline(always)]
fn transposed_columns<M: MulAdd, const R: usize, const WIDTH: usize, const K: usize>(
    a: &[[f32; K]],
    b_rows: &[[f32; K]],
    bias: &[f32],
    panel: &mut [[f32; BATCH]; PANEL_DEPTH],
    sums: &mut [[f32; BATCH]],
) {
    let mut depth_start = 0;
    while depth_start < K {
        let depth = (K - depth_start).min(PANEL_DEPTH);
        transpose_into(a, depth_start, depth, &mut panel[..depth]);
        let start = if depth_start == 0 { Start::RowBias(bias) } else { Start::Accumulate };
        for col in (0..BATCH / WIDTH).map(|s| s * WIDTH) {
            broadcast::strip::<M, [f32; K], [f32; BATCH], [f32; BATCH], R, WIDTH>(
                start,
                (b_rows, depth_start),
                (&panel[..depth], col),
                sums,
                col,
            );
        }
        depth_start += depth;
    }
}

#[cfg(test)]
mod tests {
    use super::super::arith::Separate;
    use super::super::{dots, packed};

    /// The same bits as the packed kernel where that one sums in strips (every column here,
    /// 160 of them: a block of 128 and one of 32), over 40 rows: a pass of 32 and one of 8.
    #[test]
    fn gives_the_packed_kernels_bits() {
        const K: usize = 300;
        const N: usize = 160;
        let a: [[f32; K]; 40] =
            core::array::from_fn(|r| core::array::from_fn(|k| ((r * 7 + k * 3) as f32 * 0.37).sin()));
        let b: [[f32; K]; N] = core::array::from_fn(|j| core::array::from_fn(|k| ((j * 5 + k) as f32 * 0.91).cos()));
        let bias: [f32; N] = core::array::from_fn(|j| j as f32 * 0.01 - 0.5);
        let (mut got, mut want) = ([[f32::NAN; N]; 40], [[f32::NAN; N]; 40]);
        super::matmul_nt::<Separate, 8, 32, K, N>(&a, &b, &bias, &mut got);
        packed::matmul_nt_packed::<Separate, dots::Lanes<Separate, 8>, 32, 6, K, N>(&a, &b, &bias, &mut want);
        let same = got.as_flattened().iter().zip(want.as_flattened()).all(|(x, y)| x.to_bits() == y.to_bits());
        assert!(same, "the transposed and packed kernels differ");
    }
}
