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

/// A safetensors file of `tensors` (name, dtype, shape, little-endian data), without
/// metadata, as PyTorch's `save_file` writes one.
fn safetensors_file(tensors: &[(String, &str, Vec<usize>, Vec<u8>)]) -> Vec<u8> {
    let (mut header, mut data) = (Vec::new(), Vec::new());
    for (name, dtype, shape, bytes) in tensors {
        let (start, end) = (data.len(), data.len() + bytes.len());
        header
            .push(format!("\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape:?},\"data_offsets\":[{start},{end}]}}"));
        data.extend_from_slice(bytes);
    }
    let mut header = format!("{{{}}}", header.join(","));
    while !header.len().is_multiple_of(8) {
        header.push(' ');
    }
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend_from_slice(header.as_bytes());
    file.extend_from_slice(&data);
    file
}

struct Collect(Vec<(String, &'static str, Vec<usize>, Vec<u8>)>);

impl TensorVisitor for Collect {
    fn tensor(&mut self, path: &TensorPath<'_>, shape: &[usize], data: &mut [f32]) {
        self.0.push((path.to_string(), "F32", shape.to_vec(), data.iter().flat_map(|v| v.to_le_bytes()).collect()));
    }
    fn counter(&mut self, path: &TensorPath<'_>, value: &mut u64) {
        self.0.push((path.to_string(), "I64", vec![], (*value as i64).to_le_bytes().to_vec()));
    }
}

#[test]
fn num_batches_tracked_is_an_int64_scalar_that_loads_back_and_may_be_absent() {
    let mut model = Model::<Cnn>::new(1);
    let mut ws = Workspace::<Cnn, 2>::new();
    let x = [[[[0.5f32; 6]; 6]], [[[-0.5f32; 6]; 6]]];
    for _ in 0..3 {
        ws.train_step(&mut model, &x, &[0, 1], &CrossEntropyLoss, &mut Sgd::new(0.1)).unwrap();
    }
    assert_eq!(model.state.bn1.num_batches_tracked.get(), 3, "one count per training pass");
    let mut all = Collect(Vec::new());
    let Model { net, params, state } = &mut model.clone();
    net.visit_tensors(params, state, &TensorPath::ROOT, &mut all);
    let counter = all.0.iter().position(|t| t.0 == "bn1.num_batches_tracked").unwrap();
    assert_eq!((all.0[counter].1, all.0[counter].2.len()), ("I64", 0));

    let name = std::path::Path::new("pt.safetensors");
    let mut loaded = Model::<Cnn>::new(2);
    loaded.load_safetensors(&safetensors_file(&all.0), name).unwrap();
    assert_eq!(loaded.state.as_flat(), model.state.as_flat());

    // Without the counter (older files): loads, and the count stays what it was.
    let mut without = all.0.clone();
    without.remove(counter);
    let mut fresh = Model::<Cnn>::new(2);
    fresh.state.bn1.num_batches_tracked = staticnet::layers::BatchCount::new(9).unwrap();
    fresh.load_safetensors(&safetensors_file(&without), name).unwrap();
    assert_eq!(fresh.state.bn1.num_batches_tracked.get(), 9);
    assert_eq!(fresh.state.bn1.running_mean, model.state.bn1.running_mean);

    // A wrong dtype, shape or value is a one-line error and changes nothing.
    let wrong = |dtype: &'static str, shape: Vec<usize>, bytes: Vec<u8>| {
        let mut file = all.0.clone();
        file[counter] = ("bn1.num_batches_tracked".into(), dtype, shape, bytes);
        let mut target = Model::<Cnn>::new(3);
        let before = target.state.as_flat().to_vec();
        let err = target.load_safetensors(&safetensors_file(&file), name).unwrap_err().to_string();
        assert_eq!(target.state.as_flat(), &before[..]);
        err
    };
    assert_eq!(
        wrong("F32", vec![], 3.0f32.to_le_bytes().to_vec()),
        "pt.safetensors: tensor `bn1.num_batches_tracked` is F32, expected I64"
    );
    assert_eq!(
        wrong("I64", vec![1], 3i64.to_le_bytes().to_vec()),
        "pt.safetensors: tensor `bn1.num_batches_tracked` has shape [1] in the file, the network expects []"
    );
    assert_eq!(
        wrong("I64", vec![], (-1i64).to_le_bytes().to_vec()),
        "pt.safetensors: counter `bn1.num_batches_tracked` is -1, expected 0 to 281474976710655"
    );
}

#[test]
fn per_channel_prelu_has_one_slope_per_channel() {
    network! {
        struct PerChannel {
            input: [3, 4, 4],
            act: PReLU(num_parameters = 3, init = 0.1),
            flat: Flatten,
            fc: Dense(2),
        }
    }
    let mut model = Model::<PerChannel>::new(0);
    assert_eq!(model.params.act, [0.1; 3]);
    let mut names = Names(Vec::new());
    let Model { net, params, state } = &mut model;
    net.visit_tensors(params, state, &TensorPath::ROOT, &mut names);
    assert_eq!(names.0[0], ("act.weight".to_string(), vec![3]));
    model.params.act = [0.1, -0.2, 0.3];
    let mut x = [[[0.0f32; 4]; 4]; 3];
    x[1] = [[-1.0; 4]; 4];
    let mut ws = Workspace::<PerChannel, 1>::new();
    ws.compute_gradients(&mut model, &[x], &[1], &CrossEntropyLoss).unwrap();
    let g = ws.grads().act;
    assert!(g[0] == 0.0 && g[2] == 0.0 && g[1] != 0.0, "only channel 1 saw negative inputs: {g:?}");
}
