//! Plain blocks of `f32` whose size is known at compile time.
//!
//! Samples (`[f32; 784]`, `[[[f32; 28]; 28]; 1]`), batches and parameter blocks are all
//! nested arrays or `#[repr(C)]` structs of them. [`Flat`] views any of them as one
//! contiguous `&[f32]` of length [`Flat::LEN`], which is what optimizers and kernels loop over.

/// A value that is valid when every byte is zero: plain data, which threads may send and
/// share (so that workspaces and models can be trained on several threads).
///
/// # Safety
/// The all-zero bit pattern must be a valid value of the type.
pub unsafe trait Zeroable: Sized + Send + Sync {}

/// A contiguous block of `LEN` `f32` values with no padding.
///
/// # Safety
/// `size_of::<Self>() == Self::LEN * 4`, every field is an `f32` (so every bit pattern of
/// the block is a valid value), and, when `LEN > 0`, the alignment is that of `f32`. A
/// zero-sized block (`()`, `[(); 3]`, `[f32; 0]`) may have any alignment: its views are
/// empty slices that never use its address. The size and alignment are checked at compile
/// time wherever a view is taken.
pub unsafe trait Flat: Zeroable + Copy {
    /// Number of `f32` elements.
    const LEN: usize;

    /// The block as a slice of `LEN` values.
    fn as_flat(&self) -> &[f32] {
        layout_is_flat::<Self>();
        if Self::LEN == 0 {
            return &[];
        }
        // SAFETY: by the trait contract (size and alignment checked above) `Self` is `LEN`
        // contiguous, initialised f32 values, aligned for f32 since `LEN > 0`.
        unsafe { core::slice::from_raw_parts((self as *const Self).cast::<f32>(), Self::LEN) }
    }

    /// The block as a mutable slice of `LEN` values.
    fn as_flat_mut(&mut self) -> &mut [f32] {
        layout_is_flat::<Self>();
        if Self::LEN == 0 {
            return &mut [];
        }
        // SAFETY: as in `as_flat`; every f32 bit pattern is a valid `Self`.
        unsafe { core::slice::from_raw_parts_mut((self as *mut Self).cast::<f32>(), Self::LEN) }
    }

    /// A block of zeros.
    fn zeroed() -> Self {
        // SAFETY: `Flat: Zeroable`.
        unsafe { core::mem::zeroed() }
    }
}

