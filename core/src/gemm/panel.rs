//! A strip of columns of `B` copied into a contiguous panel, for the kernels that read one
//! strip of `B` for many blocks of `C` ([`super::broadcast::matmul_packed`],
//! [`super::outer::matmul_tn_packed`]): rows of `B` a power of two bytes apart fall into
//! few sets of the L1 cache, the rows of a panel into all of them.

use crate::flat::Flat;

/// The largest `B`, in values, that the packing kernels read in place: 32 KiB, an L1 data
/// cache, which it stays in (packing the convolutions' products too made the `mnist_cnn`
/// training step about 7% slower).
pub const SMALL_B: usize = 8192;

/// `panel[r] = b[r][col .. col + W]` for the rows both have.
#[inline(always)]
pub fn pack_columns<B: Flat, const W: usize>(b: &[B], col: usize, panel: &mut [[f32; W]]) {
    for (packed, b_row) in panel.iter_mut().zip(b) {
        if let Some(v) = b_row.as_flat().get(col..).and_then(|s| s.first_chunk::<W>()) {
            *packed = *v;
        }
    }
}
