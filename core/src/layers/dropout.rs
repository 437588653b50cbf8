//! Inverted dropout, PyTorch's `nn.Dropout`, with Monte-Carlo dropout at inference.

use core::marker::PhantomData;

use crate::flat::{Flat, Zeroable, flatten, flatten_mut};
use crate::layer::{Forward, GradMode, InPlace, Layer, Mode};
use crate::tensors::{TensorPath, TensorVisitor};
use rand::RngCore;

/// Inverted dropout on samples `S` of any shape, as PyTorch's `nn.Dropout(p)`:
///
/// `y = x · mask / (1 - p)`, `mask ~ Bernoulli(1 - p)` drawn anew for every element of every
/// training pass ([`Mode::Train`]), and `y = x` in [`Mode::Eval`] (no rescaling at
/// inference, because training already divided by `1 - p`). In [`Mode::McDropout`] the
/// mask stays active at inference (Monte-Carlo dropout: several passes sample the
/// network's predictive distribution).
///
/// `p` is the probability of DROPPING an element, in `[0, 1)` (`network!` checks it):
/// `p = 0` keeps everything; `p >= 1` drops everything (`y = 0`, no division by zero).
///
/// Backward: `dx = dy · mask / (1 - p)` after an active pass, `dx = dy` otherwise.
///
/// The mask and the random generator live in the cache ([`DropoutCache`]), that is in the
/// workspace: the generator is SplitMix64, started on first use from a hash of the layer's
/// `seed` and of the workspace's seed ([`Layer::reseed`]; 0 unless the workspace was
/// seeded), so a run is reproducible, two workspaces seeded differently draw independent
/// masks, and nothing is allocated.
pub struct Dropout<S> {
    /// Probability of dropping each element, in `[0, 1)`.
    pub p: f32,
    /// Seed of this layer's random stream.
    pub seed: u64,
    _shape: PhantomData<fn() -> S>,
}

impl<S> Dropout<S> {
    /// A dropout layer dropping each element with probability `p`, drawing its masks
    /// from a stream seeded by `seed`.
    pub fn new(p: f32, seed: u64) -> Self {
        Dropout { p, seed, _shape: PhantomData }
    }

    /// `1 / (1 - p)` for `p` in `[0, 1)`; 0 for `p >= 1`, where every element is dropped.
    fn scale(&self) -> f32 {
        if self.p < 1.0 { 1.0 / (1.0 - self.p.max(0.0)) } else { 0.0 }
    }
}

impl<S> Default for Dropout<S> {
    /// PyTorch's default `p = 0.5`, seed 0.
    fn default() -> Self {
        Self::new(0.5, 0)
    }
}

impl<S> Clone for Dropout<S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S> Copy for Dropout<S> {}
impl<S> core::fmt::Debug for Dropout<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Dropout").field("p", &self.p).field("seed", &self.seed).finish()
    }
}

/// What a [`Dropout`] layer keeps for a batch of up to `B` rows: the mask of the last
/// active pass and the layer's random stream.
pub struct DropoutCache<S, const B: usize> {
    /// `1.0` where an element was kept, `0.0` where it was dropped, one block per row.
    mask: [S; B],
    /// SplitMix64 state of the layer's random stream.
    rng: u64,
    /// Whether `rng` has been started (the cache starts all zero).
    seeded: bool,
    /// Whether active passes reuse `mask` instead of drawing one ([`DropoutCache::set_mask`]).
    fixed: bool,
    /// Whether the last forward pass applied the mask (training or Monte-Carlo dropout).
    active: bool,
}

// SAFETY: `S: Flat` is zeroable, and so are the integer and the bools (0, false).
unsafe impl<S: Flat, const B: usize> Zeroable for DropoutCache<S, B> {}

impl<S, const B: usize> DropoutCache<S, B> {
    /// The generator's state, started on first use as [`Layer::reseed`] with seed 0 would.
    fn stream(&mut self, layer_seed: u64) -> u64 {
        if !self.seeded {
            self.start(layer_seed, 0);
        }
        self.rng
    }

    /// Starts the stream from a hash of both seeds: nearby seeds (0, 1, 2, ...) land at
    /// unrelated places of the generator's 2^64-long sequence.
    fn start(&mut self, layer_seed: u64, workspace_seed: u64) {
        self.rng = mix(layer_seed ^ 0x6A09_E667_F3BC_C908 ^ workspace_seed.wrapping_mul(GOLDEN_GAMMA));
        self.seeded = true;
        self.fixed = false;
    }

    /// Uses `mask` (1 keeps an element, 0 drops it) in every following active pass
    /// instead of drawing one, until [`Layer::reseed`]: to replay a mask drawn elsewhere,
    /// such as PyTorch's.
    pub fn set_mask(&mut self, mask: [S; B]) {
        self.mask = mask;
        self.fixed = true;
    }

    /// Whether the last forward pass applied a mask (training or Monte-Carlo dropout).
    pub fn was_active(&self) -> bool {
        self.active
    }
}

/// The SplitMix64 increment.
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl<S: Flat> Dropout<S> {
    /// Draws a fresh mask for `rows` rows into the cache, unless it is fixed.
    fn draw_mask<const B: usize>(&self, cache: &mut DropoutCache<S, B>, rows: usize) {
        if cache.fixed {
            return;
        }
        // Keep with probability 1 - p: a uniform draw in [0, 1) (24 bits) at least p.
        let p = self.p.max(0.0);
        let mut state = cache.stream(self.seed);
        for m in flatten_mut(&mut cache.mask[..rows]).iter_mut() {
            state = state.wrapping_add(GOLDEN_GAMMA);
            let u = (mix(state) >> 40) as f32 * (1.0 / (1u32 << 24) as f32);
            *m = if u >= p { 1.0 } else { 0.0 };
        }
        cache.rng = state;
    }
}

