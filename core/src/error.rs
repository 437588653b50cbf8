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
        /// The row of the batch.
        row: usize,
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
    /// the parameters were not updated (a fused step may have updated some when a weight
    /// penalty is the cause: see [`FusedWorkspace::train_step`](crate::FusedWorkspace::train_step)).
    NonFiniteLoss(f32),
    /// An input value that is NaN or infinite; nothing was computed.
    NonFiniteInput {
        /// The row of the batch.
        row: usize,
        /// The position in the row's flat values.
        index: usize,
        /// The value found.
        value: f32,
    },
    /// A target value that is NaN or infinite; nothing was computed.
    NonFiniteTarget {
        /// The row of the batch.
        row: usize,
        /// The position in the row's flat values.
        index: usize,
        /// The value found.
        value: f32,
    },
    /// A parameter gradient that came out NaN or infinite (an overflow in the backward
    /// pass); the parameters, the optimizer state and the running statistics were not
    /// updated, except, in a fused step, the layers after the one with that gradient, which
    /// the backward pass reached first (see
    /// [`FusedWorkspace::train_step`](crate::FusedWorkspace::train_step)).
    NonFiniteGradient {
        /// The position in the flat parameter block.
        index: usize,
        /// The value found.
        value: f32,
    },
    /// A target of a probability loss (binary cross-entropy) outside `[0, 1]`.
    TargetOutOfRange {
        /// The row of the batch.
        row: usize,
        /// The position in the row.
        index: usize,
        /// The value found.
        value: f32,
    },
    /// A label of a data set outside `0..classes`.
    LabelOutOfRange {
        /// The sample's position in the data set.
        sample: usize,
        /// The label.
        label: usize,
        /// Number of classes the network outputs.
        classes: usize,
    },
    /// A data set whose input and label vectors have different lengths.
    DatasetLabels {
        /// Samples in `inputs`.
        inputs: usize,
        /// Entries in `labels`.
        labels: usize,
    },
    /// Batches of zero rows were asked for.
    ZeroBatchSize,
    /// A row of a table with another width than the samples it is converted to.
    RowWidth {
        /// The row's position in the table.
        row: usize,
        /// Values in that row.
        found: usize,
        /// Values a sample holds.
        expected: usize,
    },
    /// A sample index past the end of a data set.
    IndexOutOfRange {
        /// The index given.
        index: usize,
        /// Samples in the data set.
        len: usize,
    },
    /// A split or cross-validation that cannot be made.
    BadSplit {
        /// Samples in the data set.
        len: usize,
        /// Why, as a plain phrase ("k-fold needs 2 <= k <= samples").
        what: &'static str,
    },
    /// Quantization was given no calibration samples.
    EmptyCalibration,
    /// A parameter or state value (running statistic) of a model being quantized is NaN
    /// or infinite.
    NonFiniteParameter {
        /// `"params"` or `"state"`: the block holding it.
        block: &'static str,
        /// The position in that flat block.
        index: usize,
        /// The value found.
        value: f32,
    },
    /// A layer's output came out NaN or infinite on a calibration sample.
    NonFiniteActivation {
        /// The layer.
        layer: &'static str,
        /// The calibration sample.
        row: usize,
        /// The value found.
        value: f32,
    },
    /// A layer that has no int8 form, or values int8 cannot represent.
    NotQuantizable {
        /// The layer.
        layer: &'static str,
        /// Why, as a plain phrase.
        why: &'static str,
    },
}

impl Error {
    /// The same error with its batch row (or sample) moved by `offset`: a batch's error
    /// as the position in the whole data set, for a batch starting at `offset`.
    pub(crate) fn offset_rows(self, offset: usize) -> Self {
        match self {
            Error::NonFiniteInput { row, index, value } => Error::NonFiniteInput { row: row + offset, index, value },
            Error::NonFiniteTarget { row, index, value } => Error::NonFiniteTarget { row: row + offset, index, value },
            Error::TargetOutOfRange { row, index, value } => {
                Error::TargetOutOfRange { row: row + offset, index, value }
            }
            Error::LabelOutOfRange { sample, label, classes } => {
                Error::LabelOutOfRange { sample: sample + offset, label, classes }
            }
            Error::ClassOutOfRange { row, class, classes } => {
                Error::ClassOutOfRange { row: row + offset, class, classes }
            }
            other => other,
        }
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
            Error::ClassOutOfRange { row, class, classes } => {
                write!(f, "target row {row} is class {class}, out of range for {classes} classes")
            }
            Error::NoPasses => write!(f, "Monte-Carlo dropout needs at least one pass"),
            Error::OutputCount { rows, given } => {
                write!(f, "output buffers hold {given} rows for {rows} rows of input")
            }
            Error::NonFiniteLoss(loss) => {
                write!(f, "loss is {loss}: training diverged or the inputs hold NaN or infinity")
            }
            Error::NonFiniteInput { row, index, value } => {
                write!(f, "input row {row} holds {value} at index {index}; the parameters were not updated")
            }
            Error::NonFiniteTarget { row, index, value } => {
                write!(f, "target row {row} holds {value} at index {index}; the parameters were not updated")
            }
            Error::NonFiniteGradient { index, value } => {
                write!(
                    f,
                    "parameter gradient {index} is {value} (the backward pass overflowed); the parameters were not updated \
                     (a fused step updated those of the layers after it)"
                )
            }
            Error::TargetOutOfRange { row, index, value } => {
                write!(f, "target row {row} holds {value} at index {index}, outside the probabilities [0, 1]")
            }
            Error::LabelOutOfRange { sample, label, classes } => {
                write!(f, "label {label} of sample {sample} is not a class below {classes}")
            }
            Error::DatasetLabels { inputs, labels } => {
                write!(f, "data set has {inputs} inputs but {labels} labels")
            }
            Error::ZeroBatchSize => write!(f, "batch size 0: a batch needs at least one row"),
            Error::RowWidth { row, found, expected } => {
                write!(f, "row {row} has {found} values, samples have {expected}")
            }
            Error::IndexOutOfRange { index, len } => {
                write!(f, "sample index {index} is out of range for a data set of {len} samples")
            }
            Error::BadSplit { len, what } => write!(f, "cannot split {len} samples: {what}"),
            Error::EmptyCalibration => write!(f, "quantization needs at least one calibration sample"),
            Error::NonFiniteParameter { block, index, value } => {
                write!(f, "{block} value {index} is {value}: a model with NaN or infinity cannot be quantized")
            }
            Error::NonFiniteActivation { layer, row, value } => {
                write!(f, "layer `{layer}` output {value} on calibration sample {row}")
            }
            Error::NotQuantizable { layer, why } => write!(f, "layer `{layer}` cannot be quantized: {why}"),
        }
    }
}

impl core::error::Error for Error {}
