//! Clipping gradient values.

/// PyTorch's `clip_grad_value_` (Keras' `clipvalue`): clamps every gradient value to
/// `[-clip, clip]`. NaN values stay NaN. `clip` should be non-negative.
pub fn clip_grad_value(grads: &mut [f32], clip: f32) {
    for g in grads.iter_mut() {
        if *g > clip {
            *g = clip;
        } else if *g < -clip {
            *g = -clip;
        }
    }
}
