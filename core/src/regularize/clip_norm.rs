//! Clipping the gradient's global norm.

/// PyTorch's `clip_grad_norm_` (L2 norm): with `n = ‖g‖₂` over every value of `grads`,
/// multiplies `grads` by `min(1, max_norm / (n + 1e-6))`, and returns `n`, the norm
/// *before* clipping.
///
/// Pass a network's whole gradient block (`grads.as_flat_mut()`) for PyTorch's global
/// clipping, or one layer's for per-layer clipping (Keras' `clipnorm` clips each variable
/// separately, its `global_clipnorm` the whole). As in PyTorch, a non-finite norm makes
/// the gradient non-finite (NaN, or 0 times an infinity), which the caller can check via
/// the returned norm.
pub fn clip_grad_norm(grads: &mut [f32], max_norm: f32) -> f32 {
    // Eight partial sums: fewer rounding errors than one running sum, and vectorisable.
    let mut lanes = [0.0f32; 8];
    let mut chunks = grads.chunks_exact(8);
    for chunk in &mut chunks {
        for (acc, &g) in lanes.iter_mut().zip(chunk) {
            *acc += g * g;
        }
    }
    for (acc, &g) in lanes.iter_mut().zip(chunks.remainder()) {
        *acc += g * g;
    }
    let norm = crate::math::sqrt(lanes.iter().sum());
    let coef = max_norm / (norm + 1e-6);
    // Also when `coef` is NaN (a NaN norm), so that the NaN propagates, as in PyTorch.
    if coef < 1.0 || coef.is_nan() {
        for g in grads.iter_mut() {
            *g *= coef;
        }
    }
    norm
}
