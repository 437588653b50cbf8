//! `K` models of one network, stored inline.

use core::mem::MaybeUninit;

use super::Voting;
use crate::layer::{Forward, Layer};
use crate::model::Model;

/// `K` models of network `N` (the members) and the rule that combines their outputs.
///
/// The members are an array, not a vector of boxes: the ensemble is one block of
/// `K · Model::<N>::BYTES` bytes plus the rule, known at compile time. Build a large
/// ensemble with [`Ensemble::new_boxed`] (one allocation) or [`Ensemble::new_in`] (in a
/// `static` or any `MaybeUninit`), which never pass it through the stack.
pub struct Ensemble<N: Forward, const K: usize> {
    /// The members, each a complete model (`members[3].params.fc1.weight`).
    pub members: [Model<N>; K],
    /// How their outputs are combined.
    pub voting: Voting,
}

// By hand: a derive would bound `N: Clone` rather than the members.
impl<N: Forward, const K: usize> Clone for Ensemble<N, K>
where
    Model<N>: Clone,
{
    fn clone(&self) -> Self {
        Ensemble { members: self.members.clone(), voting: self.voting }
    }
}

impl<N: Forward, const K: usize> core::fmt::Debug for Ensemble<N, K>
where
    Model<N>: core::fmt::Debug,
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ensemble").field("members", &self.members).field("voting", &self.voting).finish()
    }
}

impl<N: Forward, const K: usize> Ensemble<N, K> {
    /// Bytes taken by the members and the rule.
    pub const BYTES: usize = core::mem::size_of::<Self>();
}

impl<N: Layer + Default, const K: usize> Ensemble<N, K> {
    /// An ensemble of the network as declared, member `k` drawn from `seeds[k]`, built on
    /// the stack (at most [`STACK_LIMIT`](crate::workspace::STACK_LIMIT) bytes, a compile
    /// error beyond).
    pub fn new(seeds: [u64; K], voting: Voting) -> Self {
        const { assert!(K > 0, "an ensemble needs at least one member") };
        crate::workspace::assert_fits_on_stack::<Self>();
        Ensemble { members: seeds.map(Model::new), voting }
    }

    /// As [`Ensemble::new`], built directly on the heap in one allocation.
    #[cfg(feature = "alloc")]
    pub fn new_boxed(seeds: [u64; K], voting: Voting) -> alloc::boxed::Box<Self> {
        let mut boxed = alloc::boxed::Box::<Self>::new_uninit();
        Self::new_in(&mut boxed, seeds, voting);
        // SAFETY: `new_in` initialised every field of the boxed value.
        unsafe { boxed.assume_init() }
    }

    /// As [`Ensemble::new`], built in `place`: each member is built in its slot with
    /// [`Model::new_in`], so the ensemble never passes through the stack.
    pub fn new_in(place: &mut MaybeUninit<Self>, seeds: [u64; K], voting: Voting) -> &mut Self {
        const { assert!(K > 0, "an ensemble needs at least one member") };
        let ptr = place.as_mut_ptr();
        // SAFETY: `ptr` comes from a `MaybeUninit<Self>`, so it is valid for writes and
        // aligned; `&raw mut` takes the field's address without a reference to
        // uninitialised memory. `[MaybeUninit<Model<N>>; K]` has the layout of
        // `[Model<N>; K]`, and any bytes are a valid `MaybeUninit`, so the cast reference
        // is sound; it borrows `place` exclusively.
        let members = unsafe {
            (&raw mut (*ptr).voting).write(voting);
            &mut *(&raw mut (*ptr).members).cast::<[MaybeUninit<Model<N>>; K]>()
        };
        for (slot, seed) in members.iter_mut().zip(seeds) {
            Model::new_in(slot, seed);
        }
        // SAFETY: `voting` and every member were written above.
        unsafe { place.assume_init_mut() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flat::Flat;
    use crate::layers::Dense;

    /// Run under miri in CI: the in-place construction writes every field.
    #[test]
    fn built_in_place_equals_built_on_the_stack() {
        type Net = Dense<3, 2>;
        let on_stack = Ensemble::<Net, 3>::new([4, 5, 6], Voting::Hard);
        let boxed = Ensemble::<Net, 3>::new_boxed([4, 5, 6], Voting::Hard);
        let mut place = MaybeUninit::uninit();
        let in_place = Ensemble::<Net, 3>::new_in(&mut place, [4, 5, 6], Voting::Hard);
        for k in 0..3 {
            let single = Model::<Net>::new([4, 5, 6][k]);
            assert_eq!(on_stack.members[k].params.as_flat(), single.params.as_flat());
            assert_eq!(boxed.members[k].params.as_flat(), single.params.as_flat());
            assert_eq!(in_place.members[k].params.as_flat(), single.params.as_flat());
        }
        assert_ne!(on_stack.members[0].params.as_flat(), on_stack.members[1].params.as_flat());
        assert_eq!((boxed.voting, in_place.voting), (Voting::Hard, Voting::Hard));
    }
}
