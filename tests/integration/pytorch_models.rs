//! Model files that PyTorch wrote (`safetensors.torch.save_file(model.state_dict())`), loaded
//! unmodified: an MLP, a CNN with `BatchNorm2d`, a residual network with PReLU,
//! `BatchNorm2d` and `BatchNorm1d` inside blocks, and bidirectional GRU and LSTM layers
//! reading the digits row by row. Each matches PyTorch's eval-mode logits
//! on 200 MNIST test images, and saving it again writes what PyTorch's strict
//! `load_state_dict` expects: the same tensors, `num_batches_tracked` included, bit for bit.
//! The files and their README are in `tests/reference/pytorch_models/`.

use serde_json::Value;
use staticnet::data::{Mnist, read_idx_images, read_idx_labels};
use staticnet::flat::reshape;
use staticnet::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

network! {
    struct Mlp {
        input: [784],
        fc1: Dense(128),
        act1: Relu,
        fc2: Dense(10),
    }
}

network! {
    struct Cnn {
        input: [1, 28, 28],
        conv1: Conv2d(8, kernel_size = 3, padding = 1),
        bn1: BatchNorm,
        Relu,
        pool1: MaxPool2d(2),
        conv2: Conv2d(16, kernel_size = 3, padding = 1),
        bn2: BatchNorm,
        Relu,
        pool2: MaxPool2d(2),
        flat: Flatten,
        fc1: Dense(64),
        Relu,
        drop: Dropout(0.3),
        fc2: Dense(10),
    }
}

network! {
    struct ResNet {
        input: [1, 28, 28],
        stem: Conv2d(8, kernel_size = 3, padding = 1),
        Relu,
        pool1: MaxPool2d(2),
        block: Residual {
            conv: Conv2d(8, kernel_size = 3, padding = 1),
            bn: BatchNorm,
            act: Prelu,
            Conv2d(8, kernel_size = 3, padding = 1),
        },
        pool2: MaxPool2d(2),
        flat: Flatten,
        fc1: Dense(64),
        act: Prelu,
        Residual { fc: Dense(64), bn: BatchNorm, Relu },
        fc2: Dense(10),
    }
}

network! {
    struct RowsBidirectional {
        input: [28, 28],
        gru: Gru(16, return_sequences = true, bidirectional = true),
        lstm: Lstm(32, bidirectional = true),
        head: Dense(10),
    }
}

fn reference(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/pytorch_models").join(name)
}

fn json(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(reference(&format!("{name}.json"))).unwrap()).unwrap()
}

/// The bundled MNIST test images (scaled `v / 255`, as PyTorch's were) and labels.
fn test_images() -> (Vec<[f32; 784]>, Vec<u8>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
    let images = read_idx_images(Mnist::locate(&dir, Mnist::TEST_IMAGES).unwrap()).unwrap();
    let labels = read_idx_labels(Mnist::locate(&dir, Mnist::TEST_LABELS).unwrap()).unwrap();
    (images.to_samples::<784>().unwrap(), labels)
}

