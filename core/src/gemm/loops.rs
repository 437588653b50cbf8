//! The loop nest: how a product `c = start + a b` is cut into the blocks the kernels of
//! [`super::kernel`] compute.
//!
//! - Columns of `c` are cut into strips, widest first (the [`Schedule`] lists the widths),
//!   so that a strip of `B` stays in cache while every block of rows of `A` reads it.
//! - Rows are cut into blocks of `R` (then 4, 2 and 1 for the last ones), each block's
//!   `R x W` sums kept in registers by the broadcast kernel.
//! - `B` is read in place when its rows are stored (`nn`, `tn`); stored transposed (`nt`),
//!   it is packed a panel at a time ([`super::pack`]), or, when `A` has few rows, the
//!   product is taken as dot products of stored rows, which reads `B` only once.
//!
//! Dimensions are run-time values and the functions are generic only over the kernel set,
//! so every product is compiled, and optimised, in this crate.

use core::ops::Range;

use super::arith::MulAdd;
use super::kernel;
use super::mat::{Mat, Start};
use super::pack::{self, PANEL_DEPTH};

/// Rows of `A` from which packing a transposed `B` pays off (measured on the forward
/// product of a dense layer).
const PACKED_ROWS: usize = 48;
/// Bytes of `B` per group of the dot-product path, about a quarter of a typical L2 cache:
/// every block of rows of `A` reuses the group from there.
const GROUP_BYTES: usize = 256 * 1024;

/// One product, its shapes checked: `a` is `m x k`, `b` is `k x n`, and `c` holds the
/// `m x n` result row-major.
pub struct Job<'a> {
    /// `A`.
    pub a: Mat<'a>,
    /// `B`.
    pub b: Mat<'a>,
    /// `C`, `m·n` values.
    pub c: &'a mut [f32],
    /// What `C` starts from.
    pub start: Start<'a>,
}

