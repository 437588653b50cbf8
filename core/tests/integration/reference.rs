//! Agreement with PyTorch: every case of `tests/reference/{activations,dense,losses}.json`
//! run through our layers and losses, compared within `|a - e| <= 1e-5 * max(1, |e|)`.
//!
//! The reference files fix the shape of every case; our sizes are compile-time constants,
//! so each case names its sizes here and the loaders assert that the file agrees.

use crate::common;

use common::{Case, RTOL, Tensor, assert_close, assert_close_scalar, check_every_case, forward, forward_backward};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use staticnet_core::flat::flatten;
use staticnet_core::layers::{
    Dense, DenseParams, Elu, Gelu, LeakyRelu, Prelu, Relu, Selu, Sigmoid, Silu, Softmax, Softplus, Tanh,
};
use staticnet_core::loss::{
    BceLoss, BceWithLogitsLoss, CrossEntropyLoss, HalfSquaredError, HuberLoss, Loss, MseLoss, NllLoss, SmoothL1Loss,
    SparseCategoricalCrossEntropy,
};
use staticnet_core::{Flat, Layer};

// ---------------------------------------------------------------- activations

/// Activation cases are all `[4, 6]`: four samples of six features.
const ACT_ROWS: usize = 4;
type ActRow = [f32; 6];

#[test]
fn activations_match_pytorch() {
    check_every_case("activations.json", |case| match case.name.as_str() {
        "sigmoid" => check_activation(case, Sigmoid::<ActRow>::default(), ()),
        "tanh" => check_activation(case, Tanh::<ActRow>::default(), ()),
        "relu" => check_activation(case, Relu::<ActRow>::default(), ()),
        "leaky_relu_slope0.01" | "leaky_relu_slope0.2" => {
            let slope = case.input_scalar("negative_slope") as f32;
            check_activation(case, LeakyRelu::<ActRow>::new(slope), ())
        }
        "elu_alpha1" | "elu_alpha0.5" => {
            check_activation(case, Elu::<ActRow>::new(case.input_scalar("alpha") as f32), ())
        }
        "selu" => {
            // Our SELU has PyTorch's constants built in; make sure the case used them.
            assert!((case.input_scalar("alpha") - 1.673_263_242_354_377_3).abs() < 1e-12);
            assert!((case.input_scalar("scale") - 1.050_700_987_355_480_5).abs() < 1e-12);
            check_activation(case, Selu::<ActRow>::default(), ())
        }
        "silu" => check_activation(case, Silu::<ActRow>::default(), ()),
        "softplus" => {
            // Our softplus has PyTorch's defaults built in.
            assert_eq!((case.input_scalar("beta"), case.input_scalar("threshold")), (1.0, 20.0));
            check_activation(case, Softplus::<ActRow>::default(), ())
        }
        "gelu_erf" | "gelu_tanh" => {
            let approximate = case.input_str("approximate");
            assert!(approximate == "none" || approximate == "tanh", "unknown GELU approximation {approximate}");
            check_activation(case, Gelu::<ActRow>::new(approximate == "tanh"), ())
        }
        "prelu_single_slope" => {
            let slope: [f32; 1] = case.input("slope").to_array();
            let layer = Prelu::<ActRow>::new(slope[0]);
            // The slope comes from `init`, as it would in a network.
            let mut params = [f32::NAN];
            layer.init(&mut params, &mut (), &mut SmallRng::seed_from_u64(0));
            assert_eq!(params, slope);
            check_activation(case, layer, params)
        }
        "softmax_lastdim" => {
            assert_eq!(case.input_scalar("dim"), -1.0);
            check_activation(case, Softmax::<6>, ());
            check_softmax_jacobian(case);
        }
        other => panic!("no test for activation case {other}"),
    });
}

/// Compares `y`, `dx` (backward with the case's `g`), `dydx` (backward with ones) and, for
/// layers with parameters, `dslope`, against the case.
fn check_activation<L: Layer<Input = ActRow, Output = ActRow>>(case: &Case, layer: L, params: L::Params) {
    let name = &case.name;
    let x: [ActRow; ACT_ROWS] = case.input("x").to_rows();
    let g: [ActRow; ACT_ROWS] = case.input("g").to_rows();

    let pass = forward_backward::<L, ACT_ROWS>(&layer, &params, &x, &g);
    assert_close(&format!("{name}: y"), flatten(&pass.y), &case.expected("y").data, RTOL);
    assert_close(&format!("{name}: dx"), flatten(&pass.dx), &case.expected("dx").data, RTOL);

    let ones = [[1.0; 6]; ACT_ROWS];
    let unit = forward_backward::<L, ACT_ROWS>(&layer, &params, &x, &ones);
    if case.has_expected("dydx") {
        assert_close(&format!("{name}: dydx"), flatten(&unit.dx), &case.expected("dydx").data, RTOL);
    }

    if L::PARAMS > 0 {
        let dslope = case.expected("dslope");
        dslope.assert_shape(&[L::PARAMS], name);
        assert_close(&format!("{name}: dslope"), pass.grads.as_flat(), &dslope.data, RTOL);
    } else {
        assert!(!case.has_expected("dslope"), "{name}: dslope given for a layer without parameters");
    }
}

