//! `C = A Bᵀ + bias` for batches of many rows: `B` is packed a panel at a time into the
//! transposed layout (`PANEL_DEPTH x WIDTH` values on the stack, sized for the L1 cache),
//! and each block of `C` (`ROWS x WIDTH`) is kept in registers while the panel's rows
//! stream past, each scaled by one element of `A` (broadcast), as in [`super::broadcast`]. The
//! packing reads `B` once per call, so it pays off when `A` has many rows; the last
//! columns, fewer than `WIDTH`, use the dot products of [`super::dots`].

use super::arith::MulAdd;
use super::dots::{self, Dots};
use super::tails::tail_blocks;

/// Depth of a packed panel: `PANEL_DEPTH x WIDTH` f32 (32 KiB for a width of 32, 16 KiB for
/// 16).
pub const PANEL_DEPTH: usize = 256;

#[inline(always)]
pub fn matmul_nt_packed<M: MulAdd, D: Dots, const WIDTH: usize, const ROWS: usize, const K: usize, const N: usize>(
    a: &[[f32; K]],
    b: &[[f32; K]; N],
    bias: &[f32; N],
    c: &mut [[f32; N]],
) {
    let mut panel = [[0.0f32; WIDTH]; PANEL_DEPTH];
    let mut start = 0;
    while start + WIDTH <= N {
        strip::<M, WIDTH, ROWS, K, N>(a, b, bias, c, start, &mut panel);
        start += WIDTH;
    }
    if start < N {
        dots::columns::<D, 4, 2, K, N>(a, b, bias, c, start..N);
    }
}

/// Columns `start .. start + W` of every row of `C`, one packed panel of depth at most
/// `PANEL_DEPTH` at a time.
#[inline(always)]
fn strip<M: MulAdd, const W: usize, const ROWS: usize, const K: usize, const N: usize>(
    a: &[[f32; K]],
    b: &[[f32; K]; N],
    bias: &[f32; N],
    c: &mut [[f32; N]],
    start: usize,
    panel: &mut [[f32; W]; PANEL_DEPTH],
) {
    let Some(b_rows) = b.get(start..start + W) else { return };
    let mut depth_start = 0;
    while depth_start < K {
        let depth = (K - depth_start).min(PANEL_DEPTH);
        transpose_into(b_rows, depth_start, depth, panel);
        let panel = &panel[..depth];
        let mut a_blocks = a.chunks_exact(ROWS);
        let mut c_blocks = c.chunks_exact_mut(ROWS);
        for (a_rows, c_rows) in (&mut a_blocks).zip(&mut c_blocks) {
            let (Ok(a_rows), Ok(c_rows)) =
                (<&[[f32; K]; ROWS]>::try_from(a_rows), <&mut [[f32; N]; ROWS]>::try_from(c_rows))
            else {
                continue;
            };
            block::<M, W, ROWS, K, N>(a_rows, panel, depth_start, bias, c_rows, start);
        }
        let (mut a_rest, mut c_rest) = (a_blocks.remainder(), c_blocks.into_remainder());
        for size in tail_blocks(ROWS, a_rest.len().min(c_rest.len())) {
            let ((a_rows, a_after), (c_rows, c_after)) =
                (a_rest.split_at(size), core::mem::take(&mut c_rest).split_at_mut(size));
            match size {
                4 => {
                    if let (Ok(a_rows), Ok(c_rows)) = (a_rows.try_into(), c_rows.try_into()) {
                        block::<M, W, 4, K, N>(a_rows, panel, depth_start, bias, c_rows, start);
                    }
                }
                2 => {
                    if let (Ok(a_rows), Ok(c_rows)) = (a_rows.try_into(), c_rows.try_into()) {
                        block::<M, W, 2, K, N>(a_rows, panel, depth_start, bias, c_rows, start);
                    }
                }
                _ => {
                    if let (Ok(a_rows), Ok(c_rows)) = (a_rows.try_into(), c_rows.try_into()) {
                        block::<M, W, 1, K, N>(a_rows, panel, depth_start, bias, c_rows, start);
                    }
                }
            }
            (a_rest, c_rest) = (a_after, c_after);
        }
        depth_start += depth;
    }
}

/// Adds the panel's contribution to columns `start .. start + W` of `R` rows (starting
/// from the bias on the first panel).
#[inline(always)]
fn block<M: MulAdd, const W: usize, const R: usize, const K: usize, const N: usize>(
    a: &[[f32; K]; R],
    panel: &[[f32; W]],
    depth_start: usize,
    bias: &[f32; N],
    c: &mut [[f32; N]; R],
    start: usize,
) {
    let mut acc = [[0.0f32; W]; R];
    for (acc_r, c_row) in acc.iter_mut().zip(c.iter()) {
        let from = if depth_start == 0 { &bias[..] } else { &c_row[..] };
        if let Some(init) = from.get(start..).and_then(|s| s.first_chunk::<W>()) {
            *acc_r = *init;
        }
    }
    let a_parts = a.each_ref().map(|row| &row[depth_start..]);
    for (k, p) in panel.iter().enumerate() {
        for (acc_r, a_part) in acc.iter_mut().zip(&a_parts) {
            let s = a_part[k];
            for l in 0..W {
                acc_r[l] = M::mul_add(s, p[l], acc_r[l]);
            }
        }
    }
    for (c_row, acc_r) in c.iter_mut().zip(&acc) {
        if let Some(out) = c_row.get_mut(start..).and_then(|s| s.first_chunk_mut::<W>()) {
            *out = *acc_r;
        }
    }
}

/// `panel[k][j] = b_rows[j][depth_start + k]` for `k < depth` and every `j < W`: the
/// transpose, in tiles of 8 x 8 that the compiler keeps in vector registers (scalar stores
/// one column apart ran 128x784x512 at 143 GFLOP/s, the tiles at 160, with AVX-512 on an
/// Intel Xeon), then one value at a time for the last `depth % 8` rows of the panel.
#[inline(always)]
pub(super) fn transpose_into<const W: usize, const K: usize>(
    b_rows: &[[f32; K]],
    depth_start: usize,
    depth: usize,
    panel: &mut [[f32; W]],
) {
    const { assert!(W.is_multiple_of(TILE), "panel widths are whole tiles") };
    let tiled = depth / TILE * TILE;
    for k0 in (0..depth / TILE).map(|t| t * TILE) {
        for j0 in (0..W / TILE).map(|t| t * TILE) {
            let mut tile = [[0.0f32; TILE]; TILE];
            for (jj, row) in tile.iter_mut().enumerate() {
                let b_row = b_rows.get(j0 + jj).and_then(|r| r.get(depth_start + k0..));
                if let Some(v) = b_row.and_then(|s| s.first_chunk::<TILE>()) {
                    *row = *v;
                }
            }
            #[allow(clippy::needless_range_loop, reason = "kk indexes the tile's columns, not its rows")]
            for kk in 0..TILE {
                let packed = panel.get_mut(k0 + kk).and_then(|p| p.get_mut(j0..));
                if let Some(out) = packed.and_then(|s| s.first_chunk_mut::<TILE>()) {
                    *out = core::array::from_fn(|jj| tile[jj][kk]);
                }
            }
        }
    }
    for (j, b_row) in b_rows.iter().enumerate().take(W) {
        let rest = b_row.get(depth_start + tiled..depth_start + depth).unwrap_or_default();
        for (packed, &v) in panel.iter_mut().skip(tiled).zip(rest) {
            packed[j] = v;
        }
    }
}

/// The side of a tile of [`transpose_into`].
const TILE: usize = 8;
