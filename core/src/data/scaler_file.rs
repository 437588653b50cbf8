//! Scalers saved beside a model file, so that a loaded model predicts from raw inputs.

use core::fmt;
use std::borrow::ToOwned;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::vec::Vec;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use super::Scaler;
use crate::io::write_atomic;

/// The `__metadata__` key holding the scaler's kind (`StandardScaler`, `MinMaxScaler`).
pub const SCALER_KEY: &str = "staticnet.scaler";

/// Why a scaler file could not be written or read. `Display` is one line naming the file.
#[derive(Debug)]
#[non_exhaustive]
pub enum ScalerFileError {
    /// The file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Not a safetensors file of a scaler (corrupt, or tensors missing or not f32).
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A scaler of another kind than the one loaded.
    Kind {
        /// The file.
        path: PathBuf,
        /// The kind in the file.
        found: String,
        /// The kind asked for.
        expected: &'static str,
    },
    /// A scaler fitted on samples of another width.
    Width {
        /// The file.
        path: PathBuf,
        /// Features in the file.
        found: usize,
        /// Features of the samples the model takes.
        expected: usize,
    },
    /// Saved values a scaler cannot hold (non-finite, or a zero scale).
    Values {
        /// The file.
        path: PathBuf,
        /// The scaler's own error.
        message: String,
    },
}

impl fmt::Display for ScalerFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScalerFileError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            ScalerFileError::Format { path, message } => write!(f, "{}: not a scaler file: {message}", path.display()),
            ScalerFileError::Kind { path, found, expected } => {
                write!(f, "{}: holds a {found}, not a {expected}", path.display())
            }
            ScalerFileError::Width { path, found, expected } => {
                write!(f, "{}: scaler of {found} features, the model takes {expected}", path.display())
            }
            ScalerFileError::Values { path, message } => write!(f, "{}: {message}", path.display()),
        }
    }
}

impl std::error::Error for ScalerFileError {}

/// Writes `scaler` to `path` as safetensors (tensors `offset` and `scale` of shape `[N]`,
/// the kind in the metadata), atomically. Save it beside the model
/// (`model.safetensors` and `model.scaler.safetensors`) and load both together.
pub fn save_scaler<S: Scaler<N>, const N: usize>(scaler: &S, path: impl AsRef<Path>) -> Result<(), ScalerFileError> {
    let path = path.as_ref();
    let (offset, scale) = scaler.parts();
    let bytes = |v: &[f32; N]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let (offset, scale) = (bytes(offset), bytes(scale));
    let format =
        |e: safetensors::SafeTensorError| ScalerFileError::Format { path: path.into(), message: e.to_string() };
    let views = [
        ("offset", TensorView::new(Dtype::F32, std::vec![N], &offset).map_err(format)?),
        ("scale", TensorView::new(Dtype::F32, std::vec![N], &scale).map_err(format)?),
    ];
    let metadata = HashMap::from([(SCALER_KEY.to_owned(), S::KIND.to_owned())]);
    let file = safetensors::serialize(views, Some(metadata)).map_err(format)?;
    write_atomic(path, &file).map_err(|source| ScalerFileError::Io { path: path.into(), source })
}

/// Reads a scaler written by [`save_scaler`]. Another kind of scaler, another number of
/// features than `N` or values no scaler holds are errors.
pub fn load_scaler<S: Scaler<N>, const N: usize>(path: impl AsRef<Path>) -> Result<S, ScalerFileError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| ScalerFileError::Io { path: path.into(), source })?;
    parse_scaler(&bytes, path)
}

/// [`load_scaler`] from the bytes of a file; `path` only names it in errors.
pub fn parse_scaler<S: Scaler<N>, const N: usize>(bytes: &[u8], path: &Path) -> Result<S, ScalerFileError> {
    let format = |message: String| ScalerFileError::Format { path: path.into(), message };
    let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(|e| format(e.to_string()))?;
    let kind = metadata.metadata().as_ref().and_then(|m| m.get(SCALER_KEY)).cloned();
    match kind {
        None => return Err(format(std::format!("no `{SCALER_KEY}` entry in the metadata"))),
        Some(found) if found != S::KIND => {
            return Err(ScalerFileError::Kind { path: path.into(), found, expected: S::KIND });
        }
        Some(_) => {}
    }
    let file = SafeTensors::deserialize(bytes).map_err(|e| format(e.to_string()))?;
    let read = |name: &str| -> Result<[f32; N], ScalerFileError> {
        let view = file.tensor(name).map_err(|_| format(std::format!("no tensor `{name}`")))?;
        if view.dtype() != Dtype::F32 || view.shape().len() != 1 {
            return Err(format(std::format!("tensor `{name}` is not a vector of f32")));
        }
        if view.shape()[0] != N {
            return Err(ScalerFileError::Width { path: path.into(), found: view.shape()[0], expected: N });
        }
        let data = view.data();
        Ok(core::array::from_fn(|i| {
            f32::from_le_bytes([data[4 * i], data[4 * i + 1], data[4 * i + 2], data[4 * i + 3]])
        }))
    };
    let (offset, scale) = (read("offset")?, read("scale")?);
    S::from_parts(offset, scale).map_err(|e| ScalerFileError::Values { path: path.into(), message: e.to_string() })
}
