//! Piecewise-constant learning rates.

use super::Schedule;

/// A piecewise-constant schedule: `η_t = initial` for `t < b₁`, then `v_i` for
/// `b_i ≤ t < b_{i+1}`, from `K` changes `(b_i, v_i)` with increasing boundaries.
///
/// The rate changes *at* `t = b_i`, as PyTorch's milestones do. Keras'
/// `PiecewiseConstantDecay(boundaries, values)` changes one step later (it keeps
/// `values[i]` while `step <= boundaries[i]`): its boundaries are ours minus one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Piecewise<const K: usize> {
    /// The rate before the first boundary.
    pub initial: f64,
    /// `(boundary, rate from that boundary on)`, boundaries increasing.
    pub changes: [(usize, f64); K],
}

impl<const K: usize> Piecewise<K> {
    /// `initial` until the first boundary, then each change's rate from its boundary on.
    pub const fn new(initial: f64, changes: [(usize, f64); K]) -> Self {
        Piecewise { initial, changes }
    }
}

impl<const K: usize> Schedule for Piecewise<K> {
    fn lr(&self, t: usize) -> f32 {
        let mut lr = self.initial;
        for &(boundary, value) in &self.changes {
            if t >= boundary {
                lr = value;
            }
        }
        lr as f32
    }
}
