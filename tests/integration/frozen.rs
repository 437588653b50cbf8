//! Frozen layers (`#[frozen(weights = "file.safetensors")]`): weights read from a file at
//! compile time into a `static`, no parameters, gradients or optimizer state for them;
//! the same outputs and trainable gradients as the unfrozen network loaded from that file;
//! the input gradient through a frozen layer only when a trainable layer lies below.
//! The files are `tests/data/frozen_*.safetensors` (`tests/data/make_frozen.py`).

use staticnet::Flat;
use staticnet::prelude::*;

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/frozen_base.safetensors");
const PARTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/frozen_parts.safetensors");

network! {
    /// Every layer trains; its model file holds the weights the frozen networks read.
    struct Base {
        input: [1, 6, 6],
        conv: Conv2d(2, 3),
        Relu,
        Flatten,
        fc1: Dense(8),
        Relu,
        head: Dense(3),
    }
}

network! {
    /// `Base` with a frozen feature extractor: only the head trains.
    struct Tuned {
        input: [1, 6, 6],
        #[frozen(weights = "../data/frozen_base.safetensors")]
        conv: Conv2d(2, 3),
        Relu,
        Flatten,
        #[frozen(weights = "../data/frozen_base.safetensors")]
        fc1: Dense(8),
        Relu,
        head: Dense(3),
    }
}

network! {
    /// A frozen layer between two that train: its input gradient reaches `fc0`.
    struct Middle {
        input: [4],
        fc0: Dense(6),
        Tanh,
        #[frozen(weights = "../data/frozen_parts.safetensors", name = "mid")]
        fc1: Dense(5),
        Tanh,
        head: Dense(2),
    }
}

network! {
    /// `Middle` unfrozen.
    struct MiddleBase {
        input: [4],
        fc0: Dense(6),
        Tanh,
        fc1: Dense(5),
        Tanh,
        head: Dense(2),
    }
}

network! {
    /// A frozen Conv1d under a trainable head.
    struct Signal {
        input: [2, 8],
        #[frozen(weights = "../data/frozen_parts.safetensors", name = "sig")]
        conv: Conv1d(3, 3),
        Relu,
        Flatten,
        head: Dense(2),
    }
}

/// The values of tensor `name` of the fixture files.
fn tensor(name: &str) -> Vec<f32> {
    let file = if name.starts_with("mid.") || name.starts_with("sig.") { PARTS } else { FILE };
    let bytes = std::fs::read(file).unwrap();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + header_len]).unwrap();
    let entry = &header[header.find(&format!("\"{name}\"")).unwrap()..];
    let offsets = &entry[entry.find("data_offsets\":[").unwrap() + 15..];
    let offsets: Vec<usize> = offsets[..offsets.find(']').unwrap()].split(',').map(|v| v.parse().unwrap()).collect();
    let data = &bytes[8 + header_len + offsets[0]..8 + header_len + offsets[1]];
    data.chunks_exact(4).map(|v| f32::from_le_bytes(v.try_into().unwrap())).collect()
}

fn images(seed: u32) -> Vec<[[[f32; 6]; 6]; 1]> {
    (0..4)
        .map(|b| {
            let mut x = [[[0.0f32; 6]; 6]; 1];
            for (i, v) in x.as_flat_mut().iter_mut().enumerate() {
                *v = (((i as u32 * 37 + b * 11 + seed * 7) % 23) as f32 / 11.0) - 1.0;
            }
            x
        })
        .collect()
}

/// `Base` with the file's weights, and `Tuned` whose head has the same weights.
fn base_and_tuned() -> (Box<Model<Base>>, Box<Model<Tuned>>) {
    let mut base = Model::<Base>::new_boxed(0);
    base.load(FILE).unwrap();
    let mut tuned = Model::<Tuned>::new_boxed(0);
    tuned.params.head = base.params.head;
    (base, tuned)
}

