//! A network together with its parameters and state.

use crate::flat::Flat;
use crate::layer::{Forward, Layer};
use core::mem::MaybeUninit;
use rand::SeedableRng;
use rand::rngs::SmallRng;

/// A network `N` (its layers and hyperparameters), its trainable parameters as one flat
/// block, and its non-trainable state.
///
/// Not `Copy`, so that a large model is never copied by accident; `clone()` copies it.
///
/// On x86-64 the parameters start on a 64-byte cache line ([`crate::cache_line`]), so
/// [`Model::BYTES`] may include up to 63 bytes of padding there.
#[derive(Clone, Debug)]
#[cfg_attr(target_arch = "x86_64", repr(C, align(64)))]
pub struct Model<N: Forward> {
    /// Every trainable parameter, one contiguous block (`params.as_flat()`), with a typed
    /// field per layer (`params.fc1.weight`).
    pub params: N::Params,
    /// The layers and their hyperparameters.
    pub net: N,
    /// Non-trainable state (running statistics), saved with the model.
    pub state: N::State,
}

impl<N: Forward> Model<N> {
    /// Bytes taken by the parameters and state.
    pub const BYTES: usize = core::mem::size_of::<Self>();
}

impl<N: Layer> Model<N> {
    /// A model of `net` whose parameters are drawn with a generator seeded by `seed`.
    ///
    /// Built on the stack, at most [`STACK_LIMIT`](crate::workspace::STACK_LIMIT) bytes (a
    /// compile error beyond): for large networks use [`Model::new_boxed`] or
    /// [`Model::with_net_in`].
    pub fn with_net(net: N, seed: u64) -> Self {
        crate::workspace::assert_fits_on_stack::<Self>();
        let mut model = Model { net, params: N::Params::zeroed(), state: N::State::zeroed() };
        model.reinit(seed);
        model
    }

    /// Draws fresh parameters and resets the state.
    pub fn reinit(&mut self, seed: u64) {
        let mut rng = SmallRng::seed_from_u64(seed);
        self.net.init(&mut self.params, &mut self.state, &mut rng);
    }

    /// A model of the network as declared, built on the stack.
    pub fn new(seed: u64) -> Self
    where
        N: Default,
    {
        Self::with_net(N::default(), seed)
    }

    /// A model of the network as declared, built directly on the heap, so that a network
    /// larger than the stack never passes through it.
    #[cfg(feature = "alloc")]
    pub fn new_boxed(seed: u64) -> alloc::boxed::Box<Self>
    where
        N: Default,
    {
        let mut boxed = alloc::boxed::Box::<Self>::new_uninit();
        Self::new_in(&mut boxed, seed);
        // SAFETY: `new_in` initialised every field of the boxed value.
        unsafe { boxed.assume_init() }
    }

    /// A model of the network as declared, built in `place` (a `static`
    /// [`StaticSlot`](crate::placement::StaticSlot), a `Box::new_uninit()`, or a local
    /// `MaybeUninit`): the parameters and state are zeroed there and drawn in place, so
    /// the model never passes through the stack. Equal to `Model::new(seed)`.
    pub fn new_in(place: &mut MaybeUninit<Self>, seed: u64) -> &mut Self
    where
        N: Default,
    {
        Self::with_net_in(place, N::default(), seed)
    }

    /// As [`Model::with_net`], built in `place` (see [`Model::new_in`]). Only `net`, the
    /// layers' hyperparameters, passes through the stack.
    pub fn with_net_in(place: &mut MaybeUninit<Self>, net: N, seed: u64) -> &mut Self {
        let ptr = place.as_mut_ptr();
        // SAFETY: `ptr` points to memory valid for writes and properly aligned for `Self`
        // (it comes from a `MaybeUninit<Self>`). Each field is written once through a raw
        // pointer, without creating a reference to uninitialised memory; parameters and
        // state are `Flat`, so all-zero bytes are a valid value. After the three writes
        // every field is initialised, so `assume_init_mut` is sound.
        let model = unsafe {
            (&raw mut (*ptr).net).write(net);
            (&raw mut (*ptr).params).write_bytes(0, 1);
            (&raw mut (*ptr).state).write_bytes(0, 1);
            place.assume_init_mut()
        };
        model.reinit(seed);
        model
    }
}
