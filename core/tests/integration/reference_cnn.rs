//! Agreement with PyTorch for the deep-network layers: every case of
//! `tests/reference/{conv_pool,batchnorm,dropout}.json`, compared within
//! `|a - e| <= 1e-5 * max(1, |e|)`.
//!
//! Each case names its compile-time sizes here; the loaders assert that the file agrees,
//! and the hyperparameters written in the case are checked against the const parameters.

use crate::common;

use common::{Case, RTOL, Run, assert_close, check_every_case, run_layer};
use serde_json::Value;
use staticnet_core::flat::flatten;
use staticnet_core::layers::{
    AvgPool2d, BatchCount, BatchNorm1d, BatchNorm2d, BatchNormCache, BatchNormParams, BatchNormState, Conv2d,
    Conv2dParams, Dropout, DropoutCache, MaxPool2d,
};
use staticnet_core::{Flat, Layer, Mode};

/// A hyperparameter of a case as an `[h, w]` pair: conv cases write pairs, pooling cases
/// plain integers (the same for both dimensions).
fn pair(case: &Case, key: &str) -> [usize; 2] {
    let v = case.inputs.get(key).unwrap_or_else(|| panic!("{}: no inputs.{key}", case.name));
    let int = |v: &Value| v.as_u64().unwrap_or_else(|| panic!("{}: inputs.{key} = {v}", case.name)) as usize;
    match v.as_array() {
        Some(pair) => {
            assert_eq!(pair.len(), 2, "{}: inputs.{key} is not a pair", case.name);
            [int(&pair[0]), int(&pair[1])]
        }
        None => [int(v); 2],
    }
}

/// Asserts that the case's `kernel_size`, `stride` and `padding` are the test's.
fn assert_window(case: &Case, kernel: [usize; 2], stride: [usize; 2], padding: [usize; 2]) {
    assert_eq!(pair(case, "kernel_size"), kernel, "{}: kernel_size", case.name);
    assert_eq!(pair(case, "stride"), stride, "{}: stride", case.name);
    assert_eq!(pair(case, "padding"), padding, "{}: padding", case.name);
}

// ---------------------------------------------------------------- convolution and pooling

#[test]
fn conv_and_pooling_match_pytorch() {
    check_every_case("conv_pool.json", |case| match case.name.as_str() {
        "conv2d_k3_s1_p0_in1_out2_6x6" => check_conv::<2, 1, 6, 6, 2, 3, 3, 1, 1, 0, 0, 4, 4>(case),
        "conv2d_k3_s1_p1_in3_out4_7x6" => check_conv::<2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1, 7, 6>(case),
        "conv2d_k5_s2_p2_in3_out2_9x9" => check_conv::<1, 3, 9, 9, 2, 5, 5, 2, 2, 2, 2, 5, 5>(case),
        "conv2d_k2_s2_p0_in1_out4_8x7" => check_conv::<2, 1, 8, 7, 4, 2, 2, 2, 2, 0, 0, 4, 3>(case),
        "conv2d_k3_s2_p1_in3_out4_7x9" => check_conv::<1, 3, 7, 9, 4, 3, 3, 2, 2, 1, 1, 4, 5>(case),
        "conv2d_rect_k3x2_s2x1_p1x0_in2_out3_7x6" => check_conv::<1, 2, 7, 6, 3, 3, 2, 2, 1, 1, 0, 4, 5>(case),
        "maxpool2d_k2_s2_p0_6x6" => check_max_pool::<2, 2, 6, 6, 2, 2, 0, 3, 3>(case),
        "maxpool2d_k3_s2_p0_7x7" => check_max_pool::<1, 2, 7, 7, 3, 2, 0, 3, 3>(case),
        "maxpool2d_k2_s2_p0_4x6_ties" => check_max_pool::<1, 1, 4, 6, 2, 2, 0, 2, 3>(case),
        "maxpool2d_k3_s2_p0_7x7_ties" => check_max_pool::<1, 1, 7, 7, 3, 2, 0, 3, 3>(case),
        "maxpool2d_k3_s2_p1_6x6" => check_max_pool::<1, 2, 6, 6, 3, 2, 1, 3, 3>(case),
        "avgpool2d_k2_s2_p0_6x6" => check_avg_pool::<2, 2, 6, 6, 2, 2, 0, 3, 3>(case),
        "avgpool2d_k2_s2_p0_7x5" => check_avg_pool::<1, 2, 7, 5, 2, 2, 0, 3, 2>(case),
        "avgpool2d_k3_s2_p0_7x7" => check_avg_pool::<1, 2, 7, 7, 3, 2, 0, 3, 3>(case),
        "avgpool2d_k3_s2_p1_6x6" => check_avg_pool::<1, 1, 6, 6, 3, 2, 1, 3, 3>(case),
        other => panic!("no test for conv/pool case {other}"),
    });
}

