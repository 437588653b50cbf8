//! Random crop of the padded image, torchvision's `RandomCrop(size, padding)`.

use rand::RngCore;

use super::{Augment, Image, offset, shift};

/// Pads the image by `padding` pixels of `fill` on every side and crops an `H x W` window
/// at a uniform position: torchvision's `RandomCrop((H, W), padding, fill=fill)`. The
/// window keeps the sample's size (a smaller output would be another sample type); the
/// result is the image shifted by a uniform `-padding..=padding` pixels in each direction.
#[derive(Clone, Copy, Debug)]
pub struct RandomCrop {
    /// Pixels of padding on each side.
    pub padding: usize,
    /// The padding's value.
    pub fill: f32,
}

impl<const C: usize, const H: usize, const W: usize> Augment<C, H, W> for RandomCrop {
    fn apply(&self, image: &mut Image<C, H, W>, scratch: &mut Image<C, H, W>, rng: &mut dyn RngCore) {
        let dy = offset(rng, self.padding);
        let dx = offset(rng, self.padding);
        shift(image, scratch, dy, dx, self.fill);
    }
}
