//! The portable kernel set: any target, `no_std`, a multiplication then an addition; the
//! compiler vectorises its blocks for the baseline target.

use super::arith::Separate;
use super::loops::{self, Job, Schedule, strips};
use super::pack::PANEL_LEN;

/// Strips of 16, 8, 4 and 1 columns, blocks of 4 rows; a transposed `B` is packed only
/// when `A` is transposed too.
pub struct Portable;

impl Schedule for Portable {
    type M = Separate;
    const PACKS: bool = false;

    #[inline(always)]
    fn columns(job: &mut Job<'_>, panel: &mut [f32]) {
        let col = strips::<Separate, 16, 4>(job, 0, panel);
        let col = strips::<Separate, 8, 4>(job, col, panel);
        let col = strips::<Separate, 4, 4>(job, col, panel);
        strips::<Separate, 1, 4>(job, col, panel);
    }
}

/// `c = start + a b` with the portable kernels.
pub fn gemm(job: &mut Job<'_>) {
    if loops::packs::<Portable>(job) { packed(job) } else { loops::gemm::<Portable>(job, &mut []) }
}

/// [`gemm`] with a packing panel, in a frame of its own so that the products that do not
/// pack (all of a network's) do not take its 32 KiB of stack, which a microcontroller
/// may not have.
#[inline(never)]
fn packed(job: &mut Job<'_>) {
    let mut panel = [0.0; PANEL_LEN];
    loops::gemm::<Portable>(job, &mut panel)
}