/// Every tensor of a safetensors file: name to (dtype, shape, data bytes).
fn tensors(bytes: &[u8]) -> BTreeMap<String, (String, Vec<u64>, Vec<u8>)> {
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: Value = serde_json::from_slice(&bytes[8..8 + len]).unwrap();
    let data = &bytes[8 + len..];
    let mut out = BTreeMap::new();
    for (name, t) in header.as_object().unwrap() {
        if name == "__metadata__" {
            continue;
        }
        let shape = t["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap()).collect();
        let offsets: Vec<usize> =
            t["data_offsets"].as_array().unwrap().iter().map(|o| o.as_u64().unwrap() as usize).collect();
        let dtype = t["dtype"].as_str().unwrap().to_string();
        out.insert(name.clone(), (dtype, shape, data[offsets[0]..offsets[1]].to_vec()));
    }
    out
}

/// Loads `<name>.safetensors` as PyTorch wrote it, checks the logits and argmax of the 200
/// reference images against PyTorch's, then saves the model and checks that the file
/// holds PyTorch's tensors exactly.
fn matches_pytorch<N, const B: usize>(name: &str, to_input: impl Fn(&[[f32; 784]]) -> &[N::Input]) -> Box<Model<N>>
where
    N: Layer<Output = [f32; 10]> + Default,
{
    let j = json(name);
    let path = reference(&format!("{name}.safetensors"));
    let mut model = Model::<N>::new_boxed(0);
    model.load(&path).unwrap_or_else(|e| panic!("{e}"));

    let (images, labels) = test_images();
    let indices: Vec<usize> = j["indices"].as_array().unwrap().iter().map(|i| i.as_u64().unwrap() as usize).collect();
    let rows: Vec<[f32; 784]> = indices.iter().map(|&i| images[i]).collect();
    let want_labels: Vec<u8> = j["labels"].as_array().unwrap().iter().map(|l| l.as_u64().unwrap() as u8).collect();
    assert_eq!(indices.iter().map(|&i| labels[i]).collect::<Vec<_>>(), want_labels, "{name}: same data file");

    let mut ws = Workspace::<N, B>::new_boxed();
    let mut worst = 0.0f32;
    for (chunk, start) in rows.chunks(B).zip((0..).step_by(B)) {
        let logits = ws.forward(&model, to_input(chunk), Mode::Eval).unwrap();
        for (r, got) in logits.iter().enumerate() {
            let want = &j["logits"][start + r];
            for (k, &g) in got.iter().enumerate() {
                let w = want[k].as_f64().unwrap() as f32;
                worst = worst.max((g - w).abs());
                assert!((g - w).abs() <= 1e-4, "{name}: row {}, logit {k}: {g} vs PyTorch's {w}", start + r);
            }
            assert_eq!(
                argmax(got) as u64,
                j["argmax"][start + r].as_u64().unwrap(),
                "{name}: argmax of row {}",
                start + r
            );
        }
    }
    assert!(worst > 0.0 || name == "mlp", "{name}: logits compared");

    // Saved again: PyTorch's tensors with their dtypes and shapes, values bit for bit.
    let saved = tensors(&model.to_safetensors().unwrap());
    let original = tensors(&std::fs::read(&path).unwrap());
    assert_eq!(saved, original, "{name}: the saved file holds exactly PyTorch's state_dict");
    let listed: Vec<(String, String)> = j["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap().to_string(), t["dtype"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(saved.len(), listed.len());
    for (tensor, dtype) in listed {
        let want = if dtype == "int64" { "I64" } else { "F32" };
        assert_eq!(saved[&tensor].0, want, "{name}: {tensor}");
    }
    model
}

#[test]
fn pytorch_mlp_file_matches_pytorch_logits() {
    matches_pytorch::<Mlp, 200>("mlp", |rows| rows);
}

#[test]
fn pytorch_cnn_file_with_num_batches_tracked_matches_pytorch_logits() {
    let model = matches_pytorch::<Cnn, 50>("cnn", reshape);
    assert_eq!(model.state.bn1.num_batches_tracked.get(), 470, "235 batches x 2 epochs, read from the file");
    assert_eq!(model.state.bn2.num_batches_tracked.get(), 470);
}

#[test]
fn pytorch_residual_file_matches_pytorch_logits() {
    let model = matches_pytorch::<ResNet, 50>("resnet", reshape);
    assert_eq!(model.state.block.bn.num_batches_tracked.get(), 470);
    assert_eq!(model.state.residual_9.bn.num_batches_tracked.get(), 470);
}

#[test]
fn pytorch_bidirectional_recurrent_file_matches_pytorch_logits() {
    let model = matches_pytorch::<RowsBidirectional, 50>("rows_bidirectional", reshape);
    assert_ne!(model.params.lstm.forward, model.params.lstm.reverse, "both directions read from the file");
}
