//! Which kernel set runs: chosen once, here only, for every product.
//!
//! The best set the processor has (detected at run time, `std` on x86-64 only; elsewhere
//! the portable one), unless the environment variable `STATICNET_KERNEL` names another
//! (`portable`, `avx2` or `avx512`), which is taken if the processor has it, else the
//! best it has below. The choice is read on the first product and cached.

use super::loops::Job;
use super::portable;

/// A kernel set, from the slowest to the fastest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kernels {
    /// Portable code, any target, `no_std`.
    Portable,
    /// AVX2 with FMA (x86-64, `std`).
    Avx2,
    /// AVX-512F (x86-64, `std`).
    Avx512,
}

impl Kernels {
    /// Every kernel set, from the slowest to the fastest.
    pub const ALL: [Kernels; 3] = [Kernels::Portable, Kernels::Avx2, Kernels::Avx512];

    /// Whether this processor can run the set.
    pub fn supported(self) -> bool {
        match self {
            Kernels::Portable => true,
            #[cfg(all(feature = "std", target_arch = "x86_64"))]
            Kernels::Avx2 => std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma"),
            #[cfg(all(feature = "std", target_arch = "x86_64"))]
            Kernels::Avx512 => std::is_x86_feature_detected!("avx512f") && Kernels::Avx2.supported(),
            #[cfg(not(all(feature = "std", target_arch = "x86_64")))]
            Kernels::Avx2 | Kernels::Avx512 => false,
        }
    }

    /// The product with this set, or with the portable one if the processor lacks it.
    pub(super) fn run(self, job: &mut Job<'_>) {
        match self {
            #[cfg(all(feature = "std", target_arch = "x86_64"))]
            Kernels::Avx2 if self.supported() => {
                // SAFETY: the processor has AVX2 and FMA, checked in the guard.
                unsafe { super::x86::gemm_avx2(job) }
            }
            #[cfg(all(feature = "std", target_arch = "x86_64"))]
            Kernels::Avx512 if self.supported() => {
                // SAFETY: the processor has AVX-512F, AVX2 and FMA, checked in the guard.
                unsafe { super::x86::gemm_avx512(job) }
            }
            _ => portable::gemm(job),
        }
    }
}

/// The kernel set every product runs with (see the module documentation).
#[cfg(all(feature = "std", target_arch = "x86_64"))]
pub fn chosen() -> Kernels {
    use core::sync::atomic::{AtomicU8, Ordering};
    /// `1 + ` the index in [`Kernels::ALL`] of the choice, 0 before the first product.
    static CHOSEN: AtomicU8 = AtomicU8::new(0);
    if let Some(&k) = Kernels::ALL.get(usize::from(CHOSEN.load(Ordering::Relaxed)).wrapping_sub(1)) {
        return k;
    }
    let wanted = match std::env::var("STATICNET_KERNEL").as_deref() {
        Ok("portable") => Kernels::Portable,
        Ok("avx2") => Kernels::Avx2,
        _ => Kernels::Avx512,
    };
    let k = Kernels::ALL.into_iter().filter(|k| *k <= wanted && k.supported()).max().unwrap_or(Kernels::Portable);
    CHOSEN.store(k as u8 + 1, Ordering::Relaxed);
    k
}

/// The kernel set every product runs with: the portable one on this target.
#[cfg(not(all(feature = "std", target_arch = "x86_64")))]
pub fn chosen() -> Kernels {
    Kernels::Portable
}
