//! Saving and loading a model's tensors as a safetensors file (std only), under PyTorch's
//! `state_dict` names (`fc1.weight`, `bn1.running_mean`, ...) and shapes, in f32.
//!
//! Batch norm's `num_batches_tracked` is an int64 scalar (shape `[]`), as PyTorch writes
//! it, so that PyTorch's strict `load_state_dict` takes the file; a file without it (an
//! older staticnet file) still loads, and the layer keeps its count, as PyTorch does.
//!
//! A saved file carries a checksum of its tensors in the safetensors `__metadata__`
//! ([`CHECKSUM_KEY`]), which [`Model::load`] verifies when present, so a flipped bit in the
//! weights is an error; files without one (PyTorch's) load as before.
//!
//! An [`Ensemble`](crate::ensemble::Ensemble)'s file is written and read by the same code,
//! its members' tensors under `member0`, `member1`, ...

use std::boxed::Box;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::vec::Vec;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::flat::Flat;
use crate::io::write_atomic;
use crate::layer::{Forward, Layer};
use crate::layers::BatchCount;
use crate::model::Model;
use crate::tensors::{TensorPath, TensorVisitor};

/// What went wrong reading or writing a model file. Its `Display` is one line naming the
/// file and the problem.
#[derive(Debug)]
#[non_exhaustive]
pub enum ModelFileError {
    /// The file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not a valid safetensors file (truncated, corrupt header, ...).
    Format {
        /// The file.
        path: PathBuf,
        /// What the safetensors reader said.
        message: String,
    },
    /// A tensor the network has is not in the file.
    Missing {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
    },
    /// A tensor in the file that the network does not have.
    Unexpected {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
    },
    /// A tensor with another shape than the network's.
    Shape {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// The network's shape.
        expected: Vec<usize>,
        /// The file's shape.
        found: Vec<usize>,
    },
    /// A tensor not stored as the network's element type (f32, or i64 for a counter).
    Dtype {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// The network's element type.
        expected: String,
        /// The file's element type.
        found: String,
    },
    /// A counter (`num_batches_tracked`) that is negative or beyond what the layer holds.
    Count {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// The value in the file.
        value: i64,
        /// The largest value the layer holds.
        max: u64,
    },
    /// A tensor holding NaN or infinity.
    NonFinite {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
    },
    /// The tensors do not hash to the checksum the file was saved with.
    Checksum {
        /// The file.
        path: PathBuf,
        /// The checksum in the file's metadata.
        saved: String,
        /// The checksum of the tensors read.
        computed: String,
    },
    /// An ensemble file with another number of members than the ensemble loading it, or
    /// a file that is not an ensemble's (`found` is `None`: no member count in its
    /// metadata).
    Members {
        /// The file.
        path: PathBuf,
        /// The members in the file, if it says.
        found: Option<String>,
        /// The members of the ensemble.
        expected: usize,
    },
    /// An ensemble file whose combination rule is not one staticnet knows.
    Voting {
        /// The file.
        path: PathBuf,
        /// The rule in the file.
        found: String,
    },
}

impl fmt::Display for ModelFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelFileError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            ModelFileError::Format { path, message } => {
                write!(f, "{}: not a valid safetensors file: {message}", path.display())
            }
            ModelFileError::Missing { path, tensor } => {
                write!(f, "{}: tensor `{tensor}` of the network is missing", path.display())
            }
            ModelFileError::Unexpected { path, tensor } => {
                write!(f, "{}: tensor `{tensor}` is not part of the network", path.display())
            }
            ModelFileError::Shape { path, tensor, expected, found } => write!(
                f,
                "{}: tensor `{tensor}` has shape {found:?} in the file, the network expects {expected:?}",
                path.display()
            ),
            ModelFileError::Dtype { path, tensor, expected, found } => {
                write!(f, "{}: tensor `{tensor}` is {found}, expected {expected}", path.display())
            }
            ModelFileError::Count { path, tensor, value, max } => {
                write!(f, "{}: counter `{tensor}` is {value}, expected 0 to {max}", path.display())
            }
            ModelFileError::NonFinite { path, tensor } => {
                write!(f, "{}: tensor `{tensor}` holds NaN or infinity", path.display())
            }
            ModelFileError::Checksum { path, saved, computed } => write!(
                f,
                "{}: corrupt: the tensors hash to {computed}, the file was saved with {saved}",
                path.display()
            ),
            ModelFileError::Members { path, found: None, expected } => write!(
                f,
                "{}: not an ensemble file (no member count in its metadata), expected {expected} members",
                path.display()
            ),
            ModelFileError::Members { path, found: Some(found), expected } => {
                write!(f, "{}: an ensemble of {found} members, expected {expected}", path.display())
            }
            ModelFileError::Voting { path, found } => {
                write!(f, "{}: combination `{found}` is not one of `soft`, `hard`, `mean`", path.display())
            }
        }
    }
}

