//! Image augmentation on `[C, H, W]` samples, drawn afresh for every batch: transformed
//! copies of the training images that enlarge the training set and fight overfitting.
//!
//! Each transform is an [`Augment`]; a tuple of them applies them in order (PyTorch's
//! `transforms.Compose`). An [`Augmenter`] holds the transform, its seeded generator and
//! one image of scratch space, so applying it allocates nothing and needs no `std`.
//!
//! ```
//! use staticnet_core::augment::{Augmenter, Cutout, GaussianNoise, RandomCrop, RandomHorizontalFlip, RandomRotation};
//!
//! let pipeline = (RandomCrop { padding: 2, fill: 0.0 }, RandomRotation { degrees: 10.0, fill: 0.0 },
//!                 RandomHorizontalFlip { p: 0.5 }, Cutout { size: 6, fill: 0.0 }, GaussianNoise { std: 0.05 });
//! let mut augmenter = Augmenter::<_, 1, 28, 28>::new(pipeline, 42);
//! let mut batch = vec![[0.5f32; 784]; 32];        // flat samples, as in a Dataset<784>
//! augmenter.apply_flat(&mut batch);               // each sample its own draw
//! assert!(batch.iter().flatten().all(|v| v.is_finite()));
//! ```

mod crop;
mod cutout;
mod flip;
mod noise;
mod rotate;
mod translate;

pub use crop::RandomCrop;
pub use cutout::Cutout;
pub use flip::RandomHorizontalFlip;
pub use noise::GaussianNoise;
pub use rotate::RandomRotation;
pub use translate::RandomTranslation;

use rand::rngs::SmallRng;
use rand::{RngCore, SeedableRng};

use crate::flat::reshape_mut;

/// An image of `C` channels of `H` rows of `W` values.
pub type Image<const C: usize, const H: usize, const W: usize> = [[[f32; W]; H]; C];

/// A random transform of one `[C, H, W]` image, in place.
pub trait Augment<const C: usize, const H: usize, const W: usize> {
    /// Transforms `image` with draws from `rng`; `scratch` is one image of working space
    /// whose contents on entry and exit mean nothing.
    fn apply(&self, image: &mut Image<C, H, W>, scratch: &mut Image<C, H, W>, rng: &mut dyn RngCore);
}

macro_rules! compose {
    ($($t:ident),+) => {
        /// The transforms one after another, left to right.
        impl<const C: usize, const H: usize, const W: usize, $($t: Augment<C, H, W>),+> Augment<C, H, W> for ($($t,)+) {
            #[allow(non_snake_case)]
            fn apply(&self, image: &mut Image<C, H, W>, scratch: &mut Image<C, H, W>, rng: &mut dyn RngCore) {
                let ($($t,)+) = self;
                $($t.apply(image, scratch, rng);)+
            }
        }
    };
}
compose!(A);
compose!(A, B);
compose!(A, B, D);
compose!(A, B, D, E);
compose!(A, B, D, E, F);
compose!(A, B, D, E, F, G);
compose!(A, B, D, E, F, G, I);
compose!(A, B, D, E, F, G, I, J);

/// A transform with its generator and scratch image: applied to a batch just before each
/// training step, every image gets its own draw, reproducibly for a seed.
pub struct Augmenter<A, const C: usize, const H: usize, const W: usize> {
    /// The transform.
    pub augment: A,
    rng: SmallRng,
    scratch: Image<C, H, W>,
}

impl<A: Augment<C, H, W>, const C: usize, const H: usize, const W: usize> Augmenter<A, C, H, W> {
    /// `augment` with a generator seeded by `seed`.
    pub fn new(augment: A, seed: u64) -> Self {
        Augmenter { augment, rng: SmallRng::seed_from_u64(seed), scratch: [[[0.0; W]; H]; C] }
    }

    /// Transforms every image of `images` in place.
    pub fn apply(&mut self, images: &mut [Image<C, H, W>]) {
        for image in images {
            self.augment.apply(image, &mut self.scratch, &mut self.rng);
        }
    }

    /// [`Augmenter::apply`] on flat samples of `N = C·H·W` values (row-major, as a
    /// [`Dataset`](crate::data::Dataset) holds them); another `N` is a compile error.
    pub fn apply_flat<const N: usize>(&mut self, samples: &mut [[f32; N]]) {
        self.apply(reshape_mut::<[f32; N], Image<C, H, W>>(samples));
    }
}

/// A shift of the image by `(dy, dx)` pixels (positive: down and right), the uncovered
/// area filled with `fill`. Shared by [`RandomTranslation`] and [`RandomCrop`].
fn shift<const C: usize, const H: usize, const W: usize>(
    image: &mut Image<C, H, W>,
    scratch: &mut Image<C, H, W>,
    dy: isize,
    dx: isize,
    fill: f32,
) {
    *scratch = *image;
    for (out, src) in image.iter_mut().zip(scratch.iter()) {
        for (y, row) in out.iter_mut().enumerate() {
            for (x, v) in row.iter_mut().enumerate() {
                let (sy, sx) = (y as isize - dy, x as isize - dx);
                *v = if (0..H as isize).contains(&sy) && (0..W as isize).contains(&sx) {
                    src[sy as usize][sx as usize]
                } else {
                    fill
                };
            }
        }
    }
}

/// A uniform integer in `-max..=max`.
fn offset(rng: &mut dyn RngCore, max: usize) -> isize {
    (rng.next_u64() % (2 * max as u64 + 1)) as isize - max as isize
}

/// A uniform float in `[0, 1)` from the top 24 bits of a draw.
fn unit(rng: &mut dyn RngCore) -> f32 {
    (rng.next_u32() >> 8) as f32 / (1u32 << 24) as f32
}
