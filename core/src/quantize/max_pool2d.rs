//! The int8 form of [`MaxPool2d`](crate::layers::MaxPool2d).

use crate::layers::max_pool2d::window;

/// Max pooling on int8 codes (the const parameters as
/// [`MaxPool2d`](crate::layers::MaxPool2d)'s): `y[c][i][j] = max` of the window's codes,
/// padding never winning. Quantization is monotone, so this is the quantized f32 maximum
/// and the output keeps the input's scale and zero point.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QuantizedMaxPool2d<
    const C: usize,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const OH: usize,
    const OW: usize,
>;

impl<
    const C: usize,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const OH: usize,
    const OW: usize,
> QuantizedMaxPool2d<C, H, W, KH, KW, SH, SW, PH, PW, OH, OW>
{
    /// `y` from `x`, one sample: the maximum over each window's rows first (a loop over
    /// whole rows, which vectorises), then over its columns.
    pub fn infer(&self, x: &[[[i8; W]; H]; C], y: &mut [[[i8; OW]; OH]; C]) {
        crate::gemm::vectorised(
            #[inline(always)]
            || {
                for (x, y) in x.iter().zip(y.iter_mut()) {
                    for (i, y) in y.iter_mut().enumerate() {
                        let mut rows = [i8::MIN; W];
                        for row in x.get(window(i, SH, PH, KH, H)).unwrap_or(&[]) {
                            for (m, &v) in rows.iter_mut().zip(row) {
                                *m = (*m).max(v);
                            }
                        }
                        for (j, y) in y.iter_mut().enumerate() {
                            *y = rows[window(j, SW, PW, KW, W)].iter().fold(i8::MIN, |m, &v| m.max(v));
                        }
                    }
                }
            },
        )
    }
}
