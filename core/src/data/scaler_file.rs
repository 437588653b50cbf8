//! Scalers saved beside a model file, so that a loaded model predicts from raw inputs.

use core::fmt;
use std::borrow::ToOwned;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::vec::Vec;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use super::Scaler;
use crate::flat::Flat;
use crate::io::write_atomic;
use crate::layer::Layer;
use crate::model::Model;
use crate::model_file::{CHECKSUM_KEY, ModelFileError};

/// The `__metadata__` key holding the checksum of the model a scaler was saved with.
pub const SCALER_MODEL_KEY: &str = "staticnet.model_checksum";

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
    /// A scaler saved with another model than the one beside it.
    OtherModel {
        /// The scaler file.
        path: PathBuf,
        /// The model file.
        model: PathBuf,
    },
    /// The model file itself could not be written or read.
    Model(ModelFileError),
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
            ScalerFileError::OtherModel { path, model } => {
                write!(f, "{}: this scaler was saved with another model than {}", path.display(), model.display())
            }
            ScalerFileError::Model(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for ScalerFileError {}

/// Writes `scaler` to `path` as safetensors (tensors `offset` and `scale` of shape `[N]`,
/// the kind in the metadata), atomically. Save it beside the model
/// (`model.safetensors` and `model.scaler.safetensors`) and load both together.
pub fn save_scaler<S: Scaler<N>, const N: usize>(scaler: &S, path: impl AsRef<Path>) -> Result<(), ScalerFileError> {
    write_scaler(scaler, path.as_ref(), None)
}

fn write_scaler<S: Scaler<N>, const N: usize>(
    scaler: &S,
    path: &Path,
    model: Option<String>,
) -> Result<(), ScalerFileError> {
    let (offset, scale) = scaler.parts();
    let bytes = |v: &[f32; N]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let (offset, scale) = (bytes(offset), bytes(scale));
    let format =
        |e: safetensors::SafeTensorError| ScalerFileError::Format { path: path.into(), message: e.to_string() };
    let views = [
        ("offset", TensorView::new(Dtype::F32, std::vec![N], &offset).map_err(format)?),
        ("scale", TensorView::new(Dtype::F32, std::vec![N], &scale).map_err(format)?),
    ];
    let mut metadata = HashMap::from([(SCALER_KEY.to_owned(), S::KIND.to_owned())]);
    if let Some(checksum) = model {
        metadata.insert(SCALER_MODEL_KEY.to_owned(), checksum);
    }
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
    parse_with_model(bytes, path).map(|(scaler, _)| scaler)
}

/// The scaler, and the checksum of the model it was saved with if any.
fn parse_with_model<S: Scaler<N>, const N: usize>(
    bytes: &[u8],
    path: &Path,
) -> Result<(S, Option<String>), ScalerFileError> {
    let format = |message: String| ScalerFileError::Format { path: path.into(), message };
    let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(|e| format(e.to_string()))?;
    let kind = metadata.metadata().as_ref().and_then(|m| m.get(SCALER_KEY)).cloned();
    let model = metadata.metadata().as_ref().and_then(|m| m.get(SCALER_MODEL_KEY)).cloned();
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
    let scaler = S::from_parts(offset, scale)
        .map_err(|e| ScalerFileError::Values { path: path.into(), message: e.to_string() })?;
    Ok((scaler, model))
}

/// Where [`save_model_and_scaler`] puts the scaler of the model at `model`:
/// `model.safetensors` → `model.scaler.safetensors`.
pub fn scaler_path(model: &Path) -> PathBuf {
    model.with_extension("scaler.safetensors")
}

/// Saves `model` to `path` ([`Model::save`]) and its input `scaler` beside it, at
/// [`scaler_path`], with the model's checksum, so that [`load_model_and_scaler`] refuses a
/// scaler that belongs to another model. A scaler of another width than the network's
/// input is [`ScalerFileError::Width`], before anything is written.
pub fn save_model_and_scaler<N: Layer, S: Scaler<K>, const K: usize>(
    model: &Model<N>,
    scaler: &S,
    path: impl AsRef<Path>,
) -> Result<(), ScalerFileError> {
    let path = path.as_ref();
    let beside = scaler_path(path);
    check_width::<N, K>(&beside)?;
    let format = |message| ScalerFileError::Model(ModelFileError::Format { path: path.into(), message });
    let bytes = model.to_safetensors().map_err(format)?;
    let checksum = model_checksum(&bytes, path)?;
    write_atomic(path, &bytes)
        .map_err(|source| ScalerFileError::Model(ModelFileError::Io { path: path.into(), source }))?;
    write_scaler(scaler, &beside, Some(checksum))
}

/// Loads `model` from `path` ([`Model::load`]) and returns the scaler saved beside it by
/// [`save_model_and_scaler`]. A scaler of another kind or width, or saved with another
/// model ([`ScalerFileError::OtherModel`]), is an error; `model` is then left unchanged.
pub fn load_model_and_scaler<N: Layer, S: Scaler<K>, const K: usize>(
    model: &mut Model<N>,
    path: impl AsRef<Path>,
) -> Result<S, ScalerFileError> {
    let path = path.as_ref();
    let beside = scaler_path(path);
    check_width::<N, K>(&beside)?;
    let model_bytes = std::fs::read(path)
        .map_err(|source| ScalerFileError::Model(ModelFileError::Io { path: path.into(), source }))?;
    let scaler_bytes = std::fs::read(&beside).map_err(|source| ScalerFileError::Io { path: beside.clone(), source })?;
    let (scaler, saved_with) = parse_with_model::<S, K>(&scaler_bytes, &beside)?;
    if saved_with.as_deref() != Some(model_checksum(&model_bytes, path)?.as_str()) {
        return Err(ScalerFileError::OtherModel { path: beside, model: path.into() });
    }
    model.load_safetensors(&model_bytes, path).map_err(ScalerFileError::Model)?;
    Ok(scaler)
}

/// [`ScalerFileError::Width`] unless the network takes `K` input values.
fn check_width<N: Layer, const K: usize>(path: &Path) -> Result<(), ScalerFileError> {
    match <N::Input as Flat>::LEN {
        inputs if inputs == K => Ok(()),
        inputs => Err(ScalerFileError::Width { path: path.into(), found: K, expected: inputs }),
    }
}

/// The checksum in a model file's metadata.
fn model_checksum(bytes: &[u8], path: &Path) -> Result<String, ScalerFileError> {
    let format = |message: String| ScalerFileError::Model(ModelFileError::Format { path: path.into(), message });
    let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(|e| format(e.to_string()))?;
    metadata
        .metadata()
        .as_ref()
        .and_then(|m| m.get(CHECKSUM_KEY))
        .cloned()
        .ok_or_else(|| format(std::format!("no `{CHECKSUM_KEY}` entry in the metadata")))
}