#[test]
fn the_frozen_weights_are_the_files_and_not_part_of_the_model() {
    let tuned = Model::<Tuned>::new_boxed(0);
    assert_eq!(tuned.net.fc1.weights.params.weight.as_flat(), &tensor("fc1.weight")[..]);
    assert_eq!(tuned.net.fc1.weights.params.bias[..], tensor("fc1.bias")[..]);
    assert_eq!(tuned.net.conv.weights.params.weight.as_flat(), &tensor("conv.weight")[..]);
    // Only the head trains: 8 * 3 + 3 parameters, their gradients and Adam's two moments.
    assert_eq!(Tuned::PARAMS, 27);
    assert_eq!(core::mem::size_of::<<Tuned as Forward>::Params>(), 4 * 27);
    let line = |bytes: usize| bytes.next_multiple_of(staticnet::cache_line::BLOCK_ALIGN);
    assert_eq!(Adam::<Tuned>::STATE_BYTES, 2 * line(4 * 27));
    assert_eq!(Adam::<Base>::STATE_BYTES, 2 * line(4 * Base::PARAMS));
    // Tuned keeps neither the gradients of the frozen layers' parameters nor those of the
    // outputs under its head: Base's two gradient buffers hold 32 values a row (conv's
    // output), Tuned's none.
    let rest = |bytes: usize, params: usize| bytes - line(4 * params);
    assert_eq!(
        rest(Workspace::<Tuned, 4>::BYTES, Tuned::PARAMS) + 2 * 4 * 4 * 32,
        rest(Workspace::<Base, 4>::BYTES, Base::PARAMS),
    );
    const { assert!(!<Tuned as Layer>::INPUT_GRADIENT && <Middle as Layer>::INPUT_GRADIENT) };
    assert_eq!(<Tuned as Layer>::MAX_LAYER_PARAMS, 27);
    // The model file holds the head only.
    let dir = std::env::temp_dir().join(format!("staticnet-frozen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tuned.safetensors");
    tuned.save(&path).unwrap();
    let mut again = Model::<Tuned>::new_boxed(1);
    again.load(&path).unwrap();
    assert_eq!(again.params.head, tuned.params.head);
    assert!(Model::<Base>::new_boxed(0).load(&path).is_err(), "the file has no conv or fc1 tensors");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn outputs_and_head_gradients_are_the_unfrozen_networks() {
    let (mut base, mut tuned) = base_and_tuned();
    let x = images(1);
    let labels = [0usize, 2, 1, 2];
    let mut base_ws = Workspace::<Base, 4>::new_boxed();
    let mut tuned_ws = Workspace::<Tuned, 4>::new_boxed();
    let a = base_ws.forward(&base, &x, Mode::Eval).unwrap().to_vec();
    let b = tuned_ws.forward(&tuned, &x, Mode::Eval).unwrap().to_vec();
    assert_eq!(a, b);
    let la = base_ws.compute_gradients(&mut base, &x, &labels, &CrossEntropyLoss).unwrap();
    let lb = tuned_ws.compute_gradients(&mut tuned, &x, &labels, &CrossEntropyLoss).unwrap();
    assert_eq!(la, lb);
    assert_eq!(base_ws.grads().head, tuned_ws.grads().head);
}

#[test]
fn training_changes_the_head_only_and_fused_is_the_same() {
    let (_, mut tuned) = base_and_tuned();
    let mut fused_model = Model::<Tuned>::new_boxed(0);
    fused_model.params = tuned.params;
    let before = tensor("fc1.weight");
    let mut ws = Workspace::<Tuned, 4>::new_boxed();
    let mut fused = FusedWorkspace::<Tuned, 4>::new_boxed();
    let mut adam = Adam::<Tuned>::new_boxed(1e-2);
    let mut fused_adam = Adam::<Tuned>::new_boxed(1e-2);
    let (x, labels) = (images(0), [1usize, 0, 2, 2]);
    let mut losses = Vec::new();
    for _ in 0..30 {
        losses.push(ws.train_step(&mut tuned, &x, &labels, &CrossEntropyLoss, adam.as_mut()).unwrap());
        fused.train_step(&mut fused_model, &x, &labels, &CrossEntropyLoss, fused_adam.as_mut()).unwrap();
    }
    let (first, last) = (losses[0], losses[29]);
    assert!(last < first * 0.8, "the head learns: loss {first} -> {last}");
    assert_eq!(tuned.net.fc1.weights.params.weight.as_flat(), &before[..]);
    assert_eq!(fused_model.params.head, tuned.params.head, "fused training is the unfused, bit for bit");
}

#[test]
fn a_frozen_layer_passes_the_input_gradient_to_the_layers_below() {
    let mut base = Model::<MiddleBase>::new_boxed(3);
    let mut middle = Model::<Middle>::new_boxed(3);
    base.params.fc1.weight.as_flat_mut().copy_from_slice(&tensor("mid.weight"));
    base.params.fc1.bias.copy_from_slice(&tensor("mid.bias"));
    middle.params.fc0 = base.params.fc0;
    middle.params.head = base.params.head;
    let x: Vec<[f32; 4]> = (0..3).map(|b| core::array::from_fn(|i| (b * 4 + i) as f32 * 0.3 - 1.5)).collect();
    let y = [[0.5f32, -1.0], [0.0, 1.0], [2.0, 0.5]];
    let mut base_ws = Workspace::<MiddleBase, 3>::new_boxed();
    let mut ws = Workspace::<Middle, 3>::new_boxed();
    let loss = ws.compute_gradients(&mut middle, &x, &y, &MseLoss).unwrap();
    base_ws.compute_gradients(&mut base, &x, &y, &MseLoss).unwrap();
    assert_eq!(ws.grads().fc0, base_ws.grads().fc0);
    assert_eq!(ws.grads().head, base_ws.grads().head);
    assert!(ws.grads().fc0.weight.as_flat().iter().any(|g| *g != 0.0));

    // And against central differences of the loss in f64-accumulated f32.
    let h = 1e-3f32;
    let analytic = *ws.grads();
    for i in (0..Middle::PARAMS).step_by(5) {
        let mut plus = Model::<Middle>::new_boxed(3);
        plus.params = middle.params;
        plus.params.as_flat_mut()[i] += h;
        let up = ws.compute_gradients(&mut plus, &x, &y, &MseLoss).unwrap();
        plus.params.as_flat_mut()[i] -= 2.0 * h;
        let down = ws.compute_gradients(&mut plus, &x, &y, &MseLoss).unwrap();
        let numeric = (up - down) / (2.0 * h);
        let a = analytic.as_flat()[i];
        assert!((numeric - a).abs() < 2e-3 * (1.0 + a.abs()), "parameter {i}: {numeric} vs {a} (loss {loss})");
    }
}

#[test]
fn a_frozen_conv1d_runs_as_its_unfrozen_self() {
    let model = Model::<Signal>::new_boxed(0);
    assert_eq!(Signal::PARAMS, 3 * 6 * 2 + 2);
    let conv = &model.net.conv;
    assert_eq!(conv.weights.params.weight.as_flat(), &tensor("sig.weight")[..]);
    let x: [[f32; 8]; 2] = core::array::from_fn(|c| core::array::from_fn(|l| (c * 8 + l) as f32 * 0.1 - 0.7));
    let mut ws = Workspace::<Signal, 1>::new_boxed();
    let got = ws.forward(&model, &[x], Mode::Eval).unwrap()[0];
    // By hand: conv (no padding, 6 outputs), ReLU, the head.
    let mut features = [0.0f32; 18];
    for o in 0..3 {
        for j in 0..6 {
            let mut v = conv.weights.params.bias[o];
            for (weight, x) in conv.weights.params.weight[o].iter().zip(&x) {
                v += weight.iter().zip(&x[j..j + 3]).map(|(w, x)| w * x).sum::<f32>();
            }
            features[o * 6 + j] = v.max(0.0);
        }
    }
    for (k, g) in got.iter().enumerate() {
        let want: f32 = model.params.head.bias[k]
            + features.iter().zip(&model.params.head.weight[k]).map(|(a, w)| a * w).sum::<f32>();
        assert!((g - want).abs() < 1e-5, "{g} vs {want}");
    }
}

network! {
    /// `Tuned`'s frozen features as a network of their own, with a trainable layer on top.
    pub struct Features {
        input: [1, 6, 6],
        #[frozen(weights = "../data/frozen_base.safetensors")]
        conv: Conv2d(2, 3),
        Relu,
        Flatten,
        #[frozen(weights = "../data/frozen_base.safetensors")]
        fc1: Dense(8),
        Relu,
    }
}

network! {
    /// A network that gives no input gradient, nested at the bottom: allowed.
    struct Stacked {
        input: [1, 6, 6],
        features: Features,
        head: Dense(3),
    }
}

#[test]
fn a_frozen_network_nests_under_trainable_layers() {
    const { assert!(!<Features as Layer>::INPUT_GRADIENT && !<Stacked as Layer>::INPUT_GRADIENT) };
    let (mut base, _) = base_and_tuned();
    let mut stacked = Model::<Stacked>::new_boxed(0);
    stacked.params.head = base.params.head;
    assert_eq!(Stacked::PARAMS, 27);
    let (x, labels) = (images(2), [2usize, 1, 0, 0]);
    let mut base_ws = Workspace::<Base, 4>::new_boxed();
    let mut ws = Workspace::<Stacked, 4>::new_boxed();
    let a = base_ws.compute_gradients(&mut base, &x, &labels, &CrossEntropyLoss).unwrap();
    let b = ws.compute_gradients(&mut stacked, &x, &labels, &CrossEntropyLoss).unwrap();
    assert_eq!(a, b);
    assert_eq!(base_ws.grads().head, ws.grads().head);
}
