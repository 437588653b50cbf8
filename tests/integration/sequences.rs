//! Recurrent layers in `network!`: sequence inputs `[steps, features]`, stacking with
//! `return_sequences = true`, PyTorch's `bidirectional = true`, the shapes and PyTorch
//! parameter names the macro gives them, gradients of whole recurrent networks against
//! finite differences, and a short training run that learns a sequence task. Also the 1-d
//! layers on signals `[channels, length]` (`Conv1d`, `MaxPool1d`, `AvgPool1d`) in
//! `network!`.

use staticnet::layers::{AvgPool1d, Bidirectional, Conv1d, MaxPool1d};
use staticnet::prelude::*;
use staticnet::tensors::{TensorPath, TensorVisitor};

network! {
    /// A GRU returning every step, stacked under an LSTM returning the last, and a head.
    struct Stacked {
        input: [6, 3],
        gru: Gru(5, return_sequences = true),
        lstm: Lstm(4),
        out: Dense(2),
    }
}

network! {
    /// A relu RNN returning every step, flattened into a head.
    struct Unrolled {
        input: [4, 2],
        rnn: Rnn(3, nonlinearity = relu, return_sequences = true),
        Flatten,
        out: Dense(2),
    }
}

network! {
    /// PyTorch's `bidirectional=True`: a bidirectional GRU returning every step (`[6, 2·5]`)
    /// under a bidirectional tanh RNN returning both final states (`[2·3]`).
    struct BothWays {
        input: [6, 3],
        gru: Gru(5, return_sequences = true, bidirectional = true),
        rnn: Rnn(3, bidirectional = true),
        out: Dense(2),
    }
}

network! {
    /// A padded, dilated Conv1d, max pooling, a strided Conv1d, average pooling, a head.
    struct Signal {
        input: [2, 12],
        conv1: Conv1d(3, kernel_size = 3, padding = 2, dilation = 2), // [3, 12]
        Tanh,
        pool1: MaxPool1d(2),                                           // [3, 6]
        conv2: Conv1d(4, 3, stride = 2),                               // [4, 2]
        pool2: AvgPool1d(2),                                           // [4, 1]
        Flatten,
        out: Dense(2),
    }
}

/// Collects every tensor's name and shape.
struct Names(Vec<(String, Vec<usize>)>);

impl TensorVisitor for Names {
    fn tensor(&mut self, path: &TensorPath<'_>, shape: &[usize], _: &mut [f32]) {
        self.0.push((path.to_string(), shape.to_vec()));
    }
}

#[test]
fn recurrent_layers_have_pytorch_names_shapes_and_types() {
    let mut model = Model::<Stacked>::new(0);
    let mut names = Names(Vec::new());
    let Model { net, params, state } = &mut model;
    net.visit_tensors(params, state, &TensorPath::ROOT, &mut names);
    let expected: Vec<(String, Vec<usize>)> = [
        ("gru.weight_ih_l0", vec![15, 3]),
        ("gru.weight_hh_l0", vec![15, 5]),
        ("gru.bias_ih_l0", vec![15]),
        ("gru.bias_hh_l0", vec![15]),
        ("lstm.weight_ih_l0", vec![16, 5]),
        ("lstm.weight_hh_l0", vec![16, 4]),
        ("lstm.bias_ih_l0", vec![16]),
        ("lstm.bias_hh_l0", vec![16]),
        ("out.weight", vec![2, 4]),
        ("out.bias", vec![2]),
    ]
    .into_iter()
    .map(|(n, s)| (n.to_string(), s))
    .collect();
    assert_eq!(names.0, expected);
    // The layers' types: every step out of the GRU, the last step out of the LSTM.
    let _: &Gru<6, 3, 5, Sequence> = &model.net.gru;
    let _: &Lstm<6, 5, 4, LastStep> = &model.net.lstm;
    let _: &Rnn<4, 2, 3, Sequence> = &Model::<Unrolled>::new(0).net.rnn;
    assert_eq!(Model::<Unrolled>::new(0).net.rnn.nonlinearity, RnnNonlinearity::Relu);
    // PyTorch's initial range, U(-1/sqrt(H), 1/sqrt(H)).
    assert!(model.params.gru.weight_hh.as_flat().iter().all(|w| w.abs() <= 1.0 / 5f32.sqrt()));
}

