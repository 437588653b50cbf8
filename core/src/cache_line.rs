//! Blocks that start on a cache line.
//!
//! The system allocator puts large blocks 16 bytes past a 64-byte cache line, so without
//! care every 64-byte vector load or store of a parameter block, its gradients or an
//! optimizer's state touches two lines. Measured on an AMD EPYC (Zen 4), with every operand
//! of the batch-128 gradient products on a line rather than 16 bytes past one, the products
//! ran 1.0 to 1.9 times as fast (`alignment/` in `benches/benches/gemm.rs`), and one Adam
//! step of 784-128-10 at batch 32 1.23 to 1.29 times.
//!
//! On x86-64, whose kernels load 32 or 64 bytes at a time, the [`Model`](crate::Model)'s
//! parameters, the [`Workspace`](crate::Workspace)'s gradients and every optimizer buffer
//! start on a 64-byte line ([`BLOCK_ALIGN`]), at the cost of up to 63 bytes of padding
//! each. Elsewhere (the microcontrollers) they add nothing.

use crate::flat::Zeroable;
use core::ops::{Deref, DerefMut};

/// Where the parameter-sized blocks of a [`Model`](crate::Model), a
/// [`Workspace`](crate::Workspace) and the optimizers start, in bytes: 64 on x86-64, 4 (any
/// `f32`) elsewhere. Each such block takes a whole number of these, so on x86-64 a block of
/// `P` parameters takes `4·P` bytes rounded up to a multiple of 64.
pub const BLOCK_ALIGN: usize = if cfg!(target_arch = "x86_64") { 64 } else { 4 };

/// `T`, starting on a 64-byte cache line on x86-64 (so its size is a multiple of 64 bytes
/// there); `T` itself elsewhere.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[cfg_attr(target_arch = "x86_64", repr(C, align(64)))]
#[cfg_attr(not(target_arch = "x86_64"), repr(transparent))]
pub(crate) struct CacheAligned<T>(pub(crate) T);

// SAFETY: a `T` and padding; the all-zero `T` is valid because `T: Zeroable`, and padding
// may hold any bytes.
unsafe impl<T: Zeroable> Zeroable for CacheAligned<T> {}

impl<T> Deref for CacheAligned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for CacheAligned<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

#[cfg(test)]
mod tests {
    use super::CacheAligned;

    #[test]
    fn blocks_start_on_a_cache_line_on_x86_64() {
        let boxed = crate::flat::boxed_zeroed::<CacheAligned<[f32; 1001]>>();
        assert_eq!(core::ptr::from_ref(&boxed.0) as usize % super::BLOCK_ALIGN, 0);
        assert_eq!(core::mem::size_of::<CacheAligned<[f32; 1001]>>(), 4004usize.next_multiple_of(super::BLOCK_ALIGN));
        assert_eq!(core::mem::align_of::<CacheAligned<[f32; 1001]>>(), super::BLOCK_ALIGN);
        assert_eq!(boxed.0, [0.0; 1001]);
    }
}
