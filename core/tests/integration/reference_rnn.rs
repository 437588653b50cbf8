//! Agreement with PyTorch for the recurrent layers: every case of
//! `tests/reference/recurrent.json` (`nn.LSTM`, `nn.GRU`, `nn.RNN` with tanh and relu,
//! `batch_first=True`), compared within `|a - e| <= 1e-5 * max(1, |e|)`.
//!
//! Each case is run twice where it can be: sequence by sequence from its initial state
//! (`forward_sequence` / `backward_sequence`, which give `h_n`, `c_n` and the gradients of the
//! initial state), and, for the zero-state cases of the GRU and RNN, through the `Layer` trait
//! (`h_n` is `y[:, T-1]`, so the case's `gh` is folded into the last step of `g`). The
//! streaming `step` is checked against `y` too.

use crate::common;

use common::{Case, RTOL, Tensor, assert_close, check_every_case, forward_backward};
use staticnet_core::Flat;
use staticnet_core::flat::{flatten, zeroed};
use staticnet_core::layers::{
    Gru, GruSteps, Lstm, LstmState, LstmSteps, Recurrent, RecurrentParams, Rnn, RnnNonlinearity, RnnSteps, Sequence,
};

#[test]
fn recurrent_layers_match_pytorch() {
    let cases = check_every_case("recurrent.json", |case| {
        let (b, t) = batch_and_steps(case);
        match (case.input_str("mode"), t) {
            ("LSTM", 5) => check_lstm::<5>(case, b),
            ("LSTM", 4) => check_lstm::<4>(case, b),
            ("LSTM", 1) => check_lstm::<1>(case, b),
            ("LSTM", 12) => check_lstm::<12>(case, b),
            ("GRU", 5) => check_gru::<5>(case, b),
            ("GRU", 4) => check_gru::<4>(case, b),
            ("GRU", 1) => check_gru::<1>(case, b),
            ("GRU", 12) => check_gru::<12>(case, b),
            ("RNN_TANH", 5) | ("RNN_RELU", 5) => check_rnn::<5>(case, b),
            ("RNN_TANH", 4) | ("RNN_RELU", 4) => check_rnn::<4>(case, b),
            ("RNN_TANH", 1) | ("RNN_RELU", 1) => check_rnn::<1>(case, b),
            ("RNN_TANH", 12) | ("RNN_RELU", 12) => check_rnn::<12>(case, b),
            (mode, t) => panic!("no test for {mode} with {t} steps ({})", case.name),
        }
    });
    assert_eq!(cases, 16);
}

/// `B` and `T` from the shape of `x`, `[B, T, I]`.
fn batch_and_steps(case: &Case) -> (usize, usize) {
    let shape = &case.input("x").shape;
    (shape[0], shape[1])
}

/// The case's `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0` with `G` gates.
fn params<const G: usize, const F: usize, const H: usize>(case: &Case) -> RecurrentParams<G, F, H> {
    assert_eq!(case.input_scalar("input_size") as usize, F, "{}: input_size", case.name);
    assert_eq!(case.input_scalar("hidden_size") as usize, H, "{}: hidden_size", case.name);
    RecurrentParams {
        weight_ih: case.input("weight_ih_l0").to_block(&[G * H, F]),
        weight_hh: case.input("weight_hh_l0").to_block(&[G * H, H]),
        bias_ih: case.input("bias_ih_l0").to_block(&[G * H]),
        bias_hh: case.input("bias_hh_l0").to_block(&[G * H]),
    }
}

/// A `[1, B, H]` state tensor as `B` rows.
fn states<const H: usize>(t: Tensor, b: usize) -> Vec<[f32; H]> {
    t.reshaped(&[b, H]).to_blocks(&[b, H])
}

/// Compares the parameter gradients with the case's `dweight_ih_l0`, ... .
fn assert_param_grads<const G: usize, const F: usize, const H: usize>(
    case: &Case,
    grads: &RecurrentParams<G, F, H>,
    how: &str,
) {
    let name = &case.name;
    for (key, got) in [
        ("dweight_ih_l0", grads.weight_ih.as_flat()),
        ("dweight_hh_l0", grads.weight_hh.as_flat()),
        ("dbias_ih_l0", grads.bias_ih.as_flat()),
        ("dbias_hh_l0", grads.bias_hh.as_flat()),
    ] {
        assert_close(&format!("{name} {key} ({how})"), got, &case.expected(key).data, RTOL);
    }
}

/// `[B, T, H]` rows of every `h_t`.
fn flat_h<const T: usize, const H: usize>(h: &[[[f32; H]; T]]) -> Vec<f32> {
    flatten(h).to_vec()
}