/// `sum(output * g)`.
fn objective<N: Layer<Output = [f32; 2]>>(model: &Model<N>, x: &[N::Input], g: &[[f32; 2]]) -> f64 {
    let mut ws = Workspace::<N, 3>::new_boxed();
    let out = ws.forward(model, x, Mode::Eval).unwrap();
    out.iter().zip(g).flat_map(|(o, g)| o.iter().zip(g)).map(|(o, g)| (*o as f64) * (*g as f64)).sum()
}

/// The gradients of a whole network, through the generated backward pass, against central
/// differences.
fn check_network<N: Layer<Output = [f32; 2]> + Default + Clone>(what: &str, x: &[N::Input]) {
    let model = Model::<N>::new(7);
    let g = &[[0.5, -1.0], [1.5, 0.2], [-0.3, 0.9]][..x.len()];
    let mut cache = staticnet::flat::boxed_zeroed::<N::Cache<3>>();
    let mut y = vec![[0.0f32; 2]; x.len()];
    model.net.forward::<3>(&model.params, &model.state, x, &mut y, &mut cache, Mode::Train);
    let mut grads = N::Params::zeroed();
    let mut dx = vec![N::Input::zeroed(); x.len()];
    model.net.backward::<3>(&model.params, x, &y, g, &mut cache, Some(&mut dx), &mut grads, GradMode::Overwrite);

    let eps = 1e-2f32;
    let close = |a: f64, n: f64| (n - a).abs() < 2e-3 + 2e-2 * n.abs();
    for i in 0..N::PARAMS {
        let (mut plus, mut minus) = (model.clone(), model.clone());
        plus.params.as_flat_mut()[i] += eps;
        minus.params.as_flat_mut()[i] -= eps;
        let numeric = (objective(&plus, x, g) - objective(&minus, x, g)) / (2.0 * eps as f64);
        let analytic = grads.as_flat()[i] as f64;
        assert!(close(analytic, numeric), "{what}: param {i}: {analytic} vs {numeric}");
    }
    for (r, dx_r) in dx.iter().enumerate() {
        for (k, &analytic) in dx_r.as_flat().iter().enumerate() {
            let (mut xp, mut xm) = (x.to_vec(), x.to_vec());
            xp[r].as_flat_mut()[k] += eps;
            xm[r].as_flat_mut()[k] -= eps;
            let numeric = (objective(&model, &xp, g) - objective(&model, &xm, g)) / (2.0 * eps as f64);
            assert!(close(analytic as f64, numeric), "{what}: dx[{r}][{k}]: {analytic} vs {numeric}");
        }
    }
}

/// Deterministic values in [-1, 1].
fn sequences<T: Flat>(rows: usize) -> Vec<T> {
    let mut x = vec![T::zeroed(); rows];
    for (i, v) in staticnet::flat::flatten_mut(&mut x).iter_mut().enumerate() {
        *v = ((i * 37 + 11) as f32 * 0.61).sin();
    }
    x
}

#[test]
fn bidirectional_layers_have_pytorch_names_shapes_and_types() {
    let mut model = Model::<BothWays>::new(0);
    let mut names = Names(Vec::new());
    let Model { net, params, state } = &mut model;
    net.visit_tensors(params, state, &TensorPath::ROOT, &mut names);
    let mut expected = Vec::new();
    for (layer, gates_h, f, h) in [("gru", 15, 3, 5), ("rnn", 3, 10, 3)] {
        for suffix in ["", "_reverse"] {
            expected.push((format!("{layer}.weight_ih_l0{suffix}"), vec![gates_h, f]));
            expected.push((format!("{layer}.weight_hh_l0{suffix}"), vec![gates_h, h]));
            expected.push((format!("{layer}.bias_ih_l0{suffix}"), vec![gates_h]));
            expected.push((format!("{layer}.bias_hh_l0{suffix}"), vec![gates_h]));
        }
    }
    expected.push(("out.weight".to_string(), vec![2, 6]));
    expected.push(("out.bias".to_string(), vec![2]));
    assert_eq!(names.0, expected);
    let _: &Bidirectional<6, 3, 5, 10, Gru<6, 3, 5, Sequence>, Sequence> = &model.net.gru;
    let _: &Bidirectional<6, 10, 3, 6, Rnn<6, 10, 3, Sequence>, LastStep> = &model.net.rnn;
    // Each direction has its own parameters, both initialised.
    let gru = &model.params.gru;
    assert_ne!(gru.forward, gru.reverse);
    assert!(gru.reverse.weight_hh.as_flat().iter().all(|w| w.abs() <= 1.0 / 5f32.sqrt()));
}

