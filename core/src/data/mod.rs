//! Loading data sets from files (feature `std`): the IDX format MNIST ships in, plain or
//! gzipped, read into [`Dataset`]s of fixed-size samples; tables of rows from elsewhere
//! (a CSV reader's `Vec<Vec<f32>>`) become samples with [`to_rows`] or [`Dataset::from_rows`].
//!
//! ```no_run
//! use staticnet_core::data::Mnist;
//!
//! let mut mnist = Mnist::load("data/mnist")?;
//! mnist.train.shuffle(42);
//! for (inputs, labels) in mnist.train.batches(64)? {
//!     assert_eq!(inputs.len(), labels.len());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod batch;
mod error;
mod idx;
mod mnist;
mod rows;

pub use batch::{Batches, Dataset};
pub use error::{DataError, IdxHeader};
pub use idx::{
    IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, IdxImages, parse_idx_images, parse_idx_labels, read_idx_images, read_idx_labels,
};
pub use mnist::{MNIST_CLASSES, MNIST_PIXELS, Mnist};
pub use rows::to_rows;