/// Runs `step` from the case's initial state over each sequence and compares with `y`.
fn check_stream<L: Recurrent<Step = [f32; F], Hidden = [f32; H]>, const T: usize, const F: usize, const H: usize>(
    case: &Case,
    layer: &L,
    params: &L::Params,
    x: &[[[f32; F]; T]],
    initial: impl Fn(usize) -> L::Carry,
) {
    let mut y = Vec::new();
    for (b, x) in x.iter().enumerate() {
        let mut carry = initial(b);
        for x_t in x {
            y.extend_from_slice(layer.step(params, &mut carry, x_t));
        }
    }
    assert_close(&format!("{} y (step by step)", case.name), &y, &case.expected("y").data, RTOL);
}

fn check_lstm<const T: usize>(case: &Case, b: usize) {
    const F: usize = 3;
    const H: usize = 4;
    let name = &case.name;
    let layer = Lstm::<T, F, H, Sequence>::default();
    let p = params::<4, F, H>(case);
    let x: Vec<[[f32; F]; T]> = case.input("x").to_blocks(&[b, T, F]);
    let g: Vec<[[f32; H]; T]> = case.input("g").to_blocks(&[b, T, H]);
    let (h0, c0) = (states::<H>(case.input("h0"), b), states::<H>(case.input("c0"), b));
    let (gh, gc) = (states::<H>(case.input("gh"), b), states::<H>(case.input("gc"), b));

    let mut steps = vec![zeroed::<LstmSteps<T, H>>(); b];
    let mut grads = RecurrentParams::<4, F, H>::zeroed();
    let mut dgates = [[[0.0; H]; T]; 4];
    let (mut dx, mut dh0, mut dc0) = (vec![[[f32::NAN; F]; T]; b], Vec::new(), Vec::new());
    for i in 0..b {
        let initial = LstmState { h: h0[i], c: c0[i] };
        layer.forward_sequence(&p, &x[i], &initial, &mut steps[i]);
        let mut d_initial = LstmState { h: [f32::NAN; H], c: [f32::NAN; H] };
        let d_final = LstmState { h: gh[i], c: gc[i] };
        let dx = Some(&mut dx[i]);
        layer.backward_sequence(&p, &x[i], &steps[i], &g[i], &d_final, &mut d_initial, dx, &mut grads, &mut dgates);
        dh0.extend_from_slice(&d_initial.h);
        dc0.extend_from_slice(&d_initial.c);
    }
    let h: Vec<[[f32; H]; T]> = steps.iter().map(|s| s.h).collect();
    assert_close(&format!("{name} y"), &flat_h(&h), &case.expected("y").data, RTOL);
    let h_n: Vec<f32> = steps.iter().flat_map(|s| s.h[T - 1]).collect();
    let c_n: Vec<f32> = steps.iter().flat_map(|s| s.c[T - 1]).collect();
    assert_close(&format!("{name} h_n"), &h_n, &case.expected("h_n").data, RTOL);
    assert_close(&format!("{name} c_n"), &c_n, &case.expected("c_n").data, RTOL);
    assert_close(&format!("{name} dx"), flatten(&dx), &case.expected("dx").data, RTOL);
    assert_close(&format!("{name} dh0"), &dh0, &case.expected("dh0").data, RTOL);
    assert_close(&format!("{name} dc0"), &dc0, &case.expected("dc0").data, RTOL);
    assert_param_grads(case, &grads, "by sequence");
    check_stream(case, &layer, &p, &x, |i| LstmState { h: h0[i], c: c0[i] });
}

fn check_gru<const T: usize>(case: &Case, b: usize) {
    const F: usize = 4;
    const H: usize = 3;
    let name = &case.name;
    let layer = Gru::<T, F, H, Sequence>::default();
    let p = params::<3, F, H>(case);
    let x: Vec<[[f32; F]; T]> = case.input("x").to_blocks(&[b, T, F]);
    let g: Vec<[[f32; H]; T]> = case.input("g").to_blocks(&[b, T, H]);
    let (h0, gh) = (states::<H>(case.input("h0"), b), states::<H>(case.input("gh"), b));

    let mut steps = vec![zeroed::<GruSteps<T, H>>(); b];
    let mut grads = RecurrentParams::<3, F, H>::zeroed();
    let (mut dgx, mut dgh) = ([[[0.0; H]; T]; 3], [[[0.0; H]; T]; 3]);
    let (mut dx, mut dh0) = (vec![[[f32::NAN; F]; T]; b], Vec::new());
    for i in 0..b {
        layer.forward_sequence(&p, &x[i], &h0[i], &mut steps[i]);
        let mut d_initial = [f32::NAN; H];
        let dx = Some(&mut dx[i]);
        layer.backward_sequence(
            &p,
            &x[i],
            &steps[i],
            &g[i],
            &gh[i],
            &mut d_initial,
            dx,
            &mut grads,
            (&mut dgx, &mut dgh),
        );
        dh0.extend_from_slice(&d_initial);
    }
    let h: Vec<[[f32; H]; T]> = steps.iter().map(|s| s.h).collect();
    assert_close(&format!("{name} y"), &flat_h(&h), &case.expected("y").data, RTOL);
    let h_n: Vec<f32> = steps.iter().flat_map(|s| s.h[T - 1]).collect();
    assert_close(&format!("{name} h_n"), &h_n, &case.expected("h_n").data, RTOL);
    assert_close(&format!("{name} dx"), flatten(&dx), &case.expected("dx").data, RTOL);
    assert_close(&format!("{name} dh0"), &dh0, &case.expected("dh0").data, RTOL);
    assert_param_grads(case, &grads, "by sequence");
    check_stream(case, &layer, &p, &x, |i| h0[i]);
    if h0.iter().flatten().all(|&v| v == 0.0) {
        check_through_layer(case, &layer, &p, &x, &g, &gh);
    }
}

