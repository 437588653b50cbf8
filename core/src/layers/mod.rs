//! Built-in layers.

pub mod activation;
mod avg_pool2d;
mod batch_norm;
mod bidirectional;
mod conv1d;
pub(crate) mod conv2d;
mod dense;
mod dropout;
mod flatten;
pub(crate) mod frozen;
mod global_avg_pool;
mod gru;
mod lstm;
pub(crate) mod max_pool2d;
mod pool1d;
mod recurrent;
mod residual;
mod rnn;

pub use activation::{Elu, Gelu, Identity, LeakyRelu, Prelu, Relu, Selu, Sigmoid, Silu, Softmax, Softplus, Tanh};
pub use avg_pool2d::AvgPool2d;
pub use batch_norm::{BatchCount, BatchNorm1d, BatchNorm2d, BatchNormCache, BatchNormParams, BatchNormState};
pub use bidirectional::{Bidirectional, BidirectionalCache, BidirectionalParams, BidirectionalScratch};
pub use conv1d::{Conv1d, Conv1dParams};
pub use conv2d::{Conv2d, Conv2dCache, Conv2dParams};
pub use dense::{Dense, DenseParams};
pub use dropout::{Dropout, DropoutCache};
pub use flatten::Flatten;
pub use frozen::{Frozen, FrozenWeights, InputGradient};
pub use global_avg_pool::GlobalAvgPool;
pub use gru::{Gru, GruCache, GruSteps};
pub use lstm::{Lstm, LstmCache, LstmState, LstmSteps};
pub use max_pool2d::{MaxPool2d, MaxPool2dCache};
pub use pool1d::{AvgPool1d, MaxPool1d};
pub use recurrent::{Direction, Directional, Gates, LastStep, Recurrent, RecurrentParams, Returns, Sequence};
pub use residual::{Residual, ResidualCache};
pub use rnn::{Rnn, RnnCache, RnnNonlinearity, RnnSteps};