impl std::error::Error for ModelFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ModelFileError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl<N: Layer> Model<N> {
    /// Writes every parameter and state tensor to `path` as safetensors, atomically (a
    /// temporary file renamed over `path`, so a reader never sees half a file).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), ModelFileError> {
        let path = path.as_ref();
        let bytes = self.to_safetensors().map_err(|message| ModelFileError::Format { path: path.into(), message })?;
        write_atomic(path, &bytes).map_err(|source| ModelFileError::Io { path: path.into(), source })
    }

    /// The model's tensors as the bytes of a safetensors file.
    pub fn to_safetensors(&self) -> Result<Vec<u8>, String> {
        let mut tensors = Tensors::new();
        tensors.collect(self, &TensorPath::ROOT);
        tensors.serialize(HashMap::new())
    }

    /// Reads every parameter and state tensor from the safetensors file at `path`. The
    /// file must hold exactly the network's tensors, as f32 with the network's shapes and
    /// finite values, and may hold batch norm's `num_batches_tracked` (an int64 scalar
    /// from 0 to [`BatchCount::MAX`](crate::layers::BatchCount::MAX)); otherwise the model
    /// is left unchanged and the error says which tensor is wrong and how.
    pub fn load(&mut self, path: impl AsRef<Path>) -> Result<(), ModelFileError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| ModelFileError::Io { path: path.into(), source })?;
        self.load_safetensors(&bytes, path)
    }

    /// [`Model::load`] from the bytes of a file; `path` only names it in errors.
    pub fn load_safetensors(&mut self, bytes: &[u8], path: &Path) -> Result<(), ModelFileError> {
        let (file, _) = open(bytes, path)?;
        let mut seen = HashSet::new();
        let (params, state) = read_tensors(self, &file, &TensorPath::ROOT, path, &mut seen)?;
        check_no_extra(&file, &seen, path)?;
        self.params.as_flat_mut().copy_from_slice(params.as_flat());
        self.state.as_flat_mut().copy_from_slice(state.as_flat());
        Ok(())
    }
}

/// Named tensors gathered from one or more models, to be written as one safetensors file.
pub(crate) struct Tensors(Vec<(String, Dtype, Vec<usize>, Vec<u8>)>);

impl Tensors {
    pub(crate) fn new() -> Self {
        Tensors(Vec::new())
    }

    /// Adds every parameter and state tensor of `model`, named under `prefix`
    /// (`member3.fc1.weight` under `member3`).
    pub(crate) fn collect<N: Layer>(&mut self, model: &Model<N>, prefix: &TensorPath<'_>) {
        // Visiting takes the blocks mutably; a copy on the heap leaves `model` untouched.
        let mut params = crate::flat::boxed_zeroed::<N::Params>();
        let mut state = crate::flat::boxed_zeroed::<N::State>();
        params.as_flat_mut().copy_from_slice(model.params.as_flat());
        state.as_flat_mut().copy_from_slice(model.state.as_flat());
        model.net.visit_tensors(&mut params, &mut state, prefix, &mut Collect(&mut self.0));
    }

