//! Data (feature `std`): data sets of fixed-size samples with targets of any kind, the IDX
//! files MNIST ships in, CSV tables, scalers, encoders, splits and image augmentation.
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
mod csv;
mod encode;
mod error;
mod idx;
mod mnist;
mod rows;
mod scale;
mod scaler_file;
mod split;

pub use crate::class_target::ClassTarget;
pub use batch::{Batches, Dataset};
pub use csv::{CsvReader, CsvTable, Impute};
pub use encode::{LabelEncoder, one_hot, smooth_labels};
pub use error::{DataError, IdxHeader};
pub use idx::{
    IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, IdxImages, parse_idx_images, parse_idx_labels, read_idx_images, read_idx_labels,
};
pub use mnist::{MNIST_CLASSES, MNIST_PIXELS, Mnist};
pub use rows::to_rows;
pub use scale::{MinMaxScaler, Scaler, StandardScaler};
pub use scaler_file::{
    SCALER_KEY, SCALER_MODEL_KEY, ScalerFileError, load_model_and_scaler, load_scaler, parse_scaler,
    save_model_and_scaler, save_scaler, scaler_path,
};
pub use split::{KFold, Split, train_test_split};

pub use crate::batches::BatchSource;
