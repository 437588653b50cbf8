//! Plain blocks of `f32` whose size is known at compile time.
//!
//! Samples (`[f32; 784]`, `[[[f32; 28]; 28]; 1]`), batches and parameter blocks are all
//! nested arrays or `#[repr(C)]` structs of them. [`Flat`] views any of them as one
//! contiguous `&[f32]` of length [`Flat::LEN`], which is what optimizers and kernels loop over.

/// A value that is valid when every byte is zero.
///
/// # Safety
/// The all-zero bit pattern must be a valid value of the type.
pub unsafe trait Zeroable: Sized {}

/// A contiguous block of `LEN` `f32` values with no padding.
///
/// # Safety
/// `size_of::<Self>() == Self::LEN * 4`, the alignment is that of `f32`, and every field
/// is an `f32` (so every bit pattern of the block is a valid value). A zero-sized type
/// (alignment 1) must override `as_flat` and `as_flat_mut` to return empty slices.
pub unsafe trait Flat: Zeroable + Copy {
    /// Number of `f32` elements.
    const LEN: usize;

    /// The block as a slice of `LEN` values.
    fn as_flat(&self) -> &[f32] {
        // SAFETY: by the trait contract `Self` is `LEN` contiguous, initialised f32 values.
        unsafe { core::slice::from_raw_parts((self as *const Self).cast::<f32>(), Self::LEN) }
    }

    /// The block as a mutable slice of `LEN` values.
    fn as_flat_mut(&mut self) -> &mut [f32] {
        // SAFETY: as in `as_flat`; every f32 bit pattern is a valid `Self`.
        unsafe { core::slice::from_raw_parts_mut((self as *mut Self).cast::<f32>(), Self::LEN) }
    }

    /// A block of zeros.
    fn zeroed() -> Self {
        // SAFETY: `Flat: Zeroable`.
        unsafe { core::mem::zeroed() }
    }
}

/// The all-zero value of `T`, usable in `const fn` (so that optimizers, workspaces and
/// models can be `static`).
pub const fn zeroed<T: Zeroable>() -> T {
    // SAFETY: `T: Zeroable`: the all-zero bit pattern is a valid `T`.
    unsafe { core::mem::zeroed() }
}

/// A zeroed `T` built directly on the heap, never on the stack (for large buffers).
#[cfg(feature = "alloc")]
pub fn boxed_zeroed<T: Zeroable>() -> alloc::boxed::Box<T> {
    // SAFETY: `T: Zeroable`, so the zeroed allocation is a valid `T`.
    unsafe { alloc::boxed::Box::<T>::new_zeroed().assume_init() }
}

/// Zeroes `place` and returns it initialised: the in-place form of [`zeroed`], for values
/// too large for the stack (in a [`StaticSlot`](crate::placement::StaticSlot)).
pub fn zeroed_in<T: Zeroable>(place: &mut core::mem::MaybeUninit<T>) -> &mut T {
    // SAFETY: `place` is valid for writes of one `T` and aligned for it (it is a
    // `MaybeUninit<T>`); after zeroing every byte it holds a valid `T`, because `T:
    // Zeroable`.
    unsafe {
        place.as_mut_ptr().write_bytes(0, 1);
        place.assume_init_mut()
    }
}

/// A slice of blocks viewed as one flat slice (rows of a batch, row-major).
pub fn flatten<T: Flat>(rows: &[T]) -> &[f32] {
    // SAFETY: `[T]` is `len` contiguous `T` blocks of `LEN` f32 each, without padding.
    unsafe { core::slice::from_raw_parts(rows.as_ptr().cast::<f32>(), rows.len() * T::LEN) }
}

/// Mutable form of [`flatten`].
pub fn flatten_mut<T: Flat>(rows: &mut [T]) -> &mut [f32] {
    // SAFETY: as in `flatten`; every f32 bit pattern is a valid `T`.
    unsafe { core::slice::from_raw_parts_mut(rows.as_mut_ptr().cast::<f32>(), rows.len() * T::LEN) }
}

