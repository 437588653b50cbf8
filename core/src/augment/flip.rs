//! Random horizontal flip, torchvision's `RandomHorizontalFlip`.

use rand::RngCore;

use super::{Augment, Image, unit};

/// Mirrors the image left to right with probability `p` (torchvision's default 0.5).
/// Not for digits or text, whose mirror images are other symbols.
#[derive(Clone, Copy, Debug)]
pub struct RandomHorizontalFlip {
    /// Probability of a flip.
    pub p: f32,
}

impl<const C: usize, const H: usize, const W: usize> Augment<C, H, W> for RandomHorizontalFlip {
    fn apply(&self, image: &mut Image<C, H, W>, _scratch: &mut Image<C, H, W>, rng: &mut dyn RngCore) {
        if unit(rng) < self.p {
            image.iter_mut().flatten().for_each(|row| row.reverse());
        }
    }
}
