//! The register-blocked micro-kernels, portable code that the compiler vectorises for the
//! target features of the function they are inlined into.
//!
//! - Broadcast: an `R x W` block of sums stays in registers while the rows of `B` stream
//!   past, each scaled by one element of `A` per row of the block:
//!   `acc[r][l] += a[r][p] · b[p][l]`.
//! - Dot: `R x C` dot products of rows of `A` with rows of `Bᵀ`, `LANES` accumulator
//!   lanes each, for products with few rows of `A`, where packing `Bᵀ` would not pay.

use super::arith::MulAdd;

/// `acc[r][l] += Σ_p a[r][p] · b[p·ldb + l]`, `a[r]` being rows of `A` (all of one length,
/// the depth).
#[inline(always)]
pub fn broadcast_rows<M: MulAdd, const R: usize, const W: usize>(
    a: [&[f32]; R],
    b: &[f32],
    ldb: usize,
    acc: &mut [[f32; W]; R],
) {
    let depth = a.first().map_or(0, |row| row.len());
    let a = a.map(|row| &row[..depth]);
    #[expect(clippy::needless_range_loop, reason = "`p` indexes the R rows of `a` at once")]
    for p in 0..depth {
        let Some(bv) = b.get(p * ldb..).and_then(|row| row.first_chunk::<W>()) else { return };
        update::<M, R, W>(acc, core::array::from_fn(|r| a[r][p]), bv);
    }
}

/// `acc[r][l] += Σ_p a[p·lda + r] · b[p·ldb + l]` for `p < depth`: the scalars of one
/// depth are adjacent (`A` stored transposed).
#[inline(always)]
pub fn broadcast_cols<M: MulAdd, const R: usize, const W: usize>(
    a: &[f32],
    lda: usize,
    depth: usize,
    b: &[f32],
    ldb: usize,
    acc: &mut [[f32; W]; R],
) {
    for (a_col, b_row) in a.chunks(lda).zip(b.chunks(ldb)).take(depth) {
        let (Some(s), Some(bv)) = (a_col.first_chunk::<R>(), b_row.first_chunk::<W>()) else { return };
        update::<M, R, W>(acc, *s, bv);
    }
}

/// `acc[r][l] += s[r] · b[l]`.
#[inline(always)]
fn update<M: MulAdd, const R: usize, const W: usize>(acc: &mut [[f32; W]; R], s: [f32; R], b: &[f32; W]) {
    for (acc_r, s) in acc.iter_mut().zip(s) {
        for l in 0..W {
            acc_r[l] = M::mul_add(s, b[l], acc_r[l]);
        }
    }
}

/// `out[r][c] = Σ_p a[r][p] · b[c][p]`, every row of one length (the depth).
#[inline(always)]
pub fn dots<M: MulAdd, const R: usize, const C: usize, const LANES: usize>(
    a: [&[f32]; R],
    b: [&[f32]; C],
) -> [[f32; C]; R] {
    let depth = a.first().map_or(0, |row| row.len());
    let (a, b) = (a.map(|row| &row[..depth]), b.map(|row| &row[..depth]));
    let (chunks, body) = (depth / LANES, depth / LANES * LANES);
    let a_chunks = a.map(|row| &row.as_chunks::<LANES>().0[..chunks]);
    let b_chunks = b.map(|row| &row.as_chunks::<LANES>().0[..chunks]);
    let mut acc = [[[0.0f32; LANES]; C]; R];
    for k in 0..chunks {
        for (acc_r, a_r) in acc.iter_mut().zip(&a_chunks) {
            for (acc_rc, b_c) in acc_r.iter_mut().zip(&b_chunks) {
                lanes::<M, LANES>(acc_rc, &a_r[k], &b_c[k]);
            }
        }
    }
    let mut out = [[0.0f32; C]; R];
    for ((out_r, acc_r), a_r) in out.iter_mut().zip(&acc).zip(a) {
        for ((o, acc_rc), b_c) in out_r.iter_mut().zip(acc_r).zip(b) {
            let tail = a_r[body..].iter().zip(&b_c[body..]).fold(0.0, |s, (x, y)| M::mul_add(*x, *y, s));
            *o = acc_rc.iter().sum::<f32>() + tail;
        }
    }
    out
}

/// `acc[l] += a[l] · b[l]`.
#[inline(always)]
fn lanes<M: MulAdd, const L: usize>(acc: &mut [f32; L], a: &[f32; L], b: &[f32; L]) {
    for l in 0..L {
        acc[l] = M::mul_add(a[l], b[l], acc[l]);
    }
}
