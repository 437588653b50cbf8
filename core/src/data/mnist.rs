//! The MNIST handwritten digits: four IDX files in one directory, plain or gzipped.

use std::path::{Path, PathBuf};
use std::string::String;

use super::{DataError, Dataset};

/// Pixels per MNIST image (28 x 28).
pub const MNIST_PIXELS: usize = 28 * 28;
/// Number of MNIST classes (the digits 0-9).
pub const MNIST_CLASSES: usize = 10;

/// MNIST's training and test sets, pixels scaled to `[0, 1]`, labels 0-9.
#[derive(Clone, Debug, PartialEq)]
pub struct Mnist {
    /// The training set (`train-*` files).
    pub train: Dataset<MNIST_PIXELS>,
    /// The test set (`t10k-*` files).
    pub test: Dataset<MNIST_PIXELS>,
}

impl Mnist {
    /// File name of the training images.
    pub const TRAIN_IMAGES: &'static str = "train-images-idx3-ubyte";
    /// File name of the training labels.
    pub const TRAIN_LABELS: &'static str = "train-labels-idx1-ubyte";
    /// File name of the test images.
    pub const TEST_IMAGES: &'static str = "t10k-images-idx3-ubyte";
    /// File name of the test labels.
    pub const TEST_LABELS: &'static str = "t10k-labels-idx1-ubyte";

    /// Loads the four standard files from `dir`, each under its plain name or with `.gz`
    /// appended (any file starting with the gzip magic bytes is decompressed).
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, DataError> {
        let dir = dir.as_ref();
        let split = |images: &str, labels: &str| {
            Dataset::from_idx_files(Self::locate(dir, images)?, Self::locate(dir, labels)?, MNIST_CLASSES)
        };
        Ok(Mnist {
            train: split(Self::TRAIN_IMAGES, Self::TRAIN_LABELS)?,
            test: split(Self::TEST_IMAGES, Self::TEST_LABELS)?,
        })
    }

    /// `dir/name` if it exists, else `dir/name.gz` if that exists, else
    /// [`DataError::NotFound`] naming `dir/name`.
    pub fn locate(dir: &Path, name: &str) -> Result<PathBuf, DataError> {
        let plain = dir.join(name);
        if plain.exists() {
            return Ok(plain);
        }
        let gzipped = dir.join(String::from(name) + ".gz");
        if gzipped.exists() {
            return Ok(gzipped);
        }
        Err(DataError::NotFound { path: plain })
    }
}