/// Checks at compile time the layout half of the [`Flat`] contract: `LEN` f32 values,
/// f32-aligned unless empty.
#[inline(always)]
const fn layout_is_flat<T: Flat>() {
    const {
        assert!(core::mem::size_of::<T>() == T::LEN * 4, "a Flat block must be exactly LEN f32 values");
        assert!(T::LEN == 0 || core::mem::align_of::<T>() == 4, "a non-empty Flat block must be f32-aligned");
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
    layout_is_flat::<T>();
    if T::LEN == 0 {
        return &[];
    }
    // SAFETY: `[T]` is `len` contiguous `T` blocks of `LEN` f32 each, without padding, and
    // f32-aligned because `LEN > 0` (checked above).
    unsafe { core::slice::from_raw_parts(rows.as_ptr().cast::<f32>(), rows.len() * T::LEN) }
}

/// Mutable form of [`flatten`].
pub fn flatten_mut<T: Flat>(rows: &mut [T]) -> &mut [f32] {
    layout_is_flat::<T>();
    if T::LEN == 0 {
        return &mut [];
    }
    // SAFETY: as in `flatten`; every f32 bit pattern is a valid `T`.
    unsafe { core::slice::from_raw_parts_mut(rows.as_mut_ptr().cast::<f32>(), rows.len() * T::LEN) }
}

/// Rows of one block type viewed as rows of another with the same number of values (a
/// reshape, e.g. `[[[f32; 4]; 4]; 2]` as `[f32; 32]`). `network!` uses it to wire layers
/// whose sizes only the type checker knows (it checks the widths with a readable error
/// first) and to let `Flatten` share its input's buffer.
pub fn reshape<A: Flat, B: Flat>(rows: &[A]) -> &[B] {
    const { assert!(A::LEN == B::LEN, "reshape between blocks of different sizes") };
    layout_is_flat::<A>();
    layout_is_flat::<B>();
    if B::LEN == 0 {
        // SAFETY: `B` is zero-sized (`LEN` 0 f32 values), so any aligned non-null pointer
        // is valid for `len` of them.
        return unsafe { core::slice::from_raw_parts(core::ptr::NonNull::<B>::dangling().as_ptr(), rows.len()) };
    }
    // SAFETY: `A` and `B` are both `LEN > 0` contiguous f32 values with f32 alignment
    // (checked above), so `len` rows of one are exactly `len` rows of the other.
    unsafe { core::slice::from_raw_parts(rows.as_ptr().cast::<B>(), rows.len()) }
}

/// Mutable form of [`reshape`].
pub fn reshape_mut<A: Flat, B: Flat>(rows: &mut [A]) -> &mut [B] {
    const { assert!(A::LEN == B::LEN, "reshape between blocks of different sizes") };
    layout_is_flat::<A>();
    layout_is_flat::<B>();
    if B::LEN == 0 {
        // SAFETY: as in `reshape`; a zero-sized `B` needs no memory.
        return unsafe { core::slice::from_raw_parts_mut(core::ptr::NonNull::<B>::dangling().as_ptr(), rows.len()) };
    }
    // SAFETY: as in `reshape`; every f32 bit pattern is a valid `B`.
    unsafe { core::slice::from_raw_parts_mut(rows.as_mut_ptr().cast::<B>(), rows.len()) }
}

/// The first `rows` rows of a batch buffer `W` values wide, viewed as rows of `T`
/// (`T::LEN <= W`), packed: row `r` of `T` starts at value `r · T::LEN`. `network!` keeps
/// its gradient and inference buffers this way, each sized for the widest layer that
/// uses it.
///
/// # Panics
/// If `rows · T::LEN` exceeds the buffer's `B · W` values (generated code never asks).
pub fn rows<T: Flat, const W: usize, const B: usize>(buffer: &[[f32; W]; B], rows: usize) -> &[T] {
    reshape_flat(&flatten(buffer)[..rows * T::LEN], rows)
}

/// Mutable form of [`rows`].
///
/// # Panics
/// As [`rows`].
pub fn rows_mut<T: Flat, const W: usize, const B: usize>(buffer: &mut [[f32; W]; B], rows: usize) -> &mut [T] {
    reshape_flat_mut(&mut flatten_mut(buffer)[..rows * T::LEN], rows)
}

/// `values` (exactly `rows · T::LEN` f32) as `rows` blocks of `T`.
fn reshape_flat<T: Flat>(values: &[f32], rows: usize) -> &[T] {
    layout_is_flat::<T>();
    assert_eq!(values.len(), rows * T::LEN);
    if T::LEN == 0 {
        // SAFETY: `T` is zero-sized, so any aligned non-null pointer is valid for `rows` of them.
        return unsafe { core::slice::from_raw_parts(core::ptr::NonNull::<T>::dangling().as_ptr(), rows) };
    }
    // SAFETY: `values` holds exactly `rows · LEN` contiguous initialised f32 (asserted), and
    // `T` is `LEN > 0` f32 with f32 alignment (checked above).
    unsafe { core::slice::from_raw_parts(values.as_ptr().cast::<T>(), rows) }
}

/// Mutable form of [`reshape_flat`].
fn reshape_flat_mut<T: Flat>(values: &mut [f32], rows: usize) -> &mut [T] {
    layout_is_flat::<T>();
    assert_eq!(values.len(), rows * T::LEN);
    if T::LEN == 0 {
        // SAFETY: as in `reshape_flat`.
        return unsafe { core::slice::from_raw_parts_mut(core::ptr::NonNull::<T>::dangling().as_ptr(), rows) };
    }
    // SAFETY: as in `reshape_flat`; every f32 bit pattern is a valid `T`.
    unsafe { core::slice::from_raw_parts_mut(values.as_mut_ptr().cast::<T>(), rows) }
}

/// `values` (exactly `T::LEN` f32) as one block of `T`.
///
/// # Panics
/// If `values` holds another number of values.
pub(crate) fn block_mut<T: Flat>(values: &mut [f32]) -> &mut T {
    &mut reshape_flat_mut(values, 1)[0]
}

// SAFETY: zero is a valid f32.
unsafe impl Zeroable for f32 {}
// SAFETY: one f32.
unsafe impl Flat for f32 {
    const LEN: usize = 1;
}
// SAFETY: zero-sized.
unsafe impl Zeroable for () {}
// SAFETY: zero-sized: zero f32 values (the views of empty blocks never use the address).
unsafe impl Flat for () {
    const LEN: usize = 0;
}
// SAFETY: zero is valid for every integer.
unsafe impl Zeroable for u8 {}
// SAFETY: zero is valid for every integer.
unsafe impl Zeroable for i8 {}
// SAFETY: zero is valid for every integer.
unsafe impl Zeroable for i32 {}
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
    fn zero_sized_blocks_give_empty_views() {
        let mut units = [(); 3];
        assert!(units.as_flat().is_empty() && units.as_flat_mut().is_empty());
        assert!(flatten(&[(); 3]).is_empty() && flatten_mut(&mut [[(); 2]; 4]).is_empty());
        let empty: &[[f32; 0]] = reshape(&[[(); 5]; 2]);
        assert_eq!(empty.len(), 2);
        let mut floats = [[0.0f32; 0]; 3];
        let empty: &mut [()] = reshape_mut(&mut floats);
        assert_eq!(empty.len(), 3);
        let none: &[()] = rows(&[[0.0f32; 0]; 4], 4);
        assert_eq!(none.len(), 4);
    }

    #[test]
    fn rows_view_a_prefix_of_a_wide_buffer_packed() {
        let mut buffer = [[0.0f32; 5]; 3];
        rows_mut::<[f32; 3], 5, 3>(&mut buffer, 4)[3][2] = 7.0;
        // Row 3 of width 3 ends at value 12: row 2, column 1 of the buffer.
        assert_eq!(buffer[2][1], 7.0);
        assert_eq!(rows::<[f32; 3], 5, 3>(&buffer, 5).len(), 5);
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
