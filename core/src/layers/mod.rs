//! Built-in layers.

pub mod activation;
mod dense;
mod residual;

pub use activation::{Elu, Gelu, Identity, LeakyRelu, Prelu, Relu, Selu, Sigmoid, Silu, Softmax, Softplus, Tanh};
pub use dense::{Dense, DenseParams};
pub use residual::{Residual, ResidualCache};