#[test]
fn conv1d_and_1d_pooling_have_pytorch_names_shapes_and_types() {
    let mut model = Model::<Signal>::new(0);
    let mut names = Names(Vec::new());
    let Model { net, params, state } = &mut model;
    net.visit_tensors(params, state, &TensorPath::ROOT, &mut names);
    let expected: Vec<(String, Vec<usize>)> = [
        ("conv1.weight", vec![3, 2, 3]),
        ("conv1.bias", vec![3]),
        ("conv2.weight", vec![4, 3, 3]),
        ("conv2.bias", vec![4]),
        ("out.weight", vec![2, 4]),
        ("out.bias", vec![2]),
    ]
    .into_iter()
    .map(|(n, s)| (n.to_string(), s))
    .collect();
    assert_eq!(names.0, expected);
    // Conv1d<C, L, OC, K, S, P, D, OL> and the pools' <C, L, K, S, P, OL>.
    let _: &Conv1d<2, 12, 3, 3, 1, 2, 2, 12> = &model.net.conv1;
    let _: &MaxPool1d<3, 12, 2, 2, 0, 6> = &model.net.pool1;
    let _: &Conv1d<3, 6, 4, 3, 2, 0, 1, 2> = &model.net.conv2;
    let _: &AvgPool1d<4, 2, 2, 2, 0, 1> = &model.net.pool2;
}

#[test]
fn a_conv1d_network_matches_finite_differences() {
    check_network::<Signal>(
        "Conv1d -> Tanh -> MaxPool1d -> Conv1d -> AvgPool1d -> Dense",
        &sequences::<[[f32; 12]; 2]>(3),
    );
}

#[test]
fn whole_recurrent_networks_match_finite_differences() {
    check_network::<Stacked>("Gru -> Lstm -> Dense", &sequences::<[[f32; 3]; 6]>(3));
    check_network::<Unrolled>("Rnn(relu) -> Flatten -> Dense", &sequences::<[[f32; 2]; 4]>(2));
    check_network::<BothWays>("bidirectional Gru -> bidirectional Rnn -> Dense", &sequences::<[[f32; 3]; 6]>(3));
}

network! {
    struct Counter {
        input: [8, 1],
        lstm: Lstm(8),
        out: Dense(2),
    }
}

/// Which of two signals a sequence is: the first half of its steps positive, or the second.
/// Only a layer that remembers can tell (the mean of both is the same).
#[test]
fn an_lstm_learns_which_half_of_a_sequence_is_positive() {
    let mut model = Model::<Counter>::new(3);
    let mut ws = Workspace::<Counter, 8>::new_boxed();
    let mut adam = Adam::<Counter>::new_boxed(0.02);
    let mut x = [[[0.0f32; 1]; 8]; 8];
    let mut labels = [0usize; 8];
    for (i, (x, label)) in x.iter_mut().zip(&mut labels).enumerate() {
        *label = i % 2;
        for (t, step) in x.iter_mut().enumerate() {
            let first_half = t < 4;
            let sign = if first_half == (*label == 0) { 1.0 } else { -1.0 };
            step[0] = sign * (0.5 + 0.1 * ((i + t) % 3) as f32);
        }
    }
    for _ in 0..150 {
        ws.train_step(&mut model, &x, &labels, &CrossEntropyLoss, adam.as_mut()).unwrap();
    }
    let out = ws.forward(&model, &x, Mode::Eval).unwrap();
    let predicted: Vec<usize> = out.iter().map(staticnet::argmax).collect();
    assert_eq!(predicted, labels);
}
