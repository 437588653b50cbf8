//! Saving and loading an ensemble as one safetensors file (std only).
//!
//! Member `k`'s tensors are named as a model file names them, under `member{k}`
//! (`member3.fc1.weight`); the `__metadata__` holds the member count
//! ([`ENSEMBLE_MEMBERS_KEY`]), the combination rule ([`ENSEMBLE_VOTING_KEY`]) and the
//! checksum of every tensor ([`CHECKSUM_KEY`](crate::model_file::CHECKSUM_KEY)), written and
//! checked by the model file's code. PyTorch reads such a file as a `state_dict` whose
//! keys carry the member prefix.

use std::collections::{HashMap, HashSet};
use std::format;
use std::path::Path;
use std::string::{String, ToString};
use std::vec::Vec;

use super::{Ensemble, Voting};
use crate::flat::Flat;
use crate::io::write_atomic;
use crate::layer::Layer;
use crate::model_file::{ModelFileError, Tensors, check_no_extra, open, read_tensors};
use crate::tensors::TensorPath;

/// The `__metadata__` key of an ensemble file's member count, in decimal.
pub const ENSEMBLE_MEMBERS_KEY: &str = "staticnet.ensemble.members";

/// The `__metadata__` key of an ensemble file's combination rule ([`Voting::name`]).
pub const ENSEMBLE_VOTING_KEY: &str = "staticnet.ensemble.voting";

impl<N: Layer, const K: usize> Ensemble<N, K> {
    /// Writes every member's tensors, the member count and the rule to `path` as one
    /// safetensors file, atomically (a temporary file renamed over `path`).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), ModelFileError> {
        let path = path.as_ref();
        let bytes = self.to_safetensors().map_err(|message| ModelFileError::Format { path: path.into(), message })?;
        write_atomic(path, &bytes).map_err(|source| ModelFileError::Io { path: path.into(), source })
    }

    /// The ensemble as the bytes of a safetensors file.
    pub fn to_safetensors(&self) -> Result<Vec<u8>, String> {
        let mut tensors = Tensors::new();
        for (k, member) in self.members.iter().enumerate() {
            let name = format!("member{k}");
            tensors.collect(member, &TensorPath::ROOT.child(&name));
        }
        let metadata = HashMap::from([
            (ENSEMBLE_MEMBERS_KEY.to_string(), K.to_string()),
            (ENSEMBLE_VOTING_KEY.to_string(), self.voting.name().to_string()),
        ]);
        tensors.serialize(metadata)
    }

    /// Reads an ensemble saved by [`Ensemble::save`]: the file must have a valid checksum
    /// (when it has one), `K` members, a known rule, and exactly the tensors of `K`
    /// members of `N`, as [`Model::load`](crate::Model::load) requires of one. On any
    /// error the ensemble is left unchanged and the one-line error names the file.
    pub fn load(&mut self, path: impl AsRef<Path>) -> Result<(), ModelFileError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| ModelFileError::Io { path: path.into(), source })?;
        self.load_safetensors(&bytes, path)
    }

    /// [`Ensemble::load`] from the bytes of a file; `path` only names it in errors.
    pub fn load_safetensors(&mut self, bytes: &[u8], path: &Path) -> Result<(), ModelFileError> {
        let (file, metadata) = open(bytes, path)?;
        let found = metadata.get(ENSEMBLE_MEMBERS_KEY);
        if found.and_then(|n| n.parse::<usize>().ok()) != Some(K) {
            return Err(ModelFileError::Members { path: path.into(), found: found.cloned(), expected: K });
        }
        let voting = metadata.get(ENSEMBLE_VOTING_KEY).map(String::as_str).unwrap_or("");
        let voting = Voting::from_name(voting)
            .ok_or_else(|| ModelFileError::Voting { path: path.into(), found: voting.into() })?;
        let mut seen = HashSet::new();
        let mut read = Vec::with_capacity(K);
        for (k, member) in self.members.iter().enumerate() {
            let name = format!("member{k}");
            read.push(read_tensors(member, &file, &TensorPath::ROOT.child(&name), path, &mut seen)?);
        }
        check_no_extra(&file, &seen, path)?;
        for (member, (params, state)) in self.members.iter_mut().zip(read) {
            member.params.as_flat_mut().copy_from_slice(params.as_flat());
            member.state.as_flat_mut().copy_from_slice(state.as_flat());
        }
        self.voting = voting;
        Ok(())
    }
}
