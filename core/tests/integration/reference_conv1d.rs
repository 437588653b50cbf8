//! Agreement with PyTorch for the 1-D layers: every case of `tests/reference/conv1d.json`
//! (`nn.Conv1d` with stride, padding and dilation, `MaxPool1d`, `AvgPool1d`), compared
//! within `|a - e| <= 1e-5 * max(1, |e|)`.

use crate::common;

use common::{Case, RTOL, Run, assert_close, check_every_case, run_layer};
use staticnet_core::flat::flatten;
use staticnet_core::layers::{AvgPool1d, Conv1d, Conv1dParams, MaxPool1d};
use staticnet_core::{Flat, Layer, Mode};

#[test]
fn conv1d_and_pooling_match_pytorch() {
    let cases = check_every_case("conv1d.json", |case| match case.name.as_str() {
        "conv1d_k3_s1_p0_d1_in3_out4_L10" => check_conv::<2, 3, 10, 4, 3, 1, 0, 1, 8>(case),
        "conv1d_k3_s1_p1_d1_in2_out3_L9" => check_conv::<2, 2, 9, 3, 3, 1, 1, 1, 9>(case),
        "conv1d_k5_s2_p2_d1_in3_out2_L13" => check_conv::<1, 3, 13, 2, 5, 2, 2, 1, 7>(case),
        "conv1d_k4_s3_p1_d1_in1_out3_L12" => check_conv::<2, 1, 12, 3, 4, 3, 1, 1, 4>(case),
        "conv1d_k3_s1_p2_d2_in2_out3_L11" => check_conv::<2, 2, 11, 3, 3, 1, 2, 2, 11>(case),
        "maxpool1d_k2_s2_p0_L8" => check_pool::<_, 2, 3, 8, 4>(case, MaxPool1d::<3, 8, 2, 2, 0, 4>, [2, 2, 0]),
        "maxpool1d_k3_s2_p0_L9" => check_pool::<_, 1, 2, 9, 4>(case, MaxPool1d::<2, 9, 3, 2, 0, 4>, [3, 2, 0]),
        "maxpool1d_k3_s2_p1_L7" => check_pool::<_, 2, 2, 7, 4>(case, MaxPool1d::<2, 7, 3, 2, 1, 4>, [3, 2, 1]),
        "maxpool1d_k3_s1_p0_L10_ties" => check_pool::<_, 1, 2, 10, 8>(case, MaxPool1d::<2, 10, 3, 1, 0, 8>, [3, 1, 0]),
        "avgpool1d_k2_s2_p0_L8" => check_pool::<_, 2, 3, 8, 4>(case, AvgPool1d::<3, 8, 2, 2, 0, 4>, [2, 2, 0]),
        "avgpool1d_k3_s2_p0_L9" => check_pool::<_, 1, 2, 9, 4>(case, AvgPool1d::<2, 9, 3, 2, 0, 4>, [3, 2, 0]),
        "avgpool1d_k3_s2_p1_L7" => check_pool::<_, 2, 2, 7, 4>(case, AvgPool1d::<2, 7, 3, 2, 1, 4>, [3, 2, 1]),
        "avgpool1d_k2_s1_p1_L6" => check_pool::<_, 1, 2, 6, 7>(case, AvgPool1d::<2, 6, 2, 1, 1, 7>, [2, 1, 1]),
        other => panic!("no test for conv1d/pool1d case {other}"),
    });
    assert_eq!(cases, 13);
}

/// Asserts that the case's hyperparameters are the test's const parameters.
fn assert_hyper(case: &Case, keys: &[(&str, usize)]) {
    for &(key, value) in keys {
        assert_eq!(case.input_scalar(key) as usize, value, "{}: {key}", case.name);
    }
}

#[allow(clippy::too_many_arguments)]
fn check_conv<
    const N: usize,
    const C: usize,
    const L: usize,
    const OC: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    const D: usize,
    const OL: usize,
>(
    case: &Case,
) {
    assert_hyper(case, &[("kernel_size", K), ("stride", S), ("padding", P), ("dilation", D), ("groups", 1)]);
    let name = &case.name;
    let layer = Conv1d::<C, L, OC, K, S, P, D, OL>::default();
    let params = Conv1dParams::<C, OC, K> {
        weight: case.input("weight").to_block(&[OC, C, K]),
        bias: case.input("bias").to_array(),
    };
    let x: Vec<[[f32; L]; C]> = case.input("x").to_blocks(&[N, C, L]);
    let g: Vec<[[f32; OL]; OC]> = case.input("g").to_blocks(&[N, OC, OL]);
    let Run { y, dx, grads, .. } = run_layer::<_, N>(&layer, &params, &(), Mode::Train, &x, &g, &|_| {});
    assert_close(&format!("{name} y"), flatten(&y), &case.expected("y").data, RTOL);
    assert_close(&format!("{name} dx"), flatten(&dx), &case.expected("dx").data, RTOL);
    assert_close(&format!("{name} dweight"), grads.weight.as_flat(), &case.expected("dweight").data, RTOL);
    assert_close(&format!("{name} dbias"), &grads.bias, &case.expected("dbias").data, RTOL);
}

fn check_pool<P, const N: usize, const C: usize, const L: usize, const OL: usize>(
    case: &Case,
    layer: P,
    [k, s, p]: [usize; 3],
) where
    P: Layer<Input = [[f32; L]; C], Output = [[f32; OL]; C], Params = (), State = ()>,
{
    assert_hyper(case, &[("kernel_size", k), ("stride", s), ("padding", p)]);
    let name = &case.name;
    let x: Vec<[[f32; L]; C]> = case.input("x").to_blocks(&[N, C, L]);
    let g: Vec<[[f32; OL]; C]> = case.input("g").to_blocks(&[N, C, OL]);
    let Run { y, dx, .. } = run_layer::<_, N>(&layer, &(), &(), Mode::Train, &x, &g, &|_| {});
    assert_close(&format!("{name} y"), flatten(&y), &case.expected("y").data, RTOL);
    assert_close(&format!("{name} dx"), flatten(&dx), &case.expected("dx").data, RTOL);
}
