//! Training checkpoints that resume a run bit for bit (std only): the model's parameters
//! and state, the optimizer's state, the workspace's dropout streams, the position of the
//! run ([`Progress`]: epochs and steps done, which is also where a schedule of `t` stands)
//! and the running state of stateful schedules and callbacks ([`Resumable`]), in one
//! safetensors file.
//!
//! Names in the file: `model.<tensor>` (the model file's names), `optimizer.lr` (the
//! current learning rate) and `optimizer.<name>` (PyTorch's names: `step`, `exp_avg`, ...), `rng.<layer>`, `progress.epoch`,
//! `progress.step`, and `<part>.<name>` for each part added with [`Checkpoint::with`].
//! Buffers are f32, counts u64 scalars, reals f64 scalars. The `__metadata__` names the
//! format version ([`CHECKPOINT_VERSION`]), the network (its type name and a fingerprint
//! of its tensor names and shapes), the optimizer (its type name) and a checksum of the
//! tensors, as model files carry.
//!
//! Loading checks everything before it writes anything: a checkpoint of another network,
//! optimizer or version, a truncated or corrupt file, a missing, extra or misshapen
//! tensor is a one-line [`CheckpointError`], and the running values are left unchanged.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::vec::Vec;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::io::write_atomic;
use crate::layer::Layer;
use crate::layers::BatchCount;
use crate::model::Model;
use crate::model_file::checksum;
use crate::optim::Optimizer;
use crate::state::{Resumable, StateVisitor};
use crate::tensors::{TensorPath, TensorVisitor};
use crate::workspace::Workspace;

use super::TrainingWorkspace;

/// The checkpoint format this version writes and reads.
pub const CHECKPOINT_VERSION: &str = "1";

const VERSION_KEY: &str = "staticnet.checkpoint";
const NETWORK_KEY: &str = "staticnet.network";
const FINGERPRINT_KEY: &str = "staticnet.network_fingerprint";
const OPTIMIZER_KEY: &str = "staticnet.optimizer";

/// How far a run has got: what a resumed run starts from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Epochs completed.
    pub epoch: u64,
    /// Optimizer steps taken (the `t` of a per-step schedule).
    pub step: u64,
}

/// What went wrong saving or loading a checkpoint. Its `Display` is one line that names
/// the file.
#[derive(Debug)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Not a valid safetensors file (truncated, corrupt header, ...).
    Format {
        /// The file.
        path: PathBuf,
        /// What the safetensors reader said.
        message: String,
    },
    /// A safetensors file without checkpoint metadata (a model file, say).
    NotACheckpoint {
        /// The file.
        path: PathBuf,
    },
    /// A checkpoint of another format version.
    Version {
        /// The file.
        path: PathBuf,
        /// The file's version.
        found: String,
    },
    /// A checkpoint of another network.
    Network {
        /// The file.
        path: PathBuf,
        /// The file's network and fingerprint.
        saved: String,
        /// This run's network and fingerprint.
        expected: String,
    },
    /// A checkpoint of another optimizer.
    Optimizer {
        /// The file.
        path: PathBuf,
        /// The file's optimizer.
        saved: String,
        /// This run's optimizer.
        expected: String,
    },
    /// The tensors do not hash to the checksum saved with them.
    Checksum {
        /// The file.
        path: PathBuf,
    },
    /// A value this run has that the file lacks.
    Missing {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
    },
    /// A value in the file that this run does not have.
    Unexpected {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
    },
    /// A value of another type or shape than this run's, or NaN or infinity in a buffer.
    Invalid {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// What this run expects, e.g. `F32 [8]`, `finite values`.
        expected: String,
    },
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use CheckpointError::*;
        match self {
            Io { path, source } => write!(f, "{}: {source}", path.display()),
            Format { path, message } => write!(f, "{}: not a valid safetensors file: {message}", path.display()),
            NotACheckpoint { path } => {
                write!(f, "{}: not a training checkpoint (no `{VERSION_KEY}` in its metadata)", path.display())
            }
            Version { path, found } => write!(
                f,
                "{}: checkpoint format version {found}, this staticnet reads version {CHECKPOINT_VERSION}",
                path.display()
            ),
            Network { path, saved, expected } => {
                write!(f, "{}: checkpoint of network {saved}, this run trains {expected}", path.display())
            }
            Optimizer { path, saved, expected } => {
                write!(f, "{}: checkpoint of optimizer {saved}, this run uses {expected}", path.display())
            }
            Checksum { path } => write!(f, "{}: corrupt: the tensors do not match their checksum", path.display()),
            Missing { path, tensor } => write!(f, "{}: `{tensor}` is missing", path.display()),
            Unexpected { path, tensor } => write!(f, "{}: `{tensor}` is not part of this run", path.display()),
            Invalid { path, tensor, expected } => write!(f, "{}: `{tensor}` is not {expected}", path.display()),
        }
    }
}