/// `jacobian[b, i, j] = dy[b, i] / dx[b, j]`: backward with `dy = e_i` in every row gives
/// row `i` of each sample's Jacobian.
fn check_softmax_jacobian(case: &Case) {
    let x: [[f32; 6]; ACT_ROWS] = case.input("x").to_rows();
    let expected = case.expected("jacobian");
    expected.assert_shape(&[ACT_ROWS, 6, 6], "softmax jacobian");
    let mut jacobian = [[[0.0f32; 6]; 6]; ACT_ROWS];
    for i in 0..6 {
        let mut e_i = [[0.0f32; 6]; ACT_ROWS];
        e_i.iter_mut().for_each(|row| row[i] = 1.0);
        let pass = forward_backward::<Softmax<6>, ACT_ROWS>(&Softmax, &(), &x, &e_i);
        for (b, dx) in pass.dx.iter().enumerate() {
            jacobian[b][i] = *dx;
        }
    }
    assert_close("softmax_lastdim: jacobian", flatten(&jacobian), &expected.data, RTOL);
}

// ---------------------------------------------------------------- dense

#[test]
fn dense_matches_pytorch() {
    check_every_case("dense.json", |case| match case.name.as_str() {
        "linear_B4_in5_out3" => check_dense::<5, 3, 4>(case),
        "linear_B1_in7_out2" => check_dense::<7, 2, 1>(case),
        "linear_B3_in2_out6" => check_dense::<2, 6, 3>(case),
        other => panic!("no test for dense case {other}"),
    });
}

/// A `Dense<IN, OUT>` on a batch of `B` rows: `y`, `dx`, `dW`, `db`.
fn check_dense<const IN: usize, const OUT: usize, const B: usize>(case: &Case) {
    let name = &case.name;
    let params = DenseParams::<IN, OUT> { weight: case.input("W").to_rows(), bias: case.input("b").to_array() };
    let x: [[f32; IN]; B] = case.input("x").to_rows();
    let g: [[f32; OUT]; B] = case.input("g").to_rows();
    case.expected("y").assert_shape(&[B, OUT], name);
    case.expected("dx").assert_shape(&[B, IN], name);
    case.expected("dW").assert_shape(&[OUT, IN], name);

    let pass = forward_backward::<Dense<IN, OUT>, B>(&Dense::default(), &params, &x, &g);
    assert_close(&format!("{name}: y"), flatten(&pass.y), &case.expected("y").data, RTOL);
    assert_close(&format!("{name}: dx"), flatten(&pass.dx), &case.expected("dx").data, RTOL);
    assert_close(&format!("{name}: dW"), pass.grads.weight.as_flat(), &case.expected("dW").data, RTOL);
    assert_close(&format!("{name}: db"), &pass.grads.bias, &case.expected("db").data, RTOL);
}

// ---------------------------------------------------------------- losses

#[test]
fn losses_match_pytorch() {
    check_every_case("losses.json", |case| match case.name.as_str() {
        "mse_mean" => check_regression::<3, 4, _>(case, &MseLoss),
        "half_sse_per_sample_batch_mean" => check_regression::<3, 4, _>(case, &HalfSquaredError),
        "bce_probs_mean" | "bce_probs_soft_targets_mean" => check_regression::<3, 4, _>(case, &BceLoss),
        "bce_probs_edge_exact_0_1" => {
            // An edge case (exact 0 and 1 probabilities): we follow PyTorch, which clamps
            // each log at -100 and the gradient's denominator at 1e-12, so it must pass.
            // The file gives it 1-D, shape [6]; the mean over 6 elements is the same as
            // one sample of six features.
            assert!(case.edge_case);
            check_loss_case::<6, 1, _>(case, &BceLoss, &case.input("target").reshaped(&[1, 6]).to_rows::<1, 6>())
        }
        "bce_with_logits_mean" => check_regression::<3, 4, _>(case, &BceWithLogitsLoss),
        "cross_entropy_logits_mean" => check_classes::<4, 5, _>(case, &CrossEntropyLoss),
        "nll_logprobs_mean" => check_classes::<4, 5, _>(case, &NllLoss),
        "nll_probs_after_softmax_mean" => check_nll_after_softmax(case),
        "huber_delta1_mean" | "huber_delta2_mean" => {
            check_regression::<3, 4, _>(case, &HuberLoss { delta: case.input_scalar("delta") as f32 })
        }
        "smooth_l1_beta1_mean" | "smooth_l1_beta2_mean" => {
            check_regression::<3, 4, _>(case, &SmoothL1Loss { beta: case.input_scalar("beta") as f32 })
        }
        other => panic!("no test for loss case {other}"),
    });
}