    /// The bytes of a safetensors file of the tensors, with `metadata` and the
    /// [`CHECKSUM_KEY`] in its `__metadata__`.
    pub(crate) fn serialize(&self, mut metadata: HashMap<String, String>) -> Result<Vec<u8>, String> {
        let views = self
            .0
            .iter()
            .map(|(name, dtype, shape, bytes)| Ok((name.as_str(), TensorView::new(*dtype, shape.clone(), bytes)?)))
            .collect::<Result<Vec<_>, safetensors::SafeTensorError>>()
            .map_err(|e| e.to_string())?;
        let mut tensors: Vec<_> = self.0.iter().map(|(n, _, s, b)| (n.as_str(), s.as_slice(), b.as_slice())).collect();
        metadata.insert(CHECKSUM_KEY.to_string(), checksum(&mut tensors));
        safetensors::serialize(views, Some(metadata)).map_err(|e| e.to_string())
    }
}

/// Parses a safetensors file and verifies its checksum when it has one; returns the file
/// and its `__metadata__` (empty when it has none).
pub(crate) fn open<'data>(
    bytes: &'data [u8],
    path: &Path,
) -> Result<(SafeTensors<'data>, HashMap<String, String>), ModelFileError> {
    let format = |e: safetensors::SafeTensorError| ModelFileError::Format { path: path.into(), message: e.to_string() };
    let file = SafeTensors::deserialize(bytes).map_err(format)?;
    let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(format)?;
    let metadata = metadata.metadata().clone().unwrap_or_default();
    if let Some(saved) = metadata.get(CHECKSUM_KEY) {
        let views = file.tensors();
        let mut tensors: Vec<_> = views.iter().map(|(n, v)| (n.as_str(), v.shape(), v.data())).collect();
        let computed = checksum(&mut tensors);
        if *saved != computed {
            return Err(ModelFileError::Checksum { path: path.into(), saved: saved.clone(), computed });
        }
    }
    Ok((file, metadata))
}

/// A network's parameter and state blocks, on the heap.
pub(crate) type Blocks<N> = (Box<<N as Forward>::Params>, Box<<N as Forward>::State>);

/// The parameters and state of `model`'s network read from `file`, under `prefix`, into
/// new blocks (the model itself is unchanged); counters missing from the file keep the
/// model's values. The names read are added to `seen`.
pub(crate) fn read_tensors<N: Layer>(
    model: &Model<N>,
    file: &SafeTensors<'_>,
    prefix: &TensorPath<'_>,
    path: &Path,
    seen: &mut HashSet<String>,
) -> Result<Blocks<N>, ModelFileError> {
    let mut params = crate::flat::boxed_zeroed::<N::Params>();
    let mut state = crate::flat::boxed_zeroed::<N::State>();
    state.as_flat_mut().copy_from_slice(model.state.as_flat());
    let mut reader = Read { file, path, seen, error: None };
    model.net.visit_tensors(&mut params, &mut state, prefix, &mut reader);
    match reader.error {
        Some(error) => Err(error),
        None => Ok((params, state)),
    }
}

/// [`ModelFileError::Unexpected`] for the first tensor of `file` (in name order) not in
/// `seen`.
pub(crate) fn check_no_extra(
    file: &SafeTensors<'_>,
    seen: &HashSet<String>,
    path: &Path,
) -> Result<(), ModelFileError> {
    let mut names = file.names();
    names.sort_unstable();
    match names.into_iter().find(|name| !seen.contains(*name)) {
        Some(extra) => Err(ModelFileError::Unexpected { path: path.into(), tensor: extra.to_string() }),
        None => Ok(()),
    }
}

/// The `__metadata__` key of the checksum [`Model::save`] writes: `fnv1a64:` and 16 hex
/// digits.
pub const CHECKSUM_KEY: &str = "staticnet.checksum";

