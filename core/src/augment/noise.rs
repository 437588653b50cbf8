//! Additive Gaussian noise, Keras's `GaussianNoise` layer as a data transform.

use rand::RngCore;
use rand_distr::{Distribution, StandardNormal};

use super::{Augment, Image};

/// Adds independent `N(0, std²)` noise to every value. Works on any sample (tabular data
/// too, as a `[1, 1, N]` image).
#[derive(Clone, Copy, Debug)]
pub struct GaussianNoise {
    /// Standard deviation of the noise.
    pub std: f32,
}

impl<const C: usize, const H: usize, const W: usize> Augment<C, H, W> for GaussianNoise {
    fn apply(&self, image: &mut Image<C, H, W>, _scratch: &mut Image<C, H, W>, mut rng: &mut dyn RngCore) {
        for v in image.iter_mut().flatten().flatten() {
            let z: f32 = StandardNormal.sample(&mut rng);
            *v += self.std * z;
        }
    }
}
