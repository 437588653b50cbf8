//! The constructors every stateful optimizer shares.

/// The constructors of a stateful optimizer whose private `const fn init(&mut self, ...)`
/// sets its hyperparameters: `new` (by value, a `const fn`, so usable in a `static`),
/// `new_boxed` (zeroed on the heap) and `new_in` (zeroed in place, e.g. in a
/// [`StaticSlot`](crate::placement::StaticSlot)). The last two never pass the state
/// through the stack, however large it is.
macro_rules! constructors {
    ($($arg:ident: $ty:ty),*) => {
        /// Built by value with the given hyperparameters and PyTorch's defaults for the
        /// others. For large networks use `new_boxed` or `new_in`.
        pub const fn new($($arg: $ty),*) -> Self {
            let mut opt: Self = $crate::flat::zeroed();
            opt.init($($arg),*);
            opt
        }

        /// As `new`, allocated zeroed on the heap; set other hyperparameters through the
        /// public fields.
        #[cfg(feature = "alloc")]
        pub fn new_boxed($($arg: $ty),*) -> alloc::boxed::Box<Self> {
            let mut opt = $crate::flat::boxed_zeroed::<Self>();
            opt.init($($arg),*);
            opt
        }

        /// As `new`, zeroed in `place` and then given its hyperparameters.
        pub fn new_in(place: &mut core::mem::MaybeUninit<Self>, $($arg: $ty),*) -> &mut Self {
            let opt = $crate::flat::zeroed_in(place);
            opt.init($($arg),*);
            opt
        }
    };
}
pub(crate) use constructors;
