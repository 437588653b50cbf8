//! Which kernels run: the one place where the instruction set is chosen.
//!
//! On x86-64 with `std`, the best of AVX-512, AVX2 + FMA and the portable kernels that
//! the processor runs is detected on first use. The environment variable
//! `STATICNET_KERNEL` (`portable`, `avx2` or `avx512`) asks for another one, for tests and
//! benchmarks; a value the processor cannot run, or an unknown one, is ignored. Without
//! `std`, or on other processors, the portable kernels run (the compiler vectorises them
//! for the target's baseline, e.g. NEON or the Cortex-M4's FPU).

/// A set of kernels this processor can run. Only [`Kernel::active`], [`Kernel::available`]
/// and [`Kernel::portable`] make one, so holding a value proves the instructions exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kernel(Isa);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Isa {
    Portable,
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    Avx2,
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    Avx512,
}

impl Kernel {
    /// The portable kernels (plain Rust that the compiler vectorises), on every target.
    pub const fn portable() -> Kernel {
        Kernel(Isa::Portable)
    }

    /// The kernels every product uses: the best available, or the one `STATICNET_KERNEL`
    /// names. Detected once, then read from a cached value.
    #[inline]
    pub fn active() -> Kernel {
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        {
            use core::sync::atomic::{AtomicU8, Ordering};
            static ACTIVE: AtomicU8 = AtomicU8::new(0);
            let kernel = match ACTIVE.load(Ordering::Relaxed) {
                1 => Isa::Portable,
                2 => Isa::Avx2,
                3 => Isa::Avx512,
                _ => {
                    let kernel = chosen();
                    ACTIVE.store(kernel.0 as u8 + 1, Ordering::Relaxed);
                    return kernel;
                }
            };
            Kernel(kernel)
        }
        #[cfg(not(all(feature = "std", target_arch = "x86_64")))]
        Kernel::portable()
    }

    /// Every set of kernels this processor runs, the portable one first.
    pub fn available() -> impl Iterator<Item = Kernel> {
        [Kernel::portable()].into_iter().chain(Kernel::vector())
    }

    /// The name `STATICNET_KERNEL` takes: `portable`, `avx2` or `avx512`.
    pub fn name(self) -> &'static str {
        match self.0 {
            Isa::Portable => "portable",
            #[cfg(all(feature = "std", target_arch = "x86_64"))]
            Isa::Avx2 => "avx2",
            #[cfg(all(feature = "std", target_arch = "x86_64"))]
            Isa::Avx512 => "avx512",
        }
    }

    pub(super) fn isa(self) -> Isa {
        self.0
    }

    /// The vector kernels this processor runs (none without `std` or off x86-64).
    fn vector() -> impl Iterator<Item = Kernel> {
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        let vector = [(Isa::Avx2, has_avx2_fma()), (Isa::Avx512, has_avx512())];
        #[cfg(not(all(feature = "std", target_arch = "x86_64")))]
        let vector: [(Isa, bool); 0] = [];
        vector.into_iter().filter(|&(_, runs)| runs).map(|(isa, _)| Kernel(isa))
    }
}

/// The kernel `STATICNET_KERNEL` names if this processor runs it, else the best one.
/// Where the variable is set, reading it allocates a copy of its value, once per process
/// (`std` has no other way to read it safely).
#[cfg(all(feature = "std", target_arch = "x86_64"))]
fn chosen() -> Kernel {
    let asked = std::env::var("STATICNET_KERNEL").ok();
    let best = Kernel::available().last().unwrap_or(Kernel::portable());
    Kernel::available().find(|k| asked.as_deref() == Some(k.name())).unwrap_or(best)
}

/// Whether this processor has AVX2 and FMA (detected once, then cached by `std`).
#[cfg(all(feature = "std", target_arch = "x86_64"))]
fn has_avx2_fma() -> bool {
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
}

/// Whether this processor has AVX-512F, AVX2 and FMA.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
fn has_avx512() -> bool {
    std::is_x86_feature_detected!("avx512f") && has_avx2_fma()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_active_kernel_is_available_and_the_portable_one_always_is() {
        let available: std::vec::Vec<Kernel> = Kernel::available().collect();
        assert_eq!(available[0], Kernel::portable());
        assert!(available.contains(&Kernel::active()));
        // Called again, the cached value.
        assert_eq!(Kernel::active(), Kernel::active());
    }

    #[test]
    fn the_environment_names_a_kernel() {
        // `.ci/run` runs the tests once per kernel with STATICNET_KERNEL set; when it is,
        // the active kernel must be the one named (CI only asks for kernels that run).
        if let Ok(asked) = std::env::var("STATICNET_KERNEL") {
            assert_eq!(Kernel::active().name(), asked);
        }
    }
}
