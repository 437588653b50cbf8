//! Core of staticnet: compile-time-sized tensors, layers, losses and optimizers.
//!
//! Most users depend on the `staticnet` facade, which re-exports this crate together with
//! the `network!` macro. This crate is `no_std`; the `alloc` feature adds boxed
//! constructors and `std` adds data loading.
#![cfg_attr(not(test), no_std)]
#![warn(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod error;
pub mod flat;
pub mod gemm;
pub mod init;
pub mod layer;
pub mod layers;
pub mod loss;
pub mod model;
pub mod optim;
pub mod workspace;

pub use error::Error;
pub use flat::{Flat, Zeroable};
pub use init::Init;
pub use layer::{Layer, Mode};
pub use model::Model;
pub use workspace::Workspace;

/// Index of the largest value (the first one on ties): the predicted class of a logit or
/// probability vector.
pub fn argmax<const N: usize>(values: &[f32; N]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best
}
