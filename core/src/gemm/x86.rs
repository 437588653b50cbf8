//! The kernel sets for x86-64 vector extensions: AVX2 with FMA (16 registers of 8 lanes)
//! and AVX-512F (32 registers of 16 lanes, so wider blocks). Each entry point is compiled
//! with its target features, and the whole loop nest is inlined into it.

use super::arith::Fused;
use super::loops::{self, Job, Schedule, strips};
use super::pack::PANEL_LEN;

/// AVX2 + FMA: strips of 16 columns by 4 rows (8 accumulators), then 8 x 8, 4 x 8, 1 x 4.
pub struct Avx2;

impl Schedule for Avx2 {
    type M = Fused;
    const PACKS: bool = true;

    #[inline(always)]
    fn columns(job: &mut Job<'_>, panel: &mut [f32]) {
        let col = strips::<Fused, 16, 4>(job, 0, panel);
        let col = strips::<Fused, 8, 8>(job, col, panel);
        let col = strips::<Fused, 4, 8>(job, col, panel);
        strips::<Fused, 1, 4>(job, col, panel);
    }
}

/// AVX-512F: strips of 32 columns by 6 rows (12 accumulators), then 16 x 8, 8 x 8, 4 x 8,
/// 1 x 6.
pub struct Avx512;

impl Schedule for Avx512 {
    type M = Fused;
    const PACKS: bool = true;

    #[inline(always)]
    fn columns(job: &mut Job<'_>, panel: &mut [f32]) {
        let col = strips::<Fused, 32, 6>(job, 0, panel);
        let col = strips::<Fused, 16, 8>(job, col, panel);
        let col = strips::<Fused, 8, 8>(job, col, panel);
        let col = strips::<Fused, 4, 8>(job, col, panel);
        strips::<Fused, 1, 6>(job, col, panel);
    }
}

/// `c = start + a b` with the AVX2 + FMA kernels.
#[target_feature(enable = "avx2,fma")]
pub fn gemm_avx2(job: &mut Job<'_>) {
    if loops::packs::<Avx2>(job) {
        let mut panel = [0.0; PANEL_LEN];
        loops::gemm::<Avx2>(job, &mut panel)
    } else {
        loops::gemm::<Avx2>(job, &mut [])
    }
}

/// `c = start + a b` with the AVX-512F kernels.
#[target_feature(enable = "avx512f,avx2,fma")]
pub fn gemm_avx512(job: &mut Job<'_>) {
    if loops::packs::<Avx512>(job) {
        let mut panel = [0.0; PANEL_LEN];
        loops::gemm::<Avx512>(job, &mut panel)
    } else {
        loops::gemm::<Avx512>(job, &mut [])
    }
}
