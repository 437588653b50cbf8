//! Shapes of samples and widths (values per sample), known from the declaration or only
//! to the type checker.

use syn::Type;

/// The shape of the samples flowing between two layers.
#[derive(Clone)]
pub enum Shape {
    /// Sizes written as numbers: `[features]` or `[channels, height, width]`.
    Known(Vec<usize>),
    /// The output sample of a custom layer (this type), known only to the type checker.
    OutputOf(Type),
    /// Flat samples as wide as the output of a custom layer (after `Flatten`).
    FlatOutputOf(Type),
}

/// A number of values per sample.
#[derive(Clone)]
pub enum Width {
    /// Written as a number, or computed from numbers.
    Known(usize),
    /// The width of a custom layer's input sample.
    InputOf(Type),
    /// The width of a custom layer's output sample.
    OutputOf(Type),
}

impl Shape {
    /// The shape for messages, e.g. `[8, 14, 14]`.
    pub fn describe(&self) -> String {
        match self {
            Shape::Known(dims) => format!("{dims:?}"),
            Shape::OutputOf(_) | Shape::FlatOutputOf(_) => "a size known only to the type checker".into(),
        }
    }

    /// The number of values per sample.
    pub fn width(&self) -> Width {
        match self {
            Shape::Known(dims) => Width::Known(dims.iter().product()),
            Shape::OutputOf(ty) | Shape::FlatOutputOf(ty) => Width::OutputOf(ty.clone()),
        }
    }

    /// `[channels, height, width]` when the shape is a known image.
    pub fn image(&self) -> Option<[usize; 3]> {
        match self {
            Shape::Known(dims) if dims.len() == 3 => Some([dims[0], dims[1], dims[2]]),
            _ => None,
        }
    }

    /// `[channels, length]` when the shape is a known two-dimensional sample (a signal for
    /// `Conv1d` and 1-d pooling; the same shape is `[steps, features]` to a recurrent layer).
    pub fn signal(&self) -> Option<[usize; 2]> {
        match self {
            Shape::Known(dims) if dims.len() == 2 => Some([dims[0], dims[1]]),
            _ => None,
        }
    }

    /// The shape of the same values in one dimension.
    pub fn flattened(&self) -> Shape {
        match self {
            Shape::Known(dims) => Shape::Known(vec![dims.iter().product()]),
            Shape::OutputOf(ty) | Shape::FlatOutputOf(ty) => Shape::FlatOutputOf(ty.clone()),
        }
    }
}