/// A `Conv2d` on a batch of `N` images: `y`, `dx`, `dweight`, `dbias`.
fn check_conv<
    const N: usize,
    const C: usize,
    const H: usize,
    const W: usize,
    const OC: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const OH: usize,
    const OW: usize,
>(
    case: &Case,
) {
    let name = &case.name;
    assert_window(case, [KH, KW], [SH, SW], [PH, PW]);
    assert_eq!(pair(case, "dilation"), [1, 1], "{name}: dilation");
    assert_eq!(case.input_scalar("groups"), 1.0, "{name}: groups");
    let params = Conv2dParams::<C, OC, KH, KW> {
        weight: case.input("weight").to_block(&[OC, C, KH, KW]),
        bias: case.input("bias").to_array(),
    };
    let x: Vec<[[[f32; W]; H]; C]> = case.input("x").to_blocks(&[N, C, H, W]);
    let g: Vec<[[[f32; OW]; OH]; OC]> = case.input("g").to_blocks(&[N, OC, OH, OW]);
    case.expected("y").assert_shape(&[N, OC, OH, OW], name);
    case.expected("dx").assert_shape(&[N, C, H, W], name);
    case.expected("dweight").assert_shape(&[OC, C, KH, KW], name);

    let layer = Conv2d::<C, H, W, OC, KH, KW, SH, SW, PH, PW, OH, OW>::default();
    // A capacity larger than the batch, as for the last batch of an epoch.
    let run: Run<_, 4> = run_layer(&layer, &params, &(), Mode::Train, &x, &g, &|_| {});
    assert_close(&format!("{name}: y"), flatten(&run.y), &case.expected("y").data, RTOL);
    assert_close(&format!("{name}: dx"), flatten(&run.dx), &case.expected("dx").data, RTOL);
    assert_close(&format!("{name}: dweight"), run.grads.weight.as_flat(), &case.expected("dweight").data, RTOL);
    assert_close(&format!("{name}: dbias"), &run.grads.bias, &case.expected("dbias").data, RTOL);
}

/// A `MaxPool2d` with a square window on a batch of `N` images: `y`, `dx` and the argmax
/// indices kept in the cache.
fn check_max_pool<
    const N: usize,
    const C: usize,
    const H: usize,
    const W: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    const OH: usize,
    const OW: usize,
>(
    case: &Case,
) {
    let name = &case.name;
    assert_window(case, [K, K], [S, S], [P, P]);
    let x: Vec<[[[f32; W]; H]; C]> = case.input("x").to_blocks(&[N, C, H, W]);
    let g: Vec<[[[f32; OW]; OH]; C]> = case.input("g").to_blocks(&[N, C, OH, OW]);
    let expected_index = case.expected("argmax_flat_index");
    expected_index.assert_shape(&[N, C, OH, OW], name);

    let layer = MaxPool2d::<C, H, W, K, K, S, S, P, P, OH, OW>;
    let run: Run<_, 3> = run_layer(&layer, &(), &(), Mode::Train, &x, &g, &|_| {});
    assert_close(&format!("{name}: y"), flatten(&run.y), &case.expected("y").data, RTOL);
    assert_close(&format!("{name}: dx"), flatten(&run.dx), &case.expected("dx").data, RTOL);
    let index: Vec<f64> =
        run.cache.argmax[..N].iter().flat_map(|a| a.as_flattened().as_flattened()).map(|&i| i as f64).collect();
    assert_eq!(index, expected_index.data, "{name}: argmax indices");
}

/// An `AvgPool2d` with a square window on a batch of `N` images: `y` and `dx`.
fn check_avg_pool<
    const N: usize,
    const C: usize,
    const H: usize,
    const W: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    const OH: usize,
    const OW: usize,
>(
    case: &Case,
) {
    let name = &case.name;
    assert_window(case, [K, K], [S, S], [P, P]);
    assert_eq!(case.inputs["count_include_pad"], Value::Bool(true), "{name}: count_include_pad");
    let x: Vec<[[[f32; W]; H]; C]> = case.input("x").to_blocks(&[N, C, H, W]);
    let g: Vec<[[[f32; OW]; OH]; C]> = case.input("g").to_blocks(&[N, C, OH, OW]);

    let layer = AvgPool2d::<C, H, W, K, K, S, S, P, P, OH, OW>;
    let run: Run<_, 2> = run_layer(&layer, &(), &(), Mode::Train, &x, &g, &|_| {});
    assert_close(&format!("{name}: y"), flatten(&run.y), &case.expected("y").data, RTOL);
    assert_close(&format!("{name}: dx"), flatten(&run.dx), &case.expected("dx").data, RTOL);
}

// ---------------------------------------------------------------- batch norm

