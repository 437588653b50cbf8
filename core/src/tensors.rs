//! Named tensors, for model files. Each layer names its parameter and state blocks as
//! PyTorch's `state_dict` does (`weight`, `bias`, `running_mean`, ...) with their shapes,
//! and a network puts each layer's field name in front (`fc1.weight`), so that a file
//! exchanged with PyTorch needs neither renaming nor transposition.

use core::fmt;

/// A dotted tensor name built on the stack as layers nest (`block.fc.weight`): each level
/// borrows its parent, so naming allocates nothing.
#[derive(Clone, Copy, Debug)]
pub struct TensorPath<'a> {
    parent: Option<&'a TensorPath<'a>>,
    name: &'a str,
}

impl TensorPath<'static> {
    /// The empty path of a whole model.
    pub const ROOT: TensorPath<'static> = TensorPath { parent: None, name: "" };
}

impl<'a> TensorPath<'a> {
    /// `self.name`.
    pub fn child<'b>(&'b self, name: &'b str) -> TensorPath<'b> {
        TensorPath { parent: Some(self), name }
    }
}

impl fmt::Display for TensorPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent {
            parent.fmt(f)?;
            if parent.parent.is_some() {
                f.write_str(".")?;
            }
        }
        f.write_str(self.name)
    }
}

/// Receives every named tensor of a model, with its shape (row-major) and values.
pub trait TensorVisitor {
    /// One tensor: `data` holds `shape.iter().product()` values.
    fn tensor(&mut self, path: &TensorPath<'_>, shape: &[usize], data: &mut [f32]);

    /// A counter, which PyTorch stores as an int64 scalar (shape `[]`): batch norm's
    /// `num_batches_tracked`. A visitor that only wants the f32 tensors keeps this
    /// default, which ignores it.
    fn counter(&mut self, path: &TensorPath<'_>, value: &mut u64) {
        let _ = (path, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_with_dots() {
        let block = TensorPath::ROOT.child("block");
        let fc = block.child("fc");
        assert_eq!(std::format!("{}", fc.child("weight")), "block.fc.weight");
        assert_eq!(std::format!("{}", TensorPath::ROOT.child("bias")), "bias");
    }
}
