//! Inverted dropout, PyTorch's `nn.Dropout`, with Monte-Carlo dropout at inference.

use core::marker::PhantomData;

use crate::flat::{Flat, Zeroable, flatten, flatten_mut};
use crate::layer::{Layer, Mode};
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
/// The mask and the random generator live in the cache ([`DropoutCache`]): the generator
/// is SplitMix64, started on first use from a hash of the layer's `seed` (different seeds
/// give unrelated streams), so a run is reproducible and nothing is allocated.
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

/// What a [`Dropout`] layer keeps for a batch of up to `B` rows. The fields are public so
/// that a test can inject a fixed mask (set `mask` and `frozen`).
pub struct DropoutCache<S, const B: usize> {
    /// `1.0` where an element was kept, `0.0` where it was dropped, one block per row.
    pub mask: [S; B],
    /// SplitMix64 state of the layer's random stream.
    pub rng: u64,
    /// Whether `rng` has been started from the layer's seed (the cache starts all zero).
    pub seeded: bool,
    /// When set, an active forward pass uses `mask` as it is instead of drawing a new one.
    pub frozen: bool,
    /// Whether the last forward pass applied the mask (training or Monte-Carlo dropout).
    pub active: bool,
}

// SAFETY: `S: Flat` is zeroable, and so are the integer and the bools (0, false).
unsafe impl<S: Flat, const B: usize> Zeroable for DropoutCache<S, B> {}

impl<S, const B: usize> DropoutCache<S, B> {
    /// The generator's state, started from a hash of `seed` on first use.
    fn stream(&mut self, seed: u64) -> u64 {
        if !self.seeded {
            // Hashing the seed spreads nearby seeds (0, 1, 2, ...) to unrelated places in
            // the generator's 2^64-long sequence.
            self.rng = mix(seed ^ 0x6A09_E667_F3BC_C908);
            self.seeded = true;
        }
        self.rng
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

impl<S: Flat> Layer for Dropout<S> {
    type Input = S;
    type Output = S;
    type Params = ();
    type State = ();
    type Cache<const B: usize> = DropoutCache<S, B>;

    fn init<R: RngCore + ?Sized>(&self, _: &mut (), _: &mut (), _: &mut R) {}

    fn forward<const B: usize>(
        &self,
        _: &(),
        _: &(),
        x: &[S],
        y: &mut [S],
        cache: &mut DropoutCache<S, B>,
        mode: Mode,
    ) {
        cache.active = matches!(mode, Mode::Train | Mode::McDropout);
        if !cache.active {
            flatten_mut(y).copy_from_slice(flatten(x));
            return;
        }
        let rows = x.len().min(B);
        if !cache.frozen {
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
        let scale = self.scale();
        let mask = flatten(&cache.mask[..rows]);
        for ((y, &x), &m) in flatten_mut(y).iter_mut().zip(flatten(x)).zip(mask) {
            *y = x * m * scale;
        }
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