/// A kernel set's choices: its arithmetic, and the widths of its strips.
pub trait Schedule {
    /// How it multiplies and adds.
    type M: MulAdd;
    /// Whether a transposed `B` is packed when `A` has many rows (otherwise the dot
    /// products run).
    const PACKS: bool;
    /// Every column of the product, by [`strips`] of decreasing widths.
    fn columns(job: &mut Job<'_>, panel: &mut [f32]);
}

/// Whether the product packs `B`, and so needs a panel of [`pack::PANEL_LEN`] values.
pub fn packs<S: Schedule>(job: &Job<'_>) -> bool {
    job.b.transposed() && (job.a.transposed() || S::PACKS && job.a.rows() >= PACKED_ROWS)
}

/// `c = start + a b`; `panel` has [`pack::PANEL_LEN`] values when [`packs`] says so.
#[inline(always)]
pub fn gemm<S: Schedule>(job: &mut Job<'_>, panel: &mut [f32]) {
    if job.a.rows() == 0 || job.b.cols() == 0 {
        return;
    }
    if job.b.transposed() && !packs::<S>(job) {
        dot_products::<S::M>(job);
    } else {
        S::columns(job, panel);
    }
}

/// Columns `from ..` by strips of `W` columns while they fit; returns the first column
/// left.
#[inline(always)]
pub fn strips<M: MulAdd, const W: usize, const R: usize>(job: &mut Job<'_>, from: usize, panel: &mut [f32]) -> usize {
    let mut col = from;
    while col + W <= job.b.cols() {
        strip::<M, W, R>(job, col, panel);
        col += W;
    }
    col
}

/// Columns `col .. col + W` of every row of `C`.
#[inline(always)]
fn strip<M: MulAdd, const W: usize, const R: usize>(job: &mut Job<'_>, col: usize, panel: &mut [f32]) {
    let (b, depth) = (job.b, job.a.cols());
    if !b.transposed() {
        let data = b.data().get(col..).unwrap_or_default();
        return rows::<M, W, R>(job, col, data, b.ld(), 0..depth, true);
    }
    let panel = panel[..PANEL_DEPTH * W].as_chunks_mut::<W>().0;
    let mut from = 0;
    loop {
        let to = (from + PANEL_DEPTH).min(depth);
        pack::transposed::<W>(b.data(), b.ld(), col, from..to, panel);
        rows::<M, W, R>(job, col, panel.as_flattened(), W, from..to, from == 0);
        if to == depth {
            return;
        }
        from = to;
    }
}

/// Columns `col .. col + W` of every row of `C`, adding the depths `depths` (row `p` of
/// `B` at `b[(p - depths.start)·ldb ..]`); `first` when `C` starts from `job.start`
/// rather than from its values.
#[inline(always)]
fn rows<M: MulAdd, const W: usize, const R: usize>(
    job: &mut Job<'_>,
    col: usize,
    b: &[f32],
    ldb: usize,
    depths: Range<usize>,
    first: bool,
) {
    let m = job.a.rows();
    let mut i = 0;
    while i + R <= m {
        block::<M, W, R>(job, i, col, b, ldb, depths.clone(), first);
        i += R;
    }
    // The last rows, fewer than R: blocks of 4, 2 and 1.
    if R > 4 && i + 4 <= m {
        block::<M, W, 4>(job, i, col, b, ldb, depths.clone(), first);
        i += 4;
    }
    if R > 2 && i + 2 <= m {
        block::<M, W, 2>(job, i, col, b, ldb, depths.clone(), first);
        i += 2;
    }
    if R > 1 && i < m {
        block::<M, W, 1>(job, i, col, b, ldb, depths, first);
    }
}

/// Columns `col .. col + W` of rows `i .. i + R` of `C`.
#[inline(always)]
fn block<M: MulAdd, const W: usize, const R: usize>(
    job: &mut Job<'_>,
    i: usize,
    col: usize,
    b: &[f32],
    ldb: usize,
    depths: Range<usize>,
    first: bool,
) {
    let (a, n) = (job.a, job.b.cols());
    let start = if first { job.start } else { Start::Accumulate };
    let mut acc = [[0.0f32; W]; R];
    for (r, acc_r) in acc.iter_mut().enumerate() {
        let from = match start {
            Start::Zero => continue,
            Start::Accumulate => job.c.get((i + r) * n + col..),
            Start::RowBias(bias) => {
                *acc_r = [bias[i + r]; W];
                continue;
            }
            Start::ColBias(bias) => bias.get(col..),
        };
        if let Some(from) = from.and_then(|s| s.first_chunk::<W>()) {
            *acc_r = *from;
        }
    }
    if a.transposed() {
        let data = a.data().get(depths.start * a.ld() + i..).unwrap_or_default();
        kernel::broadcast_cols::<M, R, W>(data, a.ld(), depths.len(), b, ldb, &mut acc);
    } else {
        let row = |r: usize| a.data().get((i + r) * a.ld() + depths.start..).and_then(|s| s.get(..depths.len()));
        kernel::broadcast_rows::<M, R, W>(core::array::from_fn(|r| row(r).unwrap_or_default()), b, ldb, &mut acc);
    }
    for (r, acc_r) in acc.iter().enumerate() {
        if let Some(out) = job.c.get_mut((i + r) * n + col..).and_then(|s| s.first_chunk_mut::<W>()) {
            *out = *acc_r;
        }
    }
}

/// `C` as dot products of the rows of `A` with the stored rows of a transposed `B`:
/// blocks of 4 x 2, then single rows 8 outputs at a time, over groups of rows of `B`
/// that fit in the L2 cache.
#[inline(always)]
fn dot_products<M: MulAdd>(job: &mut Job<'_>) {
    let (m, n, depth) = (job.a.rows(), job.b.cols(), job.a.cols());
    let group = (GROUP_BYTES / 4 / depth.max(1) / 2).max(1) * 2;
    let mut from = 0;
    while from < n {
        let to = (from + group).min(n);
        let mut i = 0;
        while i + 4 <= m {
            outputs::<M, 4, 2>(job, i, from..to);
            i += 4;
        }
        while i < m {
            outputs::<M, 1, 8>(job, i, from..to);
            i += 1;
        }
        from = to;
    }
}

/// Columns `cols` of rows `i .. i + R` of `C`, `C` dot products at a time.
#[inline(always)]
fn outputs<M: MulAdd, const R: usize, const C: usize>(job: &mut Job<'_>, i: usize, cols: Range<usize>) {
    let (a, b, depth) = (job.a, job.b, job.a.cols());
    let a_rows: [&[f32]; R] = core::array::from_fn(|r| stored(a, i + r, depth));
    let mut j = cols.start;
    while j + C <= cols.end {
        let d = kernel::dots::<M, R, C, 8>(a_rows, core::array::from_fn(|c| stored(b, j + c, depth)));
        write(job, i, j, &d);
        j += C;
    }
    while j < cols.end {
        write(job, i, j, &kernel::dots::<M, R, 1, 8>(a_rows, [stored(b, j, depth)]));
        j += 1;
    }
}

/// The first `depth` values of stored row `r` of `m`.
#[inline(always)]
fn stored(m: Mat<'_>, r: usize, depth: usize) -> &[f32] {
    m.data().get(r * m.ld()..).and_then(|s| s.get(..depth)).unwrap_or_default()
}

/// `c[i + r][j + c] = start + d[r][c]`.
#[inline(always)]
fn write<const R: usize, const C: usize>(job: &mut Job<'_>, i: usize, j: usize, d: &[[f32; C]; R]) {
    let n = job.b.cols();
    for (r, d_r) in d.iter().enumerate() {
        for (c, &d) in d_r.iter().enumerate() {
            let out = &mut job.c[(i + r) * n + j + c];
            *out = d + match job.start {
                Start::Zero => 0.0,
                Start::Accumulate => *out,
                Start::RowBias(bias) => bias[i + r],
                Start::ColBias(bias) => bias[j + c],
            };
        }
    }
}
