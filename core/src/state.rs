//! Running state by name: what an optimizer or a stateful schedule has learned while
//! training (moments, step counts, plateau counters), so that a checkpoint can write it
//! out and a resumed run read it back, bit for bit.

/// Receives every named piece of running state, in a fixed order: a saver copies each
/// value out, a loader writes each value back (and refuses a name or a length it does not
/// expect). Names follow PyTorch's `state_dict` (`step`, `exp_avg`, `exp_avg_sq`,
/// `momentum_buffer`, ...).
pub trait StateVisitor {
    /// A buffer of values, one per parameter (`exp_avg`).
    fn buffer(&mut self, name: &str, values: &mut [f32]);
    /// A counter (`step`).
    fn count(&mut self, name: &str, value: &mut u64);
    /// A real number (NAdam's `mu_product`, a plateau's best metric).
    fn real(&mut self, name: &str, value: &mut f64);
}

/// Visits a buffer only when it is kept (an optional buffer of an unused option is empty).
pub(crate) fn visit_buffer(visitor: &mut dyn StateVisitor, name: &str, values: &mut [f32]) {
    if !values.is_empty() {
        visitor.buffer(name, values);
    }
}

/// A value whose running state a training checkpoint saves and restores by name: a
/// stateful schedule ([`ReduceLrOnPlateau`](crate::schedule::ReduceLrOnPlateau)) or a
/// callback (early stopping's wait and best value). Optimizers have
/// [`Optimizer::visit_state`](crate::optim::Optimizer::visit_state) for the same purpose.
pub trait Resumable {
    /// Calls `visitor` with each named piece of running state, to save or restore it.
    fn visit_state(&mut self, visitor: &mut dyn StateVisitor);
}

impl Resumable for crate::schedule::ReduceLrOnPlateau {
    fn visit_state(&mut self, visitor: &mut dyn StateVisitor) {
        crate::schedule::ReduceLrOnPlateau::visit_state(self, visitor);
    }
}
