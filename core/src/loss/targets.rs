//! The bound that training functions put on targets, so that targets of the wrong type
//! are reported as "targets of `MseLoss` for this network are `[f32; 1]`, not `f32`".

use super::Loss;

/// `Self` is the target type `Expected` of loss `L`: implemented for `[f32; N]` (targets of
/// regression and probability losses) and `usize` (class indices). A loss with another
/// target type implements it for that type: `impl<L> TargetOf<MyTarget, L> for MyTarget`.
#[diagnostic::on_unimplemented(
    message = "targets of `{L}` for this network are `{Expected}`, not `{Self}`",
    label = "expected a slice of `{Expected}`",
    note = "rows read as `Vec<Vec<f32>>` (a CSV reader) become `Vec<[f32; N]>` with `staticnet::data::to_rows`"
)]
pub trait TargetOf<Expected, L>: Sized {
    /// The same slice, typed as `Expected`.
    fn as_targets(targets: &[Self]) -> &[Expected];
}

impl<L, const N: usize> TargetOf<[f32; N], L> for [f32; N] {
    fn as_targets(targets: &[Self]) -> &[Self] {
        targets
    }
}

impl<L> TargetOf<usize, L> for usize {
    fn as_targets(targets: &[Self]) -> &[Self] {
        targets
    }
}

/// A loss on outputs `O` that takes targets of type `T`: every [`Loss`] whose
/// [`Loss::Target`] is `T`. Training functions ask for `L: LossFor<O, T>` rather than
/// `&[L::Target]`, so that a wrong target type is an error that names the loss and the
/// type it takes (see [`TargetOf`]).
pub trait LossFor<O, T>: Loss<O> {
    /// The targets, typed as the loss's own.
    fn targets(targets: &[T]) -> &[Self::Target];
}

impl<L: Loss<O>, O, T: TargetOf<L::Target, L>> LossFor<O, T> for L {
    fn targets(targets: &[T]) -> &[L::Target] {
        T::as_targets(targets)
    }
}
