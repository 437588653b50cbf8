//! Small random rotations, torchvision's `RandomRotation` with bilinear interpolation.

use rand::RngCore;

use super::{Augment, Image, unit};

/// Rotates the image about its centre by a uniform angle in `[-degrees, degrees]`,
/// sampling the source bilinearly; pixels that come from outside the image are `fill`.
/// torchvision's `RandomRotation(degrees, interpolation=BILINEAR, fill=fill)`. Uses
/// `libm`'s sine and cosine, so it needs no `std`.
#[derive(Clone, Copy, Debug)]
pub struct RandomRotation {
    /// Largest angle in degrees.
    pub degrees: f32,
    /// The value of pixels rotated in from outside.
    pub fill: f32,
}

impl<const C: usize, const H: usize, const W: usize> Augment<C, H, W> for RandomRotation {
    fn apply(&self, image: &mut Image<C, H, W>, scratch: &mut Image<C, H, W>, rng: &mut dyn RngCore) {
        let angle = (2.0 * unit(rng) - 1.0) * self.degrees.to_radians();
        let (sin, cos) = (libm::sinf(angle), libm::cosf(angle));
        let (cy, cx) = ((H as f32 - 1.0) / 2.0, (W as f32 - 1.0) / 2.0);
        *scratch = *image;
        for (out, src) in image.iter_mut().zip(scratch.iter()) {
            for (y, row) in out.iter_mut().enumerate() {
                for (x, v) in row.iter_mut().enumerate() {
                    // The source of output pixel (y, x): the inverse rotation.
                    let (ry, rx) = (y as f32 - cy, x as f32 - cx);
                    let sy = cos * ry - sin * rx + cy;
                    let sx = sin * ry + cos * rx + cx;
                    *v = bilinear(src, sy, sx, self.fill);
                }
            }
        }
    }
}

/// `src` at the real position `(y, x)`, interpolated between its four neighbours, each
/// outside the image counting as `fill`.
fn bilinear<const H: usize, const W: usize>(src: &[[f32; W]; H], y: f32, x: f32, fill: f32) -> f32 {
    let (y0, x0) = (libm::floorf(y), libm::floorf(x));
    let (fy, fx) = (y - y0, x - x0);
    let at = |yy: f32, xx: f32| {
        if yy >= 0.0 && xx >= 0.0 && (yy as usize) < H && (xx as usize) < W {
            src[yy as usize][xx as usize]
        } else {
            fill
        }
    };
    let top = at(y0, x0) * (1.0 - fx) + at(y0, x0 + 1.0) * fx;
    let bottom = at(y0 + 1.0, x0) * (1.0 - fx) + at(y0 + 1.0, x0 + 1.0) * fx;
    top * (1.0 - fy) + bottom * fy
}