impl<S: Flat> Forward for Dropout<S> {
    type Input = S;
    type Output = S;
    type Params = ();
    type State = ();
    type Scratch<const B: usize> = ();

    /// The identity: inference never drops.
    fn infer<const B: usize>(&self, _: &(), _: &(), x: &[S], y: &mut [S], _: &mut ()) {
        flatten_mut(y).copy_from_slice(flatten(x));
    }
}

impl<S: Flat> Layer for Dropout<S> {
    type Cache<const B: usize> = DropoutCache<S, B>;

    fn init<R: RngCore + ?Sized>(&self, _: &mut (), _: &mut (), _: &mut R) {}

    fn reseed<const B: usize>(&self, cache: &mut DropoutCache<S, B>, seed: u64) {
        cache.start(self.seed, seed);
    }

    /// The generator's state as one counter named after the layer (started first if it
    /// has not drawn yet, which changes no mask it will draw).
    fn visit_streams<const B: usize, V: TensorVisitor>(
        &self,
        cache: &mut DropoutCache<S, B>,
        path: &TensorPath<'_>,
        visitor: &mut V,
    ) {
        let fixed = cache.fixed;
        let mut state = cache.stream(self.seed);
        visitor.counter(path, &mut state);
        cache.rng = state;
        cache.fixed = fixed;
    }

    fn forward<const B: usize>(
        &self,
        _: &(),
        _: &(),
        x: &[S],
        y: &mut [S],
        cache: &mut DropoutCache<S, B>,
        mode: Mode,
    ) {
        flatten_mut(y).copy_from_slice(flatten(x));
        self.forward_in_place::<B>(&(), &(), y, cache, mode);
    }

    fn backward<const B: usize>(
        &self,
        _: &(),
        _x: &[S],
        _y: &[S],
        dy: &[S],
        cache: &mut DropoutCache<S, B>,
        dx: Option<&mut [S]>,
        _: &mut (),
        _: GradMode,
    ) {
        let Some(dx) = dx else { return };
        if !cache.active {
            flatten_mut(dx).copy_from_slice(flatten(dy));
            return;
        }
        let scale = self.scale();
        let rows = dy.len().min(B);
        let mask = flatten(&cache.mask[..rows]);
        for ((dx, &g), &m) in flatten_mut(dx).iter_mut().zip(flatten(dy)).zip(mask) {
            *dx = g * m * scale;
        }
    }
}

impl<S: Flat> InPlace for Dropout<S> {
    fn infer_in_place(&self, _: &(), _: &(), _: &mut [S]) {}

    fn forward_in_place<const B: usize>(
        &self,
        _: &(),
        _: &(),
        xy: &mut [S],
        cache: &mut DropoutCache<S, B>,
        mode: Mode,
    ) {
        cache.active = matches!(mode, Mode::Train | Mode::McDropout);
        if !cache.active {
            return;
        }
        let rows = xy.len().min(B);
        self.draw_mask(cache, rows);
        let scale = self.scale();
        for (v, &m) in flatten_mut(xy).iter_mut().zip(flatten(&cache.mask[..rows])) {
            *v *= m * scale;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensors::{TensorPath, TensorVisitor};

    struct Streams(std::vec::Vec<u64>, Option<u64>);

    impl TensorVisitor for Streams {
        fn tensor(&mut self, _: &TensorPath<'_>, _: &[usize], _: &mut [f32]) {}
        fn counter(&mut self, _: &TensorPath<'_>, value: &mut u64) {
            self.0.push(*value);
            if let Some(v) = self.1 {
                *value = v;
            }
        }
    }

    #[test]
    fn a_restored_stream_draws_the_same_masks_and_a_fixed_mask_stays() {
        let layer = Dropout::<[f32; 64]>::new(0.5, 3);
        let mut first = crate::flat::zeroed::<DropoutCache<[f32; 64], 2>>();
        let x = [[1.0f32; 64]; 2];
        let mut y = [[0.0f32; 64]; 2];
        layer.forward::<2>(&(), &(), &x, &mut y, &mut first, Mode::Train);
        let mut saved = Streams(std::vec::Vec::new(), None);
        layer.visit_streams::<2, _>(&mut first, &TensorPath::ROOT, &mut saved);
        layer.forward::<2>(&(), &(), &x, &mut y, &mut first, Mode::Train);
        let next = y;

        let mut resumed = crate::flat::zeroed::<DropoutCache<[f32; 64], 2>>();
        layer.visit_streams::<2, _>(
            &mut resumed,
            &TensorPath::ROOT,
            &mut Streams(std::vec::Vec::new(), Some(saved.0[0])),
        );
        layer.forward::<2>(&(), &(), &x, &mut y, &mut resumed, Mode::Train);
        assert_eq!(y, next, "the restored stream draws the next mask");

        let mut fixed = crate::flat::zeroed::<DropoutCache<[f32; 64], 2>>();
        fixed.set_mask([[1.0; 64]; 2]);
        layer.visit_streams::<2, _>(&mut fixed, &TensorPath::ROOT, &mut Streams(std::vec::Vec::new(), None));
        layer.forward::<2>(&(), &(), &x, &mut y, &mut fixed, Mode::Train);
        assert_eq!(y, [[2.0; 64]; 2], "visiting keeps a fixed mask");
    }
}