impl std::error::Error for CheckpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CheckpointError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Everything a run needs to resume, borrowed: save it with [`Checkpoint::save`], restore
/// it with [`Checkpoint::load`].
///
/// ```
/// use staticnet_core::layers::{Dense, Dropout};
/// use staticnet_core::optim::Adam;
/// use staticnet_core::train::{Checkpoint, Progress};
/// use staticnet_core::{Model, Workspace};
///
/// type Net = Dense<3, 2>;
/// let (mut model, mut ws) = (Model::<Net>::new(0), Workspace::<Net, 4>::new());
/// let (mut adam, mut progress) = (Adam::<Net>::new(1e-3), Progress::default());
/// let path = std::env::temp_dir().join(format!("doc-{}.ckpt", std::process::id()));
/// Checkpoint::new(&mut model, &mut ws, &mut adam, &mut progress).save(&path)?;
///
/// let (mut model2, mut ws2) = (Model::<Net>::new(1), Workspace::<Net, 4>::new());
/// let (mut adam2, mut progress2) = (Adam::<Net>::new(1e-3), Progress::default());
/// Checkpoint::new(&mut model2, &mut ws2, &mut adam2, &mut progress2).load(&path)?;
/// assert_eq!(model2.params.weight, model.params.weight);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), staticnet_core::train::CheckpointError>(())
/// ```
pub struct Checkpoint<'a, N: Layer, O: Optimizer<N>, const B: usize, W = Workspace<N, B>> {
    model: &'a mut Model<N>,
    workspace: &'a mut W,
    optimizer: &'a mut O,
    progress: &'a mut Progress,
    parts: Vec<(&'static str, &'a mut dyn Resumable)>,
}

impl<'a, N: Layer, O: Optimizer<N>, const B: usize, W: TrainingWorkspace<N, O, B>> Checkpoint<'a, N, O, B, W> {
    /// The model, the workspace (its dropout streams; a [`Workspace`] or a
    /// [`FusedWorkspace`](crate::FusedWorkspace)), the optimizer and the progress.
    pub fn new(
        model: &'a mut Model<N>,
        workspace: &'a mut W,
        optimizer: &'a mut O,
        progress: &'a mut Progress,
    ) -> Self {
        Checkpoint { model, workspace, optimizer, progress, parts: Vec::new() }
    }

    /// Adds a stateful part under `name` (`"schedule"`, `"early_stopping"`).
    pub fn with(mut self, name: &'static str, part: &'a mut dyn Resumable) -> Self {
        self.parts.push((name, part));
        self
    }

    /// Writes the checkpoint to `path` atomically (a temporary file renamed over it).
    pub fn save(&mut self, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
        let path = path.as_ref();
        let bytes = self.to_bytes().map_err(|message| CheckpointError::Format { path: path.into(), message })?;
        write_atomic(path, &bytes).map_err(|source| CheckpointError::Io { path: path.into(), source })
    }

    /// The checkpoint as the bytes of a safetensors file.
    pub fn to_bytes(&mut self) -> Result<Vec<u8>, String> {
        let mut saver = Saver(Vec::new());
        self.visit(&mut saver);
        let views = saver
            .0
            .iter()
            .map(|(name, dtype, shape, bytes)| Ok((name.as_str(), TensorView::new(*dtype, shape.clone(), bytes)?)))
            .collect::<Result<Vec<_>, safetensors::SafeTensorError>>()
            .map_err(|e| e.to_string())?;
        let mut tensors: Vec<_> = saver.0.iter().map(|(n, _, s, b)| (n.as_str(), s.as_slice(), b.as_slice())).collect();
        let metadata = HashMap::from([
            (VERSION_KEY.to_string(), CHECKPOINT_VERSION.to_string()),
            (NETWORK_KEY.to_string(), short_name::<N>()),
            (FINGERPRINT_KEY.to_string(), self.fingerprint()),
            (OPTIMIZER_KEY.to_string(), short_name::<O>()),
            (crate::model_file::CHECKSUM_KEY.to_string(), checksum(&mut tensors)),
        ]);
        safetensors::serialize(views, Some(metadata)).map_err(|e| e.to_string())
    }

