//! The update of one optimizer step as a rule that applies to any part of the parameter
//! block: one part per layer in a fused step, one part per thread in a parallel one.

use crate::gemm::{Kernel, vectorised_with};

/// The state buffers of an optimizer at the positions of one part of the parameter block:
/// up to three buffers, each as long as the part, or empty where the optimizer does not
/// keep that buffer (Adam: `m`, `v` and, for AMSGrad, `max v`).
pub struct StateSlices<'a> {
    buffers: [&'a mut [f32]; 3],
}

impl<'a> StateSlices<'a> {
    /// The buffers, in the optimizer's order; unused ones empty.
    pub fn new(buffers: [&'a mut [f32]; 3]) -> Self {
        StateSlices { buffers }
    }

    /// The buffers again.
    pub fn into_buffers(self) -> [&'a mut [f32]; 3] {
        self.buffers
    }

    /// Positions `offset..offset + len` of every kept buffer.
    ///
    /// # Panics
    /// If a kept buffer ends before `offset + len`.
    pub fn range(self, offset: usize, len: usize) -> Self {
        StateSlices { buffers: self.buffers.map(|b| if b.is_empty() { b } else { &mut b[offset..offset + len] }) }
    }
}

/// What one begun optimizer step does to each parameter. It reads only that parameter,
/// its gradient and its own state, so the step can be applied to any part of the block
/// independently of the others: by layer as backward reaches it
/// ([`FusedWorkspace`](crate::FusedWorkspace)), or by thread
/// ([`ParallelWorkspace`](crate::parallel::ParallelWorkspace)). Both give the bits of one
/// whole-block step.
///
/// An implementation writes [`UpdateRule::update_portable`] as one `#[inline(always)]`
/// loop over zipped slices; the provided [`UpdateRule::update`] compiles it for the
/// processor's widest vectors.
pub trait UpdateRule: Sync {
    /// Updates `params` from `grads`, with `state` at the same positions: the parameters'
    /// part of the step, compiled for the target's baseline. Slices are zipped: give them
    /// equal lengths.
    fn update_portable(&self, params: &mut [f32], grads: &[f32], state: StateSlices<'_>);

    /// [`UpdateRule::update_portable`] compiled for `kernel`'s instruction set (the same
    /// bits on every kernel).
    fn update_with(&self, kernel: Kernel, params: &mut [f32], grads: &[f32], state: StateSlices<'_>) {
        vectorised_with(
            kernel,
            #[inline(always)]
            || self.update_portable(params, grads, state),
        );
    }

    /// [`UpdateRule::update_portable`] compiled for the active kernel's instruction set
    /// ([`Kernel::active`]: AVX-512, AVX2 with FMA, or portable).
    fn update(&self, params: &mut [f32], grads: &[f32], state: StateSlices<'_>) {
        self.update_with(Kernel::active(), params, grads, state);
    }
}

/// `x`, or 0 where `x` is subnormal (`|x| < 2⁻¹²⁶ ≈ 1.2e-38`); NaN stays NaN.
///
/// The decaying state buffers (Adam's `m` and `v`, momentum buffers, RMSprop's averages)
/// are stored through it. Under a gradient of exactly 0 (a ReLU unit that never fires)
/// `m ← 0.9 m` falls into the subnormal range and stays there (`0.9 × 2⁻¹⁴⁹` rounds back
/// to `2⁻¹⁴⁹`), and x86 processors compute with subnormals up to a hundred times slower:
/// 70,000 such values took a whole 784-512-512-10 Adam step from 4.7 to 6.1 ms. PyTorch keeps
/// them. The update a subnormal `m` would make, `η m̂ / (√v̂ + ε)`, is below
/// `10⁻³⁸ η / ε`, which changes no parameter larger than about `10⁻³⁰`.
#[inline(always)]
pub(crate) fn flush_subnormal(x: f32) -> f32 {
    if x.abs() < f32::MIN_POSITIVE { 0.0 } else { x }
}
