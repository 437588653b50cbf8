//! Max-norm weight constraint.

/// Rescales every output unit's weight row whose L2 norm exceeds `c` to norm `c`:
/// `w_j ← w_j · c / (‖w_j‖ + 1e-7)` when `‖w_j‖ > c`; rows within the bound are untouched.
///
/// Rows are output units of the `[out, in]` weight (PyTorch's layout), which is Keras'
/// `MaxNorm(c, axis=0)` on its `[in, out]` kernel, i.e. the incoming weights of each unit.
/// Keras multiplies every row by `clip(‖w‖, 0, c) / (‖w‖ + ε)`, which also shrinks rows
/// under the bound by a relative `ε/‖w‖` (ε = 1e-7); here, as in PyTorch's
/// `torch.renorm(w, 2, 0, c)`, they are left exactly as they are. Apply after each
/// optimizer step.
pub fn max_norm<const IN: usize, const OUT: usize>(weight: &mut [[f32; IN]; OUT], c: f32) {
    for row in weight.iter_mut() {
        let norm = crate::math::sqrt(row.iter().map(|w| w * w).sum::<f32>());
        if norm > c {
            let scale = c / (norm + 1e-7);
            for w in row.iter_mut() {
                *w *= scale;
            }
        }
    }
}
