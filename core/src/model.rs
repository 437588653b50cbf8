//! A network together with its parameters and state.

use crate::flat::Flat;
use crate::layer::Layer;
use rand::SeedableRng;
use rand::rngs::SmallRng;

/// A network `N` (its layers and hyperparameters), its trainable parameters as one flat
/// block, and its non-trainable state.
#[derive(Clone, Copy, Debug)]
pub struct Model<N: Layer> {
    /// The layers and their hyperparameters.
    pub net: N,
    /// Every trainable parameter, one contiguous block (`params.as_flat()`), with a typed
    /// field per layer (`params.fc1.weight`).
    pub params: N::Params,
    /// Non-trainable state (running statistics), saved with the model.
    pub state: N::State,
}

impl<N: Layer> Model<N> {
    /// Bytes taken by the parameters and state.
    pub const BYTES: usize = core::mem::size_of::<Self>();

    /// A model of `net` whose parameters are drawn with a generator seeded by `seed`.
    ///
    /// Built on the stack: for large networks use [`Model::new_boxed`].
    pub fn with_net(net: N, seed: u64) -> Self {
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
        let ptr = boxed.as_mut_ptr();
        // SAFETY: `ptr` points to allocated, properly aligned memory for `Self`. Each field
        // is written once through a raw pointer, without creating a reference to
        // uninitialised memory; parameters and state are `Flat`, so all-zero bytes are a
        // valid value. After the three writes every field is initialised.
        let mut model = unsafe {
            core::ptr::addr_of_mut!((*ptr).net).write(N::default());
            core::ptr::addr_of_mut!((*ptr).params).write_bytes(0, 1);
            core::ptr::addr_of_mut!((*ptr).state).write_bytes(0, 1);
            boxed.assume_init()
        };
        model.reinit(seed);
        model
    }
}
