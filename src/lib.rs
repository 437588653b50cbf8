#![doc = include_str!("../README.md")]
#![no_std]

pub use staticnet_core::*;
pub use staticnet_macros::network;

/// Everything a program that declares and trains networks needs.
pub mod prelude {
    pub use staticnet_core::batches::BatchSource;
    #[cfg(feature = "std")]
    pub use staticnet_core::data::Dataset;
    pub use staticnet_core::ensemble::{Ensemble, Voting};
    pub use staticnet_core::layers::*;
    pub use staticnet_core::loss::*;
    pub use staticnet_core::optim::*;
    #[cfg(feature = "std")]
    pub use staticnet_core::parallel::ParallelWorkspace;
    #[cfg(feature = "std")]
    pub use staticnet_core::train::{accuracy, train_epoch, train_epoch_loss};
    pub use staticnet_core::{
        Error, Flat, Forward, FusedWorkspace, GradMode, InferenceWorkspace, Init, Layer, Mode, Model, Workspace,
        argmax, softmax,
    };
    pub use staticnet_macros::network;
}