    /// Restores everything from the checkpoint at `path`; on any error nothing changes.
    pub fn load(&mut self, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| CheckpointError::Io { path: path.into(), source })?;
        self.load_bytes(&bytes, path)
    }

    /// [`Checkpoint::load`] from the bytes of a file; `path` only names it in errors.
    pub fn load_bytes(&mut self, bytes: &[u8], path: &Path) -> Result<(), CheckpointError> {
        let format =
            |e: safetensors::SafeTensorError| CheckpointError::Format { path: path.into(), message: e.to_string() };
        let file = SafeTensors::deserialize(bytes).map_err(format)?;
        let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(format)?;
        let empty = HashMap::new();
        let meta = metadata.metadata().as_ref().unwrap_or(&empty);
        let get = |key: &str| meta.get(key).cloned().unwrap_or_default();
        match meta.get(VERSION_KEY) {
            None => return Err(CheckpointError::NotACheckpoint { path: path.into() }),
            Some(v) if v != CHECKPOINT_VERSION => {
                return Err(CheckpointError::Version { path: path.into(), found: v.clone() });
            }
            Some(_) => {}
        }
        let (saved, expected) = (
            std::format!("`{}` ({})", get(NETWORK_KEY), get(FINGERPRINT_KEY)),
            std::format!("`{}` ({})", short_name::<N>(), self.fingerprint()),
        );
        if saved != expected {
            return Err(CheckpointError::Network { path: path.into(), saved, expected });
        }
        if get(OPTIMIZER_KEY) != short_name::<O>() {
            let (saved, expected) = (get(OPTIMIZER_KEY), short_name::<O>());
            return Err(CheckpointError::Optimizer { path: path.into(), saved, expected });
        }
        let views = file.tensors();
        let mut tensors: Vec<_> = views.iter().map(|(n, v)| (n.as_str(), v.shape(), v.data())).collect();
        if meta.get(crate::model_file::CHECKSUM_KEY) != Some(&checksum(&mut tensors)) {
            return Err(CheckpointError::Checksum { path: path.into() });
        }
        // First pass: check every value; second pass: write them.
        let mut loader = Loader { file: &file, path, write: false, seen: HashSet::new(), error: None };
        self.visit(&mut loader);
        if let Some(error) = loader.error {
            return Err(error);
        }
        let mut names = file.names();
        names.sort_unstable();
        if let Some(extra) = names.into_iter().find(|name| !loader.seen.contains(*name)) {
            return Err(CheckpointError::Unexpected { path: path.into(), tensor: extra.to_string() });
        }
        loader.write = true;
        self.visit(&mut loader);
        debug_assert!(loader.error.is_none(), "the first pass checked every value");
        Ok(())
    }

    /// The network's type name is not enough (two networks may share one): FNV-1a over
    /// its tensor names and shapes, in visiting order.
    fn fingerprint(&mut self) -> String {
        let mut shapes = Shapes(Vec::new());
        let Model { net, params, state } = &mut *self.model;
        net.visit_tensors(params, state, &TensorPath::ROOT, &mut shapes);
        let mut entries: Vec<_> = shapes.0.iter().map(|(n, s)| (n.as_str(), s.as_slice(), &[][..])).collect();
        checksum(&mut entries)
    }

    /// Calls `v` with every value, under its name in the file.
    fn visit<V: Values>(&mut self, v: &mut V) {
        let Model { net, params, state } = &mut *self.model;
        net.visit_tensors(params, state, &TensorPath::ROOT.child("model"), &mut Tensors(v));
        // The rate is a hyperparameter to the optimizer, but schedules move it: running state.
        let mut lr = f64::from(self.optimizer.learning_rate());
        v.real("optimizer.lr", &mut lr);
        self.optimizer.set_learning_rate(lr as f32);
        self.optimizer.visit_state(&mut Prefixed("optimizer", v));
        self.workspace.visit_streams(self.model, &mut Streams(v));
        v.count("progress.epoch", &mut self.progress.epoch);
        v.count("progress.step", &mut self.progress.step);
        for (name, part) in &mut self.parts {
            part.visit_state(&mut Prefixed(name, v));
        }
    }
}

/// The short type name: `Adam` for `staticnet_core::optim::adam::Adam<crate::Net>`.
fn short_name<T: ?Sized>() -> String {
    let full = core::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base).to_string()
}

/// Every value of a checkpoint by its full name.
trait Values {
    fn buffer(&mut self, name: &str, shape: &[usize], values: &mut [f32]);
    /// A count from 0 to `max`.
    fn count_to(&mut self, name: &str, value: &mut u64, max: u64);
    fn real(&mut self, name: &str, value: &mut f64);

    fn count(&mut self, name: &str, value: &mut u64) {
        self.count_to(name, value, u64::MAX);
    }
}

struct Tensors<'v, V>(&'v mut V);

impl<V: Values> TensorVisitor for Tensors<'_, V> {
    fn tensor(&mut self, path: &TensorPath<'_>, shape: &[usize], data: &mut [f32]) {
        self.0.buffer(&path.to_string(), shape, data);
    }
    /// Layer counters (batch norm's) hold at most [`BatchCount::MAX`], as in model files.
    fn counter(&mut self, path: &TensorPath<'_>, value: &mut u64) {
        self.0.count_to(&path.to_string(), value, BatchCount::MAX);
    }
}

struct Streams<'v, V>(&'v mut V);

