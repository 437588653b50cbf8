//! Random translation, Keras's `RandomTranslation` with `fill_mode="constant"`.

use rand::RngCore;

use super::{Augment, Image, offset, shift};

/// Shifts the image by up to `height_factor · H` rows and `width_factor · W` columns in
/// either direction (each a uniform integer, rounded down), the uncovered border filled
/// with `fill`. Keras draws a real shift and interpolates; whole pixels keep the values
/// exact.
#[derive(Clone, Copy, Debug)]
pub struct RandomTranslation {
    /// Largest vertical shift as a fraction of the height.
    pub height_factor: f32,
    /// Largest horizontal shift as a fraction of the width.
    pub width_factor: f32,
    /// The value of pixels shifted in from outside.
    pub fill: f32,
}

impl<const C: usize, const H: usize, const W: usize> Augment<C, H, W> for RandomTranslation {
    fn apply(&self, image: &mut Image<C, H, W>, scratch: &mut Image<C, H, W>, rng: &mut dyn RngCore) {
        let dy = offset(rng, (self.height_factor * H as f32) as usize);
        let dx = offset(rng, (self.width_factor * W as f32) as usize);
        shift(image, scratch, dy, dx, self.fill);
    }
}
