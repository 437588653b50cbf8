//! `#[frozen(weights = "file.safetensors")]`: reads the layer's weights from the file at
//! compile time and checks them against the layer's shapes, with the messages of
//! `Model::load`.

use crate::ast::FrozenDecl;
use crate::desc::{self, Kind, Width};
use safetensors::{Dtype, SafeTensors};
use std::path::PathBuf;

/// The frozen weights of layer `field` of kind `kind`, as found in the declared file.
pub fn check(decl: &FrozenDecl, field: &str, kind: &Kind) -> syn::Result<desc::Frozen> {
    let err = |message: String| syn::Error::new(decl.weights.span(), message);
    let tensors = expected(kind).ok_or_else(|| {
        syn::Error::new(decl.span, format!("`{field}` cannot be frozen: frozen layers are Dense, Conv1d and Conv2d"))
    })?;
    let written = decl.weights.value();
    let path = source_dir(decl).join(&written);
    let bytes = std::fs::read(&path).map_err(|e| err(format!("{written}: {e}")))?;
    let file =
        SafeTensors::deserialize(&bytes).map_err(|e| err(format!("{written}: not a valid safetensors file: {e}")))?;
    let prefix = decl.name.as_ref().map_or_else(|| field.to_string(), |n| n.value());
    let mut segments = Vec::new();
    for (name, shape) in tensors {
        let tensor = format!("{prefix}.{name}");
        let view =
            file.tensor(&tensor).map_err(|_| err(format!("{written}: tensor `{tensor}` of the network is missing")))?;
        if view.dtype() != Dtype::F32 {
            return Err(err(format!("{written}: tensor `{tensor}` is {:?}, expected F32", view.dtype())));
        }
        if view.shape() != shape.as_slice() {
            return Err(err(format!(
                "{written}: tensor `{tensor}` has shape {:?} in the file, the network expects {shape:?}",
                view.shape()
            )));
        }
        let data = view.data();
        if data.chunks_exact(4).any(|v| !f32::from_le_bytes([v[0], v[1], v[2], v[3]]).is_finite()) {
            return Err(err(format!("{written}: tensor `{tensor}` holds NaN or infinity")));
        }
        let offset = data.as_ptr() as usize - bytes.as_ptr() as usize;
        segments.push((offset, data.len() / 4));
    }
    // Absolute, since `include_bytes!` reads a relative path from the file it is in.
    let absolute = path.canonicalize().map_err(|e| err(format!("{written}: {e}")))?;
    let file = absolute.to_str().ok_or_else(|| err(format!("{written}: the path is not UTF-8")))?.to_string();
    Ok(desc::Frozen { file, segments })
}

/// Where a relative path in the declaration starts, as for `include_bytes!`: the folder of
/// the source file holding it (the crate's root when the compiler does not say).
fn source_dir(decl: &FrozenDecl) -> PathBuf {
    let file = proc_macro::is_available().then(|| decl.weights.span().unwrap().local_file()).flatten();
    match file.as_deref().and_then(std::path::Path::parent) {
        Some(dir) => dir.to_path_buf(),
        None => std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from).unwrap_or_default(),
    }
}

/// The tensors of a layer that can be frozen, in the order of its parameter block, with
/// PyTorch's names and shapes; `None` for the others.
fn expected(kind: &Kind) -> Option<Vec<(&'static str, Vec<usize>)>> {
    let (weight, bias) = match kind {
        Kind::Dense(desc::Dense { inputs: Width::Known(i), outputs, .. }) => (vec![*outputs, *i], *outputs),
        Kind::Conv2d(c) => (vec![c.output[0], c.input[0], c.kernel[0], c.kernel[1]], c.output[0]),
        Kind::Conv1d(c) => (vec![c.output[0], c.input[0], c.kernel], c.output[0]),
        _ => return None,
    };
    Some(vec![("weight", weight), ("bias", vec![bias])])
}
