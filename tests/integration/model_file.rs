//! Model files: safetensors with PyTorch's names and shapes, round trips, and one-line
//! errors for every way a file can be wrong.

use staticnet::model_file::ModelFileError;
use staticnet::prelude::*;
use staticnet::tensors::{TensorPath, TensorVisitor};
use std::path::PathBuf;

network! {
    struct Cnn {
        input: [1, 6, 6],
        conv1: Conv2d(2, kernel_size = 3),
        bn1: BatchNorm,
        act: Prelu,
        flat: Flatten,
        res: Residual { fc: Dense(32, 32), Tanh },
        fc: Dense(3),
    }
}

network! {
    struct Small {
        input: [4],
        fc1: Dense(8),
        Relu,
        fc2: Dense(2),
    }
}

network! {
    /// Same names as `Small`, another hidden width.
    struct Narrow {
        input: [4],
        fc1: Dense(6),
        Relu,
        fc2: Dense(2),
    }
}

fn temp_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("staticnet-model-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

struct Names(Vec<(String, Vec<usize>)>);

impl TensorVisitor for Names {
    fn tensor(&mut self, path: &TensorPath<'_>, shape: &[usize], data: &mut [f32]) {
        assert_eq!(data.len(), shape.iter().product::<usize>());
        self.0.push((path.to_string(), shape.to_vec()));
    }
}

#[test]
fn tensors_carry_pytorch_state_dict_names_and_shapes() {
    let mut model = Model::<Cnn>::new(0);
    let mut names = Names(Vec::new());
    let Model { net, params, state } = &mut model;
    net.visit_tensors(params, state, &TensorPath::ROOT, &mut names);
    let expected: Vec<(&str, Vec<usize>)> = vec![
        ("conv1.weight", vec![2, 1, 3, 3]),
        ("conv1.bias", vec![2]),
        ("bn1.weight", vec![2]),
        ("bn1.bias", vec![2]),
        ("bn1.running_mean", vec![2]),
        ("bn1.running_var", vec![2]),
        ("act.weight", vec![1]),
        ("res.fc.weight", vec![32, 32]),
        ("res.fc.bias", vec![32]),
        ("fc.weight", vec![3, 32]),
        ("fc.bias", vec![3]),
    ];
    let got: Vec<(&str, Vec<usize>)> = names.0.iter().map(|(n, s)| (n.as_str(), s.clone())).collect();
    assert_eq!(got, expected);
}

#[test]
fn a_saved_model_loads_back_exactly_with_its_running_statistics() {
    let mut model = Model::<Cnn>::new(1);
    let mut ws = Workspace::<Cnn, 4>::new();
    let x: Vec<[[[f32; 6]; 6]; 1]> = (0..4)
        .map(|r| [core::array::from_fn(|i| core::array::from_fn(|j| ((i * 6 + j + r) % 5) as f32 - 2.0))])
        .collect();
    for _ in 0..5 {
        ws.train_step(&mut model, &x, &[0, 1, 2, 0], &CrossEntropyLoss, &mut Sgd::new(0.1)).unwrap();
    }
    assert_ne!(model.state.bn1.running_var, [1.0, 1.0], "training moved the running statistics");
    let path = temp_file("cnn.safetensors");
    model.save(&path).unwrap();

    let mut loaded = Model::<Cnn>::new(2);
    assert_ne!(loaded.params.as_flat(), model.params.as_flat());
    loaded.load(&path).unwrap();
    assert_eq!(loaded.params.as_flat(), model.params.as_flat());
    assert_eq!(loaded.state.as_flat(), model.state.as_flat());
    let mut one = Workspace::<Cnn, 1>::new();
    let expected = *one.predict(&model, &x[3]);
    assert_eq!(*one.predict(&loaded, &x[3]), expected);
}

#[test]
fn a_file_of_another_shape_is_refused_with_the_tensor_and_both_shapes() {
    let path = temp_file("small.safetensors");
    Model::<Small>::new(0).save(&path).unwrap();
    let mut narrow = Model::<Narrow>::new(0);
    let before = narrow.params;
    let err = narrow.load(&path).unwrap_err();
    assert!(matches!(err, ModelFileError::Shape { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("{}: tensor `fc1.weight` has shape [8, 4] in the file, the network expects [6, 4]", path.display())
    );
    assert_eq!(narrow.params.as_flat(), before.as_flat(), "a failed load leaves the model unchanged");
}

#[test]
fn truncated_corrupt_missing_extra_and_non_finite_files_are_errors() {
    let small = Model::<Small>::new(0);
    let bytes = small.to_safetensors().unwrap();
    let mut model = Model::<Small>::new(5);
    let name = std::path::Path::new("model.safetensors");

    for cut in [0, 7, bytes.len() / 2, bytes.len() - 1] {
        let err = model.load_safetensors(&bytes[..cut], name).unwrap_err();
        assert!(matches!(err, ModelFileError::Format { .. }), "cut at {cut}: {err:?}");
        assert!(err.to_string().starts_with("model.safetensors: not a valid safetensors file"), "{err}");
    }
    let mut garbage = bytes.clone();
    garbage[8..16].copy_from_slice(b"notjson!");
    assert!(matches!(model.load_safetensors(&garbage, name), Err(ModelFileError::Format { .. })));

    // A file with one network's tensors loaded into a network with more or fewer of them.
    network! { struct OneLayer { input: [4], fc1: Dense(8) } }
    let one_layer = Model::<OneLayer>::new(0).to_safetensors().unwrap();
    let err = model.load_safetensors(&one_layer, name).unwrap_err();
    assert_eq!(err.to_string(), "model.safetensors: tensor `fc2.weight` of the network is missing");
    let err = Model::<OneLayer>::new(0).load_safetensors(&bytes, name).unwrap_err();
    assert_eq!(err.to_string(), "model.safetensors: tensor `fc2.bias` is not part of the network");

    let mut nan = Model::<Small>::new(0);
    nan.params.fc2.bias[1] = f32::NAN;
    let err = model.load_safetensors(&nan.to_safetensors().unwrap(), name).unwrap_err();
    assert_eq!(err.to_string(), "model.safetensors: tensor `fc2.bias` holds NaN or infinity");

    let missing = temp_file("no-such-dir/model.safetensors");
    assert!(matches!(small.save(&missing), Err(ModelFileError::Io { .. })));
    assert!(matches!(model.load(&missing), Err(ModelFileError::Io { .. })));
}