/// Rows of one block type viewed as rows of another with the same number of values (a
/// reshape, e.g. `[[[f32; 4]; 4]; 2]` as `[f32; 32]`). Used where `network!` wires a layer
/// whose sizes only the type checker knows; it checks the widths with a readable error first.
pub fn reshape<A: Flat, B: Flat>(rows: &[A]) -> &[B] {
    const { assert!(A::LEN == B::LEN, "reshape between blocks of different sizes") };
    // SAFETY: `A` and `B` are both `LEN` contiguous f32 values with f32 alignment (`Flat`),
    // so `len` rows of one are exactly `len` rows of the other.
    unsafe { core::slice::from_raw_parts(rows.as_ptr().cast::<B>(), rows.len()) }
}

/// Mutable form of [`reshape`].
pub fn reshape_mut<A: Flat, B: Flat>(rows: &mut [A]) -> &mut [B] {
    const { assert!(A::LEN == B::LEN, "reshape between blocks of different sizes") };
    // SAFETY: as in `reshape`; every f32 bit pattern is a valid `B`.
    unsafe { core::slice::from_raw_parts_mut(rows.as_mut_ptr().cast::<B>(), rows.len()) }
}

// SAFETY: zero is a valid f32.
unsafe impl Zeroable for f32 {}
// SAFETY: one f32.
unsafe impl Flat for f32 {
    const LEN: usize = 1;
}
// SAFETY: zero-sized.
unsafe impl Zeroable for () {}
// SAFETY: zero-sized: zero f32 values; the views are empty slices, never a cast of the
// (unaligned for f32) address of `()`.
unsafe impl Flat for () {
    const LEN: usize = 0;

    fn as_flat(&self) -> &[f32] {
        &[]
    }

    fn as_flat_mut(&mut self) -> &mut [f32] {
        &mut []
    }
}
// SAFETY: zero is valid for every integer.
unsafe impl Zeroable for u8 {}
// SAFETY: zero is valid for every integer.
unsafe impl Zeroable for u32 {}
// SAFETY: zero is valid for every integer.
unsafe impl Zeroable for u64 {}
// SAFETY: zero is valid for every integer.
unsafe impl Zeroable for usize {}
// SAFETY: an array of zeroable elements is zeroable.
unsafe impl<T: Zeroable, const N: usize> Zeroable for [T; N] {}
// SAFETY: arrays have no padding between elements; N blocks of T::LEN f32 each.
unsafe impl<T: Flat, const N: usize> Flat for [T; N] {
    const LEN: usize = T::LEN * N;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy)]
    #[repr(C)]
    struct Pair {
        a: [[f32; 3]; 2],
        b: [f32; 2],
    }
    // SAFETY: repr(C) of f32 arrays.
    unsafe impl Zeroable for Pair {}
    // SAFETY: repr(C) of f32 arrays, 6 + 2 values.
    unsafe impl Flat for Pair {
        const LEN: usize = 8;
    }

    #[test]
    fn views_are_row_major_and_cover_every_field() {
        let mut p = Pair::zeroed();
        p.a[1][2] = 5.0;
        p.b[1] = 7.0;
        assert_eq!(p.as_flat(), &[0., 0., 0., 0., 0., 5., 0., 7.]);
        p.as_flat_mut()[0] = 1.0;
        assert_eq!(p.a[0][0], 1.0);
        assert_eq!(core::mem::size_of::<Pair>(), Pair::LEN * 4);
    }

    #[test]
    fn flatten_covers_the_rows_given() {
        let mut rows = [[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]];
        assert_eq!(flatten(&rows[..2]), &[1., 2., 3., 4.]);
        flatten_mut(&mut rows[1..])[3] = 9.0;
        assert_eq!(rows[2][1], 9.0);
        assert_eq!(<[[f32; 3]; 4]>::LEN, 12);
    }

    #[test]
    fn reshape_keeps_values_in_row_major_order() {
        let mut images = [[[1.0f32, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]];
        let flat: &[[f32; 4]] = reshape(&images);
        assert_eq!(flat, &[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]);
        reshape_mut::<_, [f32; 4]>(&mut images)[1][2] = 0.0;
        assert_eq!(images[1][1][0], 0.0);
    }
}