/// A loss whose target has the output's shape, on `B` samples of `N` values.
fn check_regression<const N: usize, const B: usize, L: Loss<[f32; N], Target = [f32; N]>>(case: &Case, loss: &L) {
    let target: [[f32; N]; B] = case.input("target").to_rows();
    check_loss_case::<N, B, L>(case, loss, &target);
}

/// A loss on class indices, on `B` samples of `N` classes.
fn check_classes<const N: usize, const B: usize, L: Loss<[f32; N], Target = usize>>(case: &Case, loss: &L) {
    let target = case.input_classes("target", B);
    check_loss_case::<N, B, L>(case, loss, &target);
}

/// Compares `loss` and `grad_pred` for the case's `pred` (of `B` samples of `N` values,
/// 1-D cases are read as one sample).
fn check_loss_case<const N: usize, const B: usize, L: Loss<[f32; N]>>(case: &Case, loss: &L, target: &[L::Target]) {
    let name = &case.name;
    let to_batch = |t: Tensor| if t.shape.len() == 1 { t.reshaped(&[B, N]) } else { t };
    let pred: [[f32; N]; B] = to_batch(case.input("pred")).to_rows();
    let expected_grad = to_batch(case.expected("grad_pred"));
    expected_grad.assert_shape(&[B, N], name);

    let mut grad = [[f32::NAN; N]; B];
    let value = loss.loss_and_grad(&pred, target, &mut grad).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_close_scalar(&format!("{name}: loss"), value, case.expected_scalar("loss"), RTOL);
    assert_close(&format!("{name}: grad_pred"), flatten(&grad), &expected_grad.data, RTOL);
    let alone = loss.loss(&pred, target).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_close_scalar(&format!("{name}: loss() alone"), alone, value as f64, RTOL);
}

/// NLL on probabilities: [`SparseCategoricalCrossEntropy`] on the case's `pred`; then the
/// whole chain from the logits (our [`Softmax`] layer, the loss, the layer's backward) must
/// give `grad_logits`, and so must the fused [`CrossEntropyLoss`].
fn check_nll_after_softmax(case: &Case) {
    const B: usize = 5;
    const N: usize = 4;
    let name = &case.name;
    check_classes::<N, B, _>(case, &SparseCategoricalCrossEntropy);

    let target = case.input_classes("target", B);
    let logits: [[f32; N]; B] = case.input("logits").to_rows();
    let expected_loss = case.expected_scalar("loss");
    let expected_grad = case.expected("grad_logits");
    expected_grad.assert_shape(&[B, N], name);

    let probs = forward::<Softmax<N>, B>(&Softmax, &(), &logits);
    assert_close(&format!("{name}: softmax(logits)"), flatten(&probs), &case.input("pred").data, RTOL);
    let mut dprobs = [[f32::NAN; N]; B];
    let value = SparseCategoricalCrossEntropy.loss_and_grad(&probs, &target, &mut dprobs).unwrap();
    assert_close_scalar(&format!("{name}: loss of softmax(logits)"), value, expected_loss, RTOL);
    let pass = forward_backward::<Softmax<N>, B>(&Softmax, &(), &logits, &dprobs);
    assert_close(&format!("{name}: grad_logits through Softmax"), flatten(&pass.dx), &expected_grad.data, RTOL);

    let mut dlogits = [[f32::NAN; N]; B];
    let fused = CrossEntropyLoss.loss_and_grad(&logits, &target, &mut dlogits).unwrap();
    assert_close_scalar(&format!("{name}: CrossEntropyLoss on the logits"), fused, expected_loss, RTOL);
    assert_close(&format!("{name}: CrossEntropyLoss grad"), flatten(&dlogits), &expected_grad.data, RTOL);
}

/// The loaders read `data` row-major (the last index fastest), as the reference README says.
#[test]
fn reference_tensors_are_read_row_major() {
    let t = Tensor { shape: vec![2, 3], data: vec![0., 1., 2., 3., 4., 5.] };
    let rows: [[f32; 3]; 2] = t.to_rows();
    assert_eq!(rows, [[0., 1., 2.], [3., 4., 5.]]);
    let t = Tensor { shape: vec![3], data: vec![7., 8., 9.] }.reshaped(&[1, 3]);
    assert_eq!(t.to_rows::<1, 3>(), [[7., 8., 9.]]);
}