/// FNV-1a (64 bits) over the tensors in name order, each as its name, a 0 byte, its shape
/// (u64 little-endian per dimension) and its data bytes: `h = (h ^ byte) · 0x100000001b3`
/// from `h = 0xcbf29ce484222325`. Each step is a bijection of `h`, so any one changed byte
/// changes the result.
pub(crate) fn checksum(tensors: &mut [(&str, &[usize], &[u8])]) -> String {
    tensors.sort_unstable_by_key(|&(name, ..)| name);
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    };
    for &(name, shape, data) in tensors.iter() {
        eat(name.as_bytes());
        eat(&[0]);
        shape.iter().for_each(|&d| eat(&(d as u64).to_le_bytes()));
        eat(data);
    }
    std::format!("fnv1a64:{h:016x}")
}

/// Collects each tensor's name, element type, shape and little-endian bytes.
struct Collect<'a>(&'a mut Vec<(String, Dtype, Vec<usize>, Vec<u8>)>);

impl TensorVisitor for Collect<'_> {
    fn tensor(&mut self, path: &TensorPath<'_>, shape: &[usize], data: &mut [f32]) {
        let bytes = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.0.push((path.to_string(), Dtype::F32, shape.to_vec(), bytes));
    }

    fn counter(&mut self, path: &TensorPath<'_>, value: &mut u64) {
        let bytes = (*value as i64).to_le_bytes().to_vec();
        self.0.push((path.to_string(), Dtype::I64, Vec::new(), bytes));
    }
}

/// Fills each tensor from the file, keeping the first error.
struct Read<'a, 'data> {
    file: &'a SafeTensors<'data>,
    path: &'a Path,
    seen: &'a mut HashSet<String>,
    error: Option<ModelFileError>,
}

impl TensorVisitor for Read<'_, '_> {
    fn tensor(&mut self, name: &TensorPath<'_>, shape: &[usize], data: &mut [f32]) {
        if self.error.is_some() {
            return;
        }
        let tensor = name.to_string();
        let path = self.path.to_path_buf();
        self.error = match self.file.tensor(&tensor) {
            Err(_) => Some(ModelFileError::Missing { path, tensor: tensor.clone() }),
            Ok(view) if view.dtype() != Dtype::F32 => Some(ModelFileError::Dtype {
                path,
                tensor: tensor.clone(),
                expected: "F32".into(),
                found: std::format!("{:?}", view.dtype()),
            }),
            Ok(view) if view.shape() != shape => Some(ModelFileError::Shape {
                path,
                tensor: tensor.clone(),
                expected: shape.to_vec(),
                found: view.shape().to_vec(),
            }),
            Ok(view) => {
                for (value, bytes) in data.iter_mut().zip(view.data().chunks_exact(4)) {
                    *value = f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
                }
                if data.iter().all(|v| v.is_finite()) {
                    None
                } else {
                    Some(ModelFileError::NonFinite { path, tensor: tensor.clone() })
                }
            }
        };
        self.seen.insert(tensor);
    }

    fn counter(&mut self, name: &TensorPath<'_>, value: &mut u64) {
        if self.error.is_some() {
            return;
        }
        let tensor = name.to_string();
        let path = self.path.to_path_buf();
        self.error = match self.file.tensor(&tensor) {
            Err(_) => None,
            Ok(view) if view.dtype() != Dtype::I64 => Some(ModelFileError::Dtype {
                path,
                tensor: tensor.clone(),
                expected: "I64".into(),
                found: std::format!("{:?}", view.dtype()),
            }),
            Ok(view) if !view.shape().is_empty() => Some(ModelFileError::Shape {
                path,
                tensor: tensor.clone(),
                expected: Vec::new(),
                found: view.shape().to_vec(),
            }),
            Ok(view) => {
                let data = view.data();
                let count = i64::from_le_bytes(core::array::from_fn(|i| data[i]));
                match u64::try_from(count) {
                    Ok(c) if c <= BatchCount::MAX => {
                        *value = c;
                        None
                    }
                    _ => {
                        Some(ModelFileError::Count { path, tensor: tensor.clone(), value: count, max: BatchCount::MAX })
                    }
                }
            }
        };
        self.seen.insert(tensor);
    }
}
