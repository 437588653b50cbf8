//! Model files carry a checksum of their tensors: one flipped byte in the weights is an
//! error that names the file; files without a checksum (PyTorch's) still load.

use staticnet::model_file::{CHECKSUM_KEY, ModelFileError};
use staticnet::prelude::*;
use std::path::{Path, PathBuf};

network! {
    struct Small {
        input: [4],
        fc1: Dense(8),
        Relu,
        fc2: Dense(2),
    }
}

network! {
    /// PyTorch's 784-128-10 MLP of the reference files.
    struct Mlp {
        input: [784],
        fc1: Dense(128),
        Relu,
        fc2: Dense(10),
    }
}

fn temp_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("staticnet-checksum-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Where the tensor data starts: after the 8-byte header length and the JSON header.
fn data_start(bytes: &[u8]) -> usize {
    8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize
}

#[test]
fn saved_files_carry_a_checksum_and_load() {
    let path = temp_file("small.safetensors");
    let model = Model::<Small>::new(3);
    model.save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let header = std::str::from_utf8(&bytes[8..data_start(&bytes)]).unwrap();
    assert!(header.contains(CHECKSUM_KEY) && header.contains("fnv1a64:"), "{header}");
    let mut loaded = Model::<Small>::new(0);
    loaded.load(&path).unwrap();
    assert_eq!(loaded.params.as_flat(), model.params.as_flat());
}

#[test]
fn a_flipped_bit_in_the_weights_is_an_error_naming_the_file() {
    let path = temp_file("flipped.safetensors");
    let model = Model::<Small>::new(3);
    model.save(&path).unwrap();
    let clean = std::fs::read(&path).unwrap();
    let start = data_start(&clean);
    // Every data byte, one bit each (a low mantissa bit too, which stays a finite weight).
    for (offset, bit) in (start..clean.len()).zip([0u8, 3, 7].into_iter().cycle()) {
        let mut bytes = clean.clone();
        bytes[offset] ^= 1 << bit;
        std::fs::write(&path, &bytes).unwrap();
        let mut loaded = Model::<Small>::new(0);
        let before = loaded.params.as_flat().to_vec();
        let err = loaded.load(&path).unwrap_err();
        assert!(matches!(err, ModelFileError::Checksum { .. } | ModelFileError::NonFinite { .. }), "{err}");
        assert!(err.to_string().starts_with(&format!("{}: ", path.display())), "{err}");
        assert_eq!(loaded.params.as_flat(), &before[..], "the model is unchanged");
        if matches!(err, ModelFileError::Checksum { .. }) {
            assert!(err.to_string().contains(": corrupt: the tensors hash to fnv1a64:"), "{err}");
        }
    }
    // A flip in the checksum itself is caught too.
    let text = String::from_utf8_lossy(&clean[..start]).into_owned();
    let digit = text.find("fnv1a64:").unwrap() + "fnv1a64:".len();
    let mut bytes = clean.clone();
    bytes[digit] = if bytes[digit] == b'0' { b'1' } else { b'0' };
    assert!(matches!(
        Model::<Small>::new(0).load_safetensors(&bytes, Path::new("x")),
        Err(ModelFileError::Checksum { .. })
    ));
}

/// A file written without `__metadata__`, as PyTorch's `save_file(state_dict)` writes it.
#[test]
fn files_without_a_checksum_still_load() {
    // PyTorch's own file (tests/reference/pytorch_models/README.md).
    let reference = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/pytorch_models/mlp.safetensors");
    let bytes = std::fs::read(&reference).unwrap();
    let header = String::from_utf8_lossy(&bytes[8..data_start(&bytes)]).into_owned();
    assert!(!header.contains(CHECKSUM_KEY));
    let mut mlp = Model::<Mlp>::new_boxed(0);
    mlp.load(&reference).unwrap();
    assert_ne!(mlp.params.fc1.weight[0], Model::<Mlp>::new_boxed(0).params.fc1.weight[0]);
    // Rewrite a saved file without its metadata: the same tensors load.
    let model = Model::<Small>::new(5);
    let bytes = model.to_safetensors().unwrap();
    let start = data_start(&bytes);
    let header = std::str::from_utf8(&bytes[8..start]).unwrap();
    let meta = header.find("\"__metadata__\"").unwrap();
    let end = meta + header[meta..].find('}').unwrap() + 1;
    let mut stripped = header[..meta].to_string() + &header[end..];
    stripped = stripped.replace("{,", "{").replace(",}", "}");
    while !stripped.len().is_multiple_of(8) {
        stripped.push(' ');
    }
    let mut plain = (stripped.len() as u64).to_le_bytes().to_vec();
    plain.extend_from_slice(stripped.as_bytes());
    plain.extend_from_slice(&bytes[start..]);
    let mut loaded = Model::<Small>::new(0);
    loaded.load_safetensors(&plain, Path::new("plain.safetensors")).unwrap();
    assert_eq!(loaded.params.as_flat(), model.params.as_flat());
}
