//! The class a target names, for accuracy.

/// A target that names one class: a class index, or a one-hot or probability vector
/// whose largest entry is the class. Accuracy counts the samples whose largest output is
/// this class. (Multi-label 0/1 vectors and regression values name no single class; train
/// on them with [`train_epoch_loss`](crate::train::train_epoch_loss).)
pub trait ClassTarget {
    /// The class: the index itself, or the position of the largest entry (the first on
    /// ties).
    fn class(&self) -> usize;
}

impl ClassTarget for usize {
    fn class(&self) -> usize {
        *self
    }
}

impl<const M: usize> ClassTarget for [f32; M] {
    fn class(&self) -> usize {
        crate::argmax(self)
    }
}