#[test]
fn batch_norm_matches_pytorch() {
    check_every_case("batchnorm.json", |case| match case.name.as_str() {
        "bn1d_train_momentum0.1" | "bn1d_eval" => {
            let layer = BatchNorm1d::<4> { momentum: momentum(case), eps: case.input_scalar("eps") as f32 };
            check_batch_norm::<_, 4, 8>(case, &layer, &[8, 4]);
        }
        "bn2d_train_momentum0.1" | "bn2d_eval" => {
            let layer = BatchNorm2d::<3, 4, 4> { momentum: momentum(case), eps: case.input_scalar("eps") as f32 };
            check_batch_norm::<_, 3, 2>(case, &layer, &[2, 3, 4, 4]);
        }
        other => panic!("no test for batch norm case {other}"),
    });
}

/// The case's momentum; eval cases have none (it does not matter there), PyTorch's default.
fn momentum(case: &Case) -> f32 {
    if case.inputs.get("momentum").is_some() { case.input_scalar("momentum") as f32 } else { 0.1 }
}

/// A batch norm layer with `C` channels on a batch of `N` samples of the case's `shape`, in
/// training mode for `*_train_*` cases (then also the running statistics after
/// `update_state` and the batch statistics), evaluation mode otherwise.
fn check_batch_norm<L, const C: usize, const N: usize>(case: &Case, layer: &L, shape: &[usize])
where
    L: Layer<Params = BatchNormParams<C>, State = BatchNormState<C>, Cache<N> = BatchNormCache<C>>,
{
    let name = &case.name;
    let training = name.contains("_train_");
    let params = BatchNormParams { weight: case.input("gamma").to_array(), bias: case.input("beta").to_array() };
    let state = BatchNormState {
        running_mean: case.input("running_mean").to_array(),
        running_var: case.input("running_var").to_array(),
        num_batches_tracked: BatchCount::default(),
    };
    let x: Vec<L::Input> = case.input("x").to_blocks(shape);
    let g: Vec<L::Output> = case.input("g").to_blocks(shape);
    let mode = if training { Mode::Train } else { Mode::Eval };

    let run: Run<L, N> = run_layer(layer, &params, &state, mode, &x, &g, &|_| {});
    assert_close(&format!("{name}: y"), flatten(&run.y), &case.expected("y").data, RTOL);
    assert_close(&format!("{name}: dx"), flatten(&run.dx), &case.expected("dx").data, RTOL);
    assert_close(&format!("{name}: dgamma"), &run.grads.weight, &case.expected("dgamma").data, RTOL);
    assert_close(&format!("{name}: dbeta"), &run.grads.bias, &case.expected("dbeta").data, RTOL);

    let (mean, var) = (run.cache.mean, run.cache.var);
    if training {
        let (running_mean, running_var) = (&run.state.running_mean, &run.state.running_var);
        assert_close(&format!("{name}: running_mean"), running_mean, &case.expected("running_mean").data, RTOL);
        assert_close(&format!("{name}: running_var"), running_var, &case.expected("running_var").data, RTOL);
        assert_close(&format!("{name}: batch_mean"), &mean, &case.expected("batch_mean").data, RTOL);
        assert_close(&format!("{name}: batch_var_biased"), &var, &case.expected("batch_var_biased").data, RTOL);
    } else {
        // Evaluation uses the running statistics and never updates them.
        assert_eq!((mean, var), (state.running_mean, state.running_var), "{name}: statistics used");
        let mut after = state;
        layer.update_state::<N>(&mut after, &run.cache);
        assert_eq!(after, state, "{name}: update_state after an evaluation pass changed the running statistics");
    }
}

// ---------------------------------------------------------------- dropout

#[test]
fn dropout_matches_pytorch() {
    check_every_case("dropout.json", |case| match case.name.as_str() {
        "dropout_train_p0.5" => check_dropout::<5, 2>(case, Mode::Train),
        "dropout_train_p0.25" => check_dropout::<4, 3>(case, Mode::Train),
        "dropout_eval_p0.5" => check_dropout::<5, 2>(case, Mode::Eval),
        other => panic!("no test for dropout case {other}"),
    });
}

/// `Dropout<[f32; F]>` on `N` rows; in training mode with the case's mask injected into
/// the cache.
fn check_dropout<const F: usize, const N: usize>(case: &Case, mode: Mode) {
    let name = &case.name;
    let layer = Dropout::<[f32; F]>::new(case.input_scalar("p") as f32, 7);
    let x: [[f32; F]; N] = case.input("x").to_rows();
    let g: [[f32; F]; N] = case.input("g").to_rows();
    let prepare = |cache: &mut DropoutCache<[f32; F], N>| {
        if mode == Mode::Train {
            cache.set_mask(case.input("mask").to_rows());
        }
    };
    let run: Run<_, N> = run_layer(&layer, &(), &(), mode, &x, &g, &prepare);
    assert_close(&format!("{name}: y"), flatten(&run.y), &case.expected("y").data, RTOL);
    assert_close(&format!("{name}: dx"), flatten(&run.dx), &case.expected("dx").data, RTOL);
    assert_eq!(run.cache.was_active(), mode == Mode::Train, "{name}: active");
}
