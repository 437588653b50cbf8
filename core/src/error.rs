//! The errors a training or inference call can return instead of panicking.

use core::fmt;

/// What went wrong in a forward pass, a loss or a training step.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A batch with no rows.
    EmptyBatch,
    /// More rows than the workspace was built for.
    BatchTooLarge {
        /// Rows given.
        rows: usize,
        /// The workspace's compile-time batch capacity.
        capacity: usize,
    },
    /// Inputs and targets of different lengths.
    TargetCount {
        /// Rows of output.
        outputs: usize,
        /// Targets given.
        targets: usize,
    },
    /// A class index outside `0..classes`.
    ClassOutOfRange {
        /// The index given.
        class: usize,
        /// Number of classes the network outputs.
        classes: usize,
    },
    /// Monte-Carlo dropout asked for zero passes.
    NoPasses,
    /// Output buffers with fewer rows than the inputs.
    OutputCount {
        /// Rows of input.
        rows: usize,
        /// Rows the output buffers hold.
        given: usize,
    },
    /// The loss came out NaN or infinite (diverged training or non-finite inputs);
    /// the parameters were not updated.
    NonFiniteLoss(f32),
    /// A NaN or infinite value in the inputs, the targets or the parameter gradients; the
    /// parameters and the optimizer state were not updated.
    NonFinite {
        /// Where: the inputs, the targets or the gradients.
        place: Place,
        /// The row of the batch (0 for the gradients).
        row: usize,
        /// The value found.
        value: f32,
    },
}

/// Where a training step found a non-finite value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Place {
    /// The batch's inputs.
    Inputs,
    /// The batch's targets.
    Targets,
    /// The parameter gradients of the backward pass.
    Gradients,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Place::Inputs => "inputs",
            Place::Targets => "targets",
            Place::Gradients => "parameter gradients",
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::EmptyBatch => write!(f, "empty batch: a batch needs at least one row"),
            Error::BatchTooLarge { rows, capacity } => {
                write!(f, "batch of {rows} rows exceeds the workspace capacity of {capacity}")
            }
            Error::TargetCount { outputs, targets } => {
                write!(f, "{targets} targets given for {outputs} rows")
            }
            Error::ClassOutOfRange { class, classes } => {
                write!(f, "class index {class} out of range for {classes} classes")
            }
            Error::NoPasses => write!(f, "Monte-Carlo dropout needs at least one pass"),
            Error::OutputCount { rows, given } => {
                write!(f, "output buffers hold {given} rows for {rows} rows of input")
            }
            Error::NonFiniteLoss(loss) => {
                write!(f, "loss is {loss}: training diverged or the inputs hold NaN or infinity")
            }
            Error::NonFinite { place: Place::Gradients, value, .. } => {
                write!(f, "the parameter gradients hold {value}: training diverged; nothing was updated")
            }
            Error::NonFinite { place, row, value } => {
                write!(f, "the {place} hold {value} in row {row}; nothing was updated")
            }
        }
    }
}

impl core::error::Error for Error {}