fn check_rnn<const T: usize>(case: &Case, b: usize) {
    match case.input_str("nonlinearity") {
        "tanh" => check_rnn_sizes::<T, 3, 5>(case, b, RnnNonlinearity::Tanh),
        "relu" => check_rnn_sizes::<T, 2, 5>(case, b, RnnNonlinearity::Relu),
        other => panic!("{}: unknown nonlinearity {other}", case.name),
    }
}

fn check_rnn_sizes<const T: usize, const F: usize, const H: usize>(case: &Case, b: usize, act: RnnNonlinearity) {
    let name = &case.name;
    let layer = Rnn::<T, F, H, Sequence>::new(act);
    let p = params::<1, F, H>(case);
    let x: Vec<[[f32; F]; T]> = case.input("x").to_blocks(&[b, T, F]);
    let g: Vec<[[f32; H]; T]> = case.input("g").to_blocks(&[b, T, H]);
    let (h0, gh) = (states::<H>(case.input("h0"), b), states::<H>(case.input("gh"), b));

    let mut steps = vec![zeroed::<RnnSteps<T, H>>(); b];
    let mut grads = RecurrentParams::<1, F, H>::zeroed();
    let mut dpre = [[[0.0; H]; T]; 1];
    let (mut dx, mut dh0) = (vec![[[f32::NAN; F]; T]; b], Vec::new());
    for i in 0..b {
        layer.forward_sequence(&p, &x[i], &h0[i], &mut steps[i]);
        let mut d_initial = [f32::NAN; H];
        let dx = Some(&mut dx[i]);
        layer.backward_sequence(&p, &x[i], &steps[i], &g[i], &gh[i], &mut d_initial, dx, &mut grads, &mut dpre);
        dh0.extend_from_slice(&d_initial);
    }
    let h: Vec<[[f32; H]; T]> = steps.iter().map(|s| s.h).collect();
    assert_close(&format!("{name} y"), &flat_h(&h), &case.expected("y").data, RTOL);
    let h_n: Vec<f32> = steps.iter().flat_map(|s| s.h[T - 1]).collect();
    assert_close(&format!("{name} h_n"), &h_n, &case.expected("h_n").data, RTOL);
    assert_close(&format!("{name} dx"), flatten(&dx), &case.expected("dx").data, RTOL);
    assert_close(&format!("{name} dh0"), &dh0, &case.expected("dh0").data, RTOL);
    assert_param_grads(case, &grads, "by sequence");
    check_stream(case, &layer, &p, &x, |i| h0[i]);
    if h0.iter().flatten().all(|&v| v == 0.0) {
        check_through_layer(case, &layer, &p, &x, &g, &gh);
    }
}

/// The `Layer` path (zero initial state) with `L = sum(y * g')`, `g'` being `g` with `gh`
/// added to the last step (as `h_n = y[:, T-1]`).
fn check_through_layer<L, const T: usize, const F: usize, const H: usize, const G: usize>(
    case: &Case,
    layer: &L,
    params: &RecurrentParams<G, F, H>,
    x: &[[[f32; F]; T]],
    g: &[[[f32; H]; T]],
    gh: &[[f32; H]],
) where
    L: staticnet_core::Layer<Input = [[f32; F]; T], Output = [[f32; H]; T], Params = RecurrentParams<G, F, H>>,
{
    let name = &case.name;
    let mut g = g.to_vec();
    for (g, gh) in g.iter_mut().zip(gh) {
        g[T - 1].iter_mut().zip(gh).for_each(|(a, b)| *a += b);
    }
    let pass = forward_backward::<L, 4>(layer, params, x, &g);
    assert_close(&format!("{name} y (Layer)"), flatten(&pass.y), &case.expected("y").data, RTOL);
    assert_close(&format!("{name} dx (Layer)"), flatten(&pass.dx), &case.expected("dx").data, RTOL);
    assert_param_grads(case, &pass.grads, "Layer");
}
