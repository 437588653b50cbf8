//! What a layer is: one variant per built-in layer, with its checked hyperparameters,
//! plus residual blocks and custom layers.

use super::{Network, Width};
use syn::Type;

/// The kind of a layer and its hyperparameters.
pub enum Kind {
    /// `Dense(out)`, `Dense(in, out)`.
    Dense(Dense),
    /// `Conv2d(out_channels, kernel_size, ...)`.
    Conv2d(Conv2d),
    /// `MaxPool2d(kernel_size, ...)`.
    MaxPool2d(Window),
    /// `AvgPool2d(kernel_size, ...)`.
    AvgPool2d(Window),
    /// `Conv1d(out_channels, kernel_size, ...)` on signals `[channels, length]`.
    Conv1d(Conv1d),
    /// `MaxPool1d(kernel_size, ...)` on signals.
    MaxPool1d(Window1d),
    /// `AvgPool1d(kernel_size, ...)` on signals.
    AvgPool1d(Window1d),
    /// `GlobalAvgPool` on `[channels, height, width]`.
    GlobalAvgPool { image: [usize; 3] },
    /// `Flatten`: the same values in one dimension.
    Flatten,
    /// `BatchNorm(momentum, eps)`.
    BatchNorm(BatchNorm),
    /// `Dropout(p)`.
    Dropout(Dropout),
    /// An elementwise activation, on samples of any shape.
    Activation(Activation),
    /// `Softmax` over flat samples of this width.
    Softmax { width: Width },
    /// `Lstm(hidden)`, `Gru(hidden)`, `Rnn(hidden, ...)` on sequences.
    Recurrent(Recurrent),
    /// `Residual { layers }`: `y = x + f(x)`, with `f` the network generated for the body.
    Residual(Box<Network>),
    /// A type implementing `Layer`: a nested network or a user's own layer.
    Custom(Type),
}

impl Kind {
    /// Whether a layer of this kind is known to have no parameters.
    pub fn has_no_params(&self) -> bool {
        match self {
            Kind::MaxPool2d(_)
            | Kind::AvgPool2d(_)
            | Kind::MaxPool1d(_)
            | Kind::AvgPool1d(_)
            | Kind::GlobalAvgPool { .. }
            | Kind::Flatten
            | Kind::Dropout(_)
            | Kind::Softmax { .. } => true,
            Kind::Activation(a) => !matches!(a, Activation::Prelu { .. }),
            Kind::Dense(_)
            | Kind::Conv2d(_)
            | Kind::Conv1d(_)
            | Kind::BatchNorm(_)
            | Kind::Recurrent(_)
            | Kind::Residual(_)
            | Kind::Custom(_) => false,
        }
    }
}

/// `y = x Wᵀ + b`.
pub struct Dense {
    pub inputs: Width,
    pub outputs: usize,
    pub init: Init,
    pub bias_init: Init,
    pub l1: f32,
    pub l2: f32,
    pub max_norm: Option<f32>,
}

/// A 2-d convolution on `input` images, producing `output` images.
pub struct Conv2d {
    pub input: [usize; 3],
    pub output: [usize; 3],
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub init: Init,
    pub bias_init: Init,
}

/// A 1-d convolution on `input` signals `[channels, length]`, producing `output` signals.
pub struct Conv1d {
    pub input: [usize; 2],
    pub output: [usize; 2],
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
    pub dilation: usize,
    pub init: Init,
    pub bias_init: Init,
}

/// A pooling window sliding over `input` signals, producing `output` signals.
pub struct Window1d {
    pub input: [usize; 2],
    pub output: [usize; 2],
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
}

/// A pooling window sliding over `input` images, producing `output` images.
pub struct Window {
    pub input: [usize; 3],
    pub output: [usize; 3],
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
}

/// A recurrent layer over sequences of `steps` steps of `features` values.
pub struct Recurrent {
    pub cell: Cell,
    pub steps: usize,
    pub features: usize,
    pub hidden: usize,
    /// Every step's hidden state (`[steps, hidden]`), or the last one only (`[hidden]`).
    pub return_sequences: bool,
    /// Run both ways in time, the two directions' states side by side (`2·hidden` a step).
    pub bidirectional: bool,
    pub init: Init,
}

/// The cell of a recurrent layer.
#[derive(Clone, Copy)]
pub enum Cell {
    Lstm,
    Gru,
    Rnn { relu: bool },
}

/// Batch normalisation of features or of image channels.
pub struct BatchNorm {
    pub input: BatchNormInput,
    pub momentum: f32,
    pub eps: f32,
}

/// What a batch norm layer normalises.
pub enum BatchNormInput {
    /// `[features]`, as PyTorch's `BatchNorm1d`.
    Features(usize),
    /// `[channels, height, width]`, per channel, as PyTorch's `BatchNorm2d`.
    Images([usize; 3]),
}

/// Inverted dropout with its own seeded stream.
pub struct Dropout {
    pub p: f32,
    pub seed: u64,
}

/// An elementwise activation and its hyperparameters.
#[derive(Clone, Copy)]
pub enum Activation {
    Identity,
    Relu,
    Sigmoid,
    Tanh,
    Selu,
    Silu,
    Softplus,
    LeakyRelu { negative_slope: f32 },
    Elu { alpha: f32 },
    Prelu { init: f32, num_parameters: usize },
    Gelu { tanh: bool },
}

/// A weight or bias initialiser, as `staticnet::Init`.
#[derive(Clone, Copy)]
pub enum Init {
    Default,
    XavierUniform,
    XavierNormal,
    HeUniform,
    HeNormal,
    Zeros,
    Normal(f32),
    Constant(f32),
    Uniform(f32, f32),
}
