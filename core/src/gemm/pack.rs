//! Packing: a panel of `B` copied so that the broadcast kernel reads each of its rows as
//! `W` adjacent values, for a `B` stored transposed (the weights of a dense layer in the
//! forward product, `y = x Wᵀ`). Sized for the L1 cache, the panel is reused by every
//! block of rows of `A`.

use core::ops::Range;

/// Depth of a panel: at most `PANEL_DEPTH x W` values.
pub const PANEL_DEPTH: usize = 256;
/// Values in the largest panel (`W` = 32): 32 KiB.
pub const PANEL_LEN: usize = PANEL_DEPTH * 32;

/// `panel[p][j] = b(depths.start + p, col + j)`, where `b(p, j) = data[j·ld + p]`.
#[inline(always)]
pub fn transposed<const W: usize>(data: &[f32], ld: usize, col: usize, depths: Range<usize>, panel: &mut [[f32; W]]) {
    if ld == 0 {
        return;
    }
    let rows = data.get(col * ld..).unwrap_or_default().chunks(ld).take(W);
    for (j, stored) in rows.enumerate() {
        let Some(stored) = stored.get(depths.clone()) else { return };
        for (packed, &v) in panel.iter_mut().zip(stored) {
            packed[j] = v;
        }
    }
}
