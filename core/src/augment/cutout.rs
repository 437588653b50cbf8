//! Cutout (DeVries and Taylor, 2017): a random square of the image blanked out.

use rand::RngCore;

use super::{Augment, Image};

/// Sets a `size x size` square, centred on a uniform pixel and clipped at the borders, to
/// `fill` in every channel (DeVries and Taylor's Cutout; torchvision's `RandomErasing`
/// draws the area and aspect ratio instead).
#[derive(Clone, Copy, Debug)]
pub struct Cutout {
    /// Side of the square in pixels.
    pub size: usize,
    /// The value written.
    pub fill: f32,
}

impl<const C: usize, const H: usize, const W: usize> Augment<C, H, W> for Cutout {
    fn apply(&self, image: &mut Image<C, H, W>, _scratch: &mut Image<C, H, W>, rng: &mut dyn RngCore) {
        if H == 0 || W == 0 {
            return;
        }
        let cy = (rng.next_u64() % H as u64) as usize;
        let cx = (rng.next_u64() % W as u64) as usize;
        let (y0, x0) = (cy.saturating_sub(self.size / 2), cx.saturating_sub(self.size / 2));
        let (y1, x1) = ((cy + self.size.div_ceil(2)).min(H), (cx + self.size.div_ceil(2)).min(W));
        for channel in image.iter_mut() {
            for row in &mut channel[y0..y1] {
                row[x0..x1].iter_mut().for_each(|v| *v = self.fill);
            }
        }
    }
}