impl<V: Values> TensorVisitor for Streams<'_, V> {
    fn tensor(&mut self, path: &TensorPath<'_>, shape: &[usize], data: &mut [f32]) {
        self.0.buffer(&std::format!("rng.{path}"), shape, data);
    }
    fn counter(&mut self, path: &TensorPath<'_>, value: &mut u64) {
        self.0.count(&std::format!("rng.{path}"), value);
    }
}

struct Prefixed<'v, V>(&'static str, &'v mut V);

impl<V: Values> StateVisitor for Prefixed<'_, V> {
    fn buffer(&mut self, name: &str, values: &mut [f32]) {
        let len = values.len();
        self.1.buffer(&std::format!("{}.{name}", self.0), &[len], values);
    }
    fn count(&mut self, name: &str, value: &mut u64) {
        self.1.count(&std::format!("{}.{name}", self.0), value);
    }
    fn real(&mut self, name: &str, value: &mut f64) {
        self.1.real(&std::format!("{}.{name}", self.0), value);
    }
}

/// The names and shapes of a network's tensors (counters as `[]`).
struct Shapes(Vec<(String, Vec<usize>)>);

impl TensorVisitor for Shapes {
    fn tensor(&mut self, path: &TensorPath<'_>, shape: &[usize], _: &mut [f32]) {
        self.0.push((path.to_string(), shape.to_vec()));
    }
    fn counter(&mut self, path: &TensorPath<'_>, _: &mut u64) {
        self.0.push((path.to_string(), Vec::new()));
    }
}

/// Collects each value's name, type, shape and little-endian bytes.
struct Saver(Vec<(String, Dtype, Vec<usize>, Vec<u8>)>);

impl Values for Saver {
    fn buffer(&mut self, name: &str, shape: &[usize], values: &mut [f32]) {
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.0.push((name.to_string(), Dtype::F32, shape.to_vec(), bytes));
    }
    fn count_to(&mut self, name: &str, value: &mut u64, _: u64) {
        self.0.push((name.to_string(), Dtype::U64, Vec::new(), value.to_le_bytes().to_vec()));
    }
    fn real(&mut self, name: &str, value: &mut f64) {
        self.0.push((name.to_string(), Dtype::F64, Vec::new(), value.to_le_bytes().to_vec()));
    }
}

/// Checks each value against the file (`write == false`), or writes it (`write == true`,
/// after a first pass found no error).
struct Loader<'a, 'data> {
    file: &'a SafeTensors<'data>,
    path: &'a Path,
    write: bool,
    seen: HashSet<String>,
    error: Option<CheckpointError>,
}

impl Loader<'_, '_> {
    /// The bytes of `name` when it has `dtype` and `shape`, else records the error.
    fn bytes(&mut self, name: &str, dtype: Dtype, shape: &[usize]) -> Option<Vec<u8>> {
        self.seen.insert(name.to_string());
        if self.error.is_some() {
            return None;
        }
        let (path, tensor) = (self.path.to_path_buf(), name.to_string());
        match self.file.tensor(name) {
            Err(_) => self.error = Some(CheckpointError::Missing { path, tensor }),
            Ok(view) if view.dtype() != dtype || view.shape() != shape => {
                let expected = std::format!("{dtype:?} {shape:?}");
                self.error = Some(CheckpointError::Invalid { path, tensor, expected });
            }
            Ok(view) => return Some(view.data().to_vec()),
        }
        None
    }
}

impl Values for Loader<'_, '_> {
    fn buffer(&mut self, name: &str, shape: &[usize], values: &mut [f32]) {
        let Some(bytes) = self.bytes(name, Dtype::F32, shape) else { return };
        let read = bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        if self.write {
            values.iter_mut().zip(read).for_each(|(v, r)| *v = r);
        } else if !read.into_iter().all(f32::is_finite) {
            let (path, tensor) = (self.path.to_path_buf(), name.to_string());
            self.error = Some(CheckpointError::Invalid { path, tensor, expected: "finite values".into() });
        }
    }
    fn count_to(&mut self, name: &str, value: &mut u64, max: u64) {
        let Some(bytes) = self.bytes(name, Dtype::U64, &[]) else { return };
        let count = u64::from_le_bytes(core::array::from_fn(|i| bytes[i]));
        if self.write {
            *value = count;
        } else if count > max {
            let (path, tensor) = (self.path.to_path_buf(), name.to_string());
            self.error =
                Some(CheckpointError::Invalid { path, tensor, expected: std::format!("a count from 0 to {max}") });
        }
    }
    fn real(&mut self, name: &str, value: &mut f64) {
        if let Some(bytes) = self.bytes(name, Dtype::F64, &[]).filter(|_| self.write) {
            *value = f64::from_le_bytes(core::array::from_fn(|i| bytes[i]));
        }
    }
}
