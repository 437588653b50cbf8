//! Finite-difference checks of every backward pass and every loss gradient.
//!
//! Layers: with a random upstream gradient `g` and `L = sum(y * g)`, the analytic `dx` and
//! parameter gradients from `backward` must match central differences of `L` computed with
//! `forward` alone, all in f32 (the sum is accumulated in f64).
//! Losses: the gradient from `loss_and_grad` must match central differences of `loss`.

use crate::common;

use common::{FiniteDiff, check_gradients};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use staticnet_core::error::Error;
use staticnet_core::flat::{flatten, flatten_mut};
use staticnet_core::layers::{
    Dense, Elu, Gelu, Identity, LeakyRelu, Prelu, Relu, Selu, Sigmoid, Silu, Softmax, Softplus, Tanh,
};
use staticnet_core::loss::{
    BceLoss, BceWithLogitsLoss, CategoricalCrossEntropy, CrossEntropyLoss, HalfSquaredError, HuberLoss, KlDivLoss,
    KlReduction, Loss, MseLoss, NllLoss, SmoothL1Loss, SparseCategoricalCrossEntropy, WeightedBceWithLogitsLoss,
};
use staticnet_core::{Flat, Forward, GradMode, Layer, Mode};

/// Step and tolerance of a finite-difference check (shared with the CNN checks).
type Tol = FiniteDiff;

/// Smooth functions: a step of 1e-2 keeps the f32 rounding of the differences small,
/// and the truncation error (eps² f'''/6) is ~1e-5.
const SMOOTH: Tol = Tol { eps: 1e-2, rtol: 1e-2, atol: 1e-3 };
/// Functions with a kink at 0: the inputs keep 1e-2 away from it, so a step of 1e-3
/// never straddles it.
const KINKED: Tol = Tol { eps: 1e-3, rtol: 1e-2, atol: 1e-3 };

/// Uniform in [-3, 3].
fn anywhere(rng: &mut SmallRng) -> f32 {
    rng.random_range(-3.0..=3.0)
}

/// Uniform in [-3, 3] but at least 1e-2 away from the kink at 0.
fn away_from_zero(rng: &mut SmallRng) -> f32 {
    loop {
        let v = anywhere(rng);
        if v.abs() >= 1e-2 {
            return v;
        }
    }
}

// ---------------------------------------------------------------- layer checker

/// Checks `dx` and every parameter gradient of `layer` at `params`, on `rows` random
/// samples drawn with `sample` (`rows` may be less than the capacity `CAP`, as the last
/// batch of an epoch is).
fn check_layer<L: Layer, const CAP: usize>(
    what: &str,
    layer: &L,
    params: &L::Params,
    rows: usize,
    sample: fn(&mut SmallRng) -> f32,
    tol: Tol,
    seed: u64,
) {
    assert!(rows <= CAP);
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut x = vec![L::Input::zeroed(); rows];
    flatten_mut(&mut x).iter_mut().for_each(|v| *v = sample(&mut rng));
    let mut g = vec![L::Output::zeroed(); rows];
    flatten_mut(&mut g).iter_mut().for_each(|v| *v = rng.random_range(-1.0..=1.0));
    let state = L::State::zeroed();
    check_gradients::<L, CAP>(what, layer, params, &state, Mode::Train, &x, &g, tol, &|_| {});
}

/// A `Dense<IN, OUT>` with random (PyTorch-default) weights and biases.
fn check_dense<const IN: usize, const OUT: usize, const CAP: usize>(rows: usize, seed: u64) {
    let layer = Dense::<IN, OUT>::default();
    let mut params = <Dense<IN, OUT> as Forward>::Params::zeroed();
    layer.init(&mut params, &mut (), &mut SmallRng::seed_from_u64(seed ^ 0xD5));
    let what = format!("Dense<{IN}, {OUT}> on {rows} of {CAP} rows");
    check_layer::<_, CAP>(&what, &layer, &params, rows, anywhere, SMOOTH, seed);
}

#[test]
fn dense_gradients() {
    // Batches of 4 rows take the blocked kernel path, the rest the remainder path; inner
    // sizes of 8 lanes take the vector path, the rest the tail.
    check_dense::<13, 7, 5>(5, 1); // one block + remainder of 1, lanes + tail of 5
    check_dense::<13, 7, 8>(5, 2); // fewer rows than the capacity
    check_dense::<5, 3, 4>(4, 3); // exactly one block, tail only
    check_dense::<16, 9, 8>(8, 4); // two blocks, lanes only
    check_dense::<17, 2, 7>(7, 5); // one block + remainder of 3
    check_dense::<1, 1, 1>(1, 6); // remainder only
    check_dense::<3, 11, 3>(3, 7); // wider than tall
    check_dense::<24, 1, 12>(10, 8); // two blocks + remainder of 2, single output
}

// ---------------------------------------------------------------- activations

type Sample = [f32; 6];
/// A multi-dimensional sample shape, to exercise the elementwise layers' flattening.
type Image = [[[f32; 3]; 2]; 2];

/// An elementwise activation on `[f32; 6]` samples (5 rows, one block plus a remainder)
/// and on `[[[f32; 3]; 2]; 2]` samples.
fn check_activation<L: Layer<Params = ()>, M: Layer<Params = ()>>(
    what: &str,
    on_rows: L,
    on_images: M,
    sample: fn(&mut SmallRng) -> f32,
    tol: Tol,
) {
    check_layer::<L, 8>(&format!("{what} on [f32; 6]"), &on_rows, &(), 5, sample, tol, 11);
    check_layer::<M, 4>(&format!("{what} on [[[f32; 3]; 2]; 2]"), &on_images, &(), 3, sample, tol, 12);
}

#[test]
fn smooth_activation_gradients() {
    check_activation("Identity", Identity::<Sample>::default(), Identity::<Image>::default(), anywhere, SMOOTH);
    check_activation("Sigmoid", Sigmoid::<Sample>::default(), Sigmoid::<Image>::default(), anywhere, SMOOTH);
    check_activation("Tanh", Tanh::<Sample>::default(), Tanh::<Image>::default(), anywhere, SMOOTH);
    check_activation("Silu", Silu::<Sample>::default(), Silu::<Image>::default(), anywhere, SMOOTH);
    check_activation("Softplus", Softplus::<Sample>::default(), Softplus::<Image>::default(), anywhere, SMOOTH);
    check_activation("Gelu(erf)", Gelu::<Sample>::new(false), Gelu::<Image>::new(false), anywhere, SMOOTH);
    check_activation("Gelu(tanh)", Gelu::<Sample>::new(true), Gelu::<Image>::new(true), anywhere, SMOOTH);
    // ELU with alpha = 1 is C¹ at 0, but its second derivative jumps there.
    check_activation("Elu(1)", Elu::<Sample>::new(1.0), Elu::<Image>::new(1.0), away_from_zero, KINKED);
}

#[test]
fn kinked_activation_gradients() {
    check_activation("Relu", Relu::<Sample>::default(), Relu::<Image>::default(), away_from_zero, KINKED);
    for slope in [0.01, 0.2, -0.5] {
        let what = format!("LeakyRelu({slope})");
        check_activation(
            &what,
            LeakyRelu::<Sample>::new(slope),
            LeakyRelu::<Image>::new(slope),
            away_from_zero,
            KINKED,
        );
    }
    check_activation("Elu(0.5)", Elu::<Sample>::new(0.5), Elu::<Image>::new(0.5), away_from_zero, KINKED);
    check_activation("Selu", Selu::<Sample>::default(), Selu::<Image>::default(), away_from_zero, KINKED);
}

#[test]
fn prelu_gradients() {
    for (seed, slope) in [(21, 0.25), (22, -0.3), (23, 1.7)] {
        let layer = Prelu::<Sample>::new(slope);
        let mut params = [0.0];
        layer.init(&mut params, &mut (), &mut SmallRng::seed_from_u64(seed));
        assert_eq!(params, [slope]);
        check_layer::<_, 8>(&format!("Prelu({slope})"), &layer, &params, 5, away_from_zero, KINKED, seed);
        let layer = Prelu::<Image>::new(slope);
        check_layer::<_, 4>(&format!("Prelu({slope}) on images"), &layer, &params, 3, away_from_zero, KINKED, seed);
    }
    // One slope per channel, `nn.PReLU(num_parameters)`: per feature of a flat sample, per
    // channel of an image, with slopes of both signs.
    let layer = Prelu::<Sample, 6>::new(0.25);
    let mut params = [0.0; 6];
    layer.init(&mut params, &mut (), &mut SmallRng::seed_from_u64(0));
    assert_eq!(params, [0.25; 6]);
    let params = [0.25, -0.3, 1.7, 0.0, 0.5, -1.2];
    check_layer::<_, 8>("Prelu(num_parameters = 6)", &layer, &params, 5, away_from_zero, KINKED, 24);
    let layer = Prelu::<Image, 2>::new(0.25);
    check_layer::<_, 4>("Prelu(num_parameters = 2) on images", &layer, &[0.4, -0.7], 3, away_from_zero, KINKED, 25);
    // Each channel uses its own slope: channel 1 of an image is scaled by a_1 only.
    let x: [Image; 1] = [[[[-1.0; 3]; 2], [[-2.0; 3]; 2]]];
    let mut y = [[[[0.0; 3]; 2]; 2]; 1];
    layer.infer::<1>(&[0.4, -0.7], &(), &x, &mut y, &mut ());
    assert_eq!(y[0][0], [[-0.4; 3]; 2]);
    assert_eq!(y[0][1], [[1.4; 3]; 2]);
}

#[test]
fn softmax_gradients() {
    check_layer::<_, 8>("Softmax<6>", &Softmax::<6>, &(), 5, anywhere, SMOOTH, 31);
    check_layer::<_, 4>("Softmax<7>", &Softmax::<7>, &(), 4, anywhere, SMOOTH, 32);
    check_layer::<_, 1>("Softmax<2>", &Softmax::<2>, &(), 1, anywhere, SMOOTH, 33);
}

// ---------------------------------------------------------------- losses

/// Checks `loss_and_grad`'s gradient against central differences of `loss`, and that both
/// give the same loss.
fn check_loss<const N: usize, L: Loss<[f32; N]>>(
    what: &str,
    loss: &L,
    output: &[[f32; N]],
    target: &[L::Target],
    tol: Tol,
) {
    let mut grad = vec![[f32::NAN; N]; output.len()];
    let value = loss.loss_and_grad(output, target, &mut grad).unwrap_or_else(|e| panic!("{what}: {e}"));
    let alone = loss.loss(output, target).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(value.is_finite() && value == alone, "{what}: loss_and_grad gives {value}, loss {alone}");

    let mut bad = Vec::new();
    let grad = flatten(&grad);
    for (i, &analytic) in grad.iter().enumerate() {
        let (mut plus, mut minus) = (output.to_vec(), output.to_vec());
        flatten_mut(&mut plus)[i] += tol.eps;
        flatten_mut(&mut minus)[i] -= tol.eps;
        let step = flatten(&plus)[i] - flatten(&minus)[i];
        let numeric = (loss.loss(&plus, target).unwrap() - loss.loss(&minus, target).unwrap()) / step;
        if !tol.agree(analytic, numeric) {
            bad.push(format!("grad[{i}] (output {}): {analytic:e}, numeric {numeric:e}", flatten(output)[i]));
        }
    }
    assert!(bad.is_empty(), "{what}: {} gradients disagree:\n  {}", bad.len(), bad.join("\n  "));
}

/// Loss gradients are of order 1/(B·N); judge them on that scale.
const LOSS: Tol = Tol { eps: 1e-2, rtol: 1e-2, atol: 1e-4 };
/// BCE on probabilities curves steeply near 0 and 1 (f''' ~ 2/p³): a smaller step.
const LOSS_STEEP: Tol = Tol { eps: 1e-3, rtol: 1e-2, atol: 1e-4 };

fn random_rows<const N: usize>(
    rng: &mut SmallRng,
    rows: usize,
    mut sample: impl FnMut(&mut SmallRng) -> f32,
) -> Vec<[f32; N]> {
    (0..rows).map(|_| core::array::from_fn(|_| sample(rng))).collect()
}

fn random_classes<const N: usize>(rng: &mut SmallRng, rows: usize) -> Vec<usize> {
    (0..rows).map(|_| rng.random_range(0..N)).collect()
}

#[test]
fn regression_loss_gradients() {
    let mut rng = SmallRng::seed_from_u64(41);
    let output = random_rows::<4>(&mut rng, 5, anywhere);
    let target = random_rows::<4>(&mut rng, 5, anywhere);
    check_loss("MseLoss", &MseLoss, &output, &target, LOSS);
    check_loss("HalfSquaredError", &HalfSquaredError, &output, &target, LOSS);

    let output = random_rows::<7>(&mut rng, 3, anywhere);
    let target = random_rows::<7>(&mut rng, 3, anywhere);
    check_loss("MseLoss 3x7", &MseLoss, &output, &target, LOSS);
    check_loss("HalfSquaredError 3x7", &HalfSquaredError, &output, &target, LOSS);
}

#[test]
fn huber_and_smooth_l1_gradients() {
    for threshold in [0.5f32, 1.0, 2.0] {
        let mut rng = SmallRng::seed_from_u64(42);
        // Residuals on both sides of the threshold, but a few steps away from |r| =
        // threshold, where the second derivative jumps.
        let residual = |rng: &mut SmallRng| loop {
            let r = anywhere(rng);
            if (r.abs() - threshold).abs() > 5.0 * LOSS.eps {
                return r;
            }
        };
        let residuals = random_rows::<4>(&mut rng, 6, residual);
        let flat = flatten(&residuals);
        assert!(flat.iter().any(|r| r.abs() < threshold) && flat.iter().any(|r| r.abs() > threshold));
        let output = random_rows::<4>(&mut rng, 6, anywhere);
        let target: Vec<[f32; 4]> =
            output.iter().zip(&residuals).map(|(o, r)| core::array::from_fn(|i| o[i] - r[i])).collect();
        check_loss(&format!("HuberLoss({threshold})"), &HuberLoss { delta: threshold }, &output, &target, LOSS);
        check_loss(&format!("SmoothL1Loss({threshold})"), &SmoothL1Loss { beta: threshold }, &output, &target, LOSS);
    }
}

#[test]
fn binary_cross_entropy_gradients() {
    let mut rng = SmallRng::seed_from_u64(43);
    let probs = random_rows::<3>(&mut rng, 6, |r| r.random_range(0.05..0.95));
    let hard = random_rows::<3>(&mut rng, 6, |r| if r.random_bool(0.5) { 1.0 } else { 0.0 });
    let soft = random_rows::<3>(&mut rng, 6, |r| r.random_range(0.0..=1.0));
    check_loss("BceLoss, hard targets", &BceLoss, &probs, &hard, LOSS_STEEP);
    check_loss("BceLoss, soft targets", &BceLoss, &probs, &soft, LOSS_STEEP);

    let logits = random_rows::<3>(&mut rng, 6, |r| r.random_range(-4.0..=4.0));
    check_loss("BceWithLogitsLoss, hard targets", &BceWithLogitsLoss, &logits, &hard, LOSS);
    check_loss("BceWithLogitsLoss, soft targets", &BceWithLogitsLoss, &logits, &soft, LOSS);
}

#[test]
fn class_loss_gradients() {
    let mut rng = SmallRng::seed_from_u64(44);
    let logits = random_rows::<4>(&mut rng, 5, anywhere);
    let classes = random_classes::<4>(&mut rng, 5);
    check_loss("CrossEntropyLoss", &CrossEntropyLoss, &logits, &classes, LOSS);
    let logits = random_rows::<10>(&mut rng, 9, anywhere);
    let classes10 = random_classes::<10>(&mut rng, 9);
    check_loss("CrossEntropyLoss 9x10", &CrossEntropyLoss, &logits, &classes10, LOSS);

    let log_probs = random_rows::<4>(&mut rng, 5, |r| r.random_range(-5.0..0.0));
    check_loss("NllLoss", &NllLoss, &log_probs, &classes, LOSS);

    // SparseCategoricalCrossEntropy only reads p[y]; probabilities in (0.05, 0.95).
    let probs = random_rows::<4>(&mut rng, 5, |r| r.random_range(0.05..0.95));
    check_loss("SparseCategoricalCrossEntropy", &SparseCategoricalCrossEntropy, &probs, &classes, LOSS_STEEP);
}

#[test]
fn soft_target_loss_gradients() {
    let mut rng = SmallRng::seed_from_u64(45);
    let logits = random_rows::<4>(&mut rng, 5, anywhere);
    let soft: Vec<[f32; 4]> = random_rows::<4>(&mut rng, 5, |r| r.random_range(0.0..1.0))
        .into_iter()
        .map(|t| {
            let sum: f32 = t.iter().sum();
            t.map(|v| v / sum)
        })
        .collect();
    for label_smoothing in [0.0, 0.1] {
        let loss = CategoricalCrossEntropy { label_smoothing };
        check_loss(&format!("CategoricalCrossEntropy({label_smoothing})"), &loss, &logits, &soft, LOSS);
    }
    let log_probs: Vec<[f32; 4]> = logits.iter().map(|z| staticnet_core::softmax(z).map(f32::ln)).collect();
    for reduction in [KlReduction::BatchMean, KlReduction::Mean] {
        check_loss(
            &format!("KlDivLoss({reduction:?})"),
            &KlDivLoss { reduction, log_target: false },
            &log_probs,
            &soft,
            LOSS,
        );
        let log_soft: Vec<[f32; 4]> = soft.iter().map(|t| t.map(f32::ln)).collect();
        let loss = KlDivLoss { reduction, log_target: true };
        check_loss(&format!("KlDivLoss({reduction:?}, log_target)"), &loss, &log_probs, &log_soft, LOSS);
    }
    let logits = random_rows::<3>(&mut rng, 6, |r| r.random_range(-4.0..=4.0));
    let hard = random_rows::<3>(&mut rng, 6, |r| if r.random_bool(0.5) { 1.0 } else { 0.0 });
    let soft = random_rows::<3>(&mut rng, 6, |r| r.random_range(0.0..=1.0));
    let weighted = WeightedBceWithLogitsLoss { pos_weight: [2.0, 0.5, 3.0] };
    check_loss("WeightedBceWithLogitsLoss, hard targets", &weighted, &logits, &hard, LOSS);
    check_loss("WeightedBceWithLogitsLoss, soft targets", &weighted, &logits, &soft, LOSS);
}

// ---------------------------------------------------------------- saturation and errors

/// Runs `loss_and_grad` and `loss`, and asserts that the loss and every gradient are finite.
fn finite_loss<const N: usize, L: Loss<[f32; N]>>(
    what: &str,
    loss: &L,
    output: &[[f32; N]],
    target: &[L::Target],
) -> f32 {
    let mut grad = vec![[f32::NAN; N]; output.len()];
    let value = loss.loss_and_grad(output, target, &mut grad).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(value.is_finite(), "{what}: loss {value}");
    assert_eq!(loss.loss(output, target), Ok(value), "{what}: loss() and loss_and_grad() differ");
    assert!(flatten(&grad).iter().all(|g| g.is_finite()), "{what}: gradient {grad:?}");
    value
}

#[test]
fn losses_stay_finite_when_saturated() {
    // Logits of ±100: the log-sum-exp must not overflow.
    let logits = [[100.0, -100.0, 0.0], [-100.0, 100.0, 0.0], [100.0, 100.0, -100.0], [-100.0; 3]];
    let loss = finite_loss("CrossEntropyLoss ±100", &CrossEntropyLoss, &logits, &[0, 0, 2, 1]);
    // Row terms: ~0, 200, 200 + ln 2, ln 3.
    let want = (200.0 + 200.0 + 2f32.ln() + 3f32.ln()) / 4.0;
    assert!((loss - want).abs() < 1e-4 * want, "CrossEntropyLoss ±100: {loss}, want {want}");

    let logits = [[100.0, -100.0, 100.0, -100.0]];
    let loss = finite_loss("BceWithLogitsLoss ±100", &BceWithLogitsLoss, &logits, &[[1.0, 0.0, 0.0, 1.0]]);
    assert!((loss - 50.0).abs() < 1e-4, "BceWithLogitsLoss ±100: {loss}, want 50");

    // Exact 0 and 1 probabilities: PyTorch clamps each log at -100.
    let probs = [[0.0, 1.0, 0.0, 1.0]];
    let loss = finite_loss("BceLoss 0/1 matching", &BceLoss, &probs, &[[0.0, 1.0, 0.0, 1.0]]);
    assert_eq!(loss, 0.0, "BceLoss with exact matching 0/1 probabilities");
    let loss = finite_loss("BceLoss 0/1 wrong", &BceLoss, &probs, &[[1.0, 0.0, 1.0, 0.0]]);
    assert!((loss - 100.0).abs() < 1e-4, "BceLoss with exactly wrong 0/1 probabilities: {loss}, want 100");

    let probs = [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]];
    finite_loss("SparseCategoricalCrossEntropy p = 0", &SparseCategoricalCrossEntropy, &probs, &[0, 1]);
    let loss = finite_loss("SparseCategoricalCrossEntropy p = 1", &SparseCategoricalCrossEntropy, &probs, &[1, 0]);
    assert_eq!(loss, 0.0);
}

/// Both `loss` and `loss_and_grad` of a class loss reject a class index of `N`.
fn rejects_class_out_of_range<const N: usize, L: Loss<[f32; N], Target = usize>>(what: &str, loss: &L) {
    let output = [[0.25; N]; 3];
    let want = |row| Err(Error::ClassOutOfRange { row, class: N, classes: N });
    let mut grad = [[0.0; N]; 3];
    assert_eq!(loss.loss(&output, &[0, N, 1]), want(1), "{what}: loss");
    assert_eq!(loss.loss_and_grad(&output, &[0, 0, N], &mut grad), want(2), "{what}: loss_and_grad");
    let huge = Err(Error::ClassOutOfRange { row: 0, class: usize::MAX, classes: N });
    assert_eq!(loss.loss_and_grad(&output, &[usize::MAX, 0, 0], &mut grad), huge, "{what}: usize::MAX");
    assert_eq!(loss.loss(&output, &[N - 1; 3]).map(f32::is_finite), Ok(true), "{what}: last class");
}

#[test]
fn class_index_out_of_range_is_an_error() {
    rejects_class_out_of_range::<4, _>("CrossEntropyLoss", &CrossEntropyLoss);
    rejects_class_out_of_range::<4, _>("NllLoss", &NllLoss);
    rejects_class_out_of_range::<4, _>("SparseCategoricalCrossEntropy", &SparseCategoricalCrossEntropy);
    rejects_class_out_of_range::<1, _>("CrossEntropyLoss, one class", &CrossEntropyLoss);
}

#[test]
fn mismatched_or_empty_batches_are_errors() {
    let output = [[0.5f32; 3]; 2];
    let mut grad = [[0.0; 3]; 2];
    let count = Err(Error::TargetCount { outputs: 2, targets: 1 });
    assert_eq!(MseLoss.loss_and_grad(&output, &[[0.0; 3]], &mut grad), count);
    assert_eq!(CrossEntropyLoss.loss_and_grad(&output, &[0], &mut grad), count);
    let empty: [[f32; 3]; 0] = [];
    assert_eq!(BceLoss.loss(&empty, &[]), Err(Error::EmptyBatch));
    assert_eq!(NllLoss.loss(&empty, &[]), Err(Error::EmptyBatch));
}

// ---------------------------------------------------------------- the checkers themselves

/// `y = a x²`, whose backward can be told to get `dx` or `da` wrong: the checkers must
/// notice, or the tests above would prove nothing.
struct Square {
    wrong_dx: bool,
    wrong_da: bool,
}

impl Forward for Square {
    type Input = [f32; 3];
    type Output = [f32; 3];
    type Params = [f32; 1];
    type State = ();
    type Scratch<const B: usize> = ();

    fn infer<const B: usize>(&self, params: &[f32; 1], _: &(), x: &[[f32; 3]], y: &mut [[f32; 3]], _: &mut ()) {
        for (y, &x) in flatten_mut(y).iter_mut().zip(flatten(x)) {
            *y = params[0] * x * x;
        }
    }
}

impl Layer for Square {
    type Cache<const B: usize> = ();

    fn init<R: rand::RngCore + ?Sized>(&self, params: &mut [f32; 1], _: &mut (), _: &mut R) {
        *params = [1.5];
    }

    fn forward<const B: usize>(
        &self,
        params: &[f32; 1],
        _: &(),
        x: &[[f32; 3]],
        y: &mut [[f32; 3]],
        _: &mut (),
        _: Mode,
    ) {
        self.infer::<B>(params, &(), x, y, &mut ());
    }

    fn backward<const B: usize>(
        &self,
        params: &[f32; 1],
        x: &[[f32; 3]],
        _: &[[f32; 3]],
        dy: &[[f32; 3]],
        _: &mut (),
        dx: Option<&mut [[f32; 3]]>,
        grads: &mut [f32; 1],
        mode: GradMode,
    ) {
        let (x, dy) = (flatten(x), flatten(dy));
        let da: f32 = x.iter().zip(dy).map(|(x, g)| x * x * g).sum();
        mode.store(&mut grads[0], if self.wrong_da { 1.05 * da } else { da });
        if let Some(dx) = dx {
            let factor = if self.wrong_dx { 1.9 } else { 2.0 };
            for ((dx, &x), &g) in flatten_mut(dx).iter_mut().zip(x).zip(dy) {
                *dx = factor * params[0] * x * g;
            }
        }
    }
}

fn check_square(wrong_dx: bool, wrong_da: bool) {
    let layer = Square { wrong_dx, wrong_da };
    let mut params = [0.0];
    layer.init(&mut params, &mut (), &mut SmallRng::seed_from_u64(0));
    check_layer::<_, 4>("Square", &layer, &params, 3, anywhere, SMOOTH, 51);
}

#[test]
fn layer_checker_accepts_a_correct_backward() {
    check_square(false, false);
}

#[test]
#[should_panic(expected = "dx[")]
fn layer_checker_catches_a_wrong_input_gradient() {
    check_square(true, false);
}

#[test]
#[should_panic(expected = "param grad [0]")]
fn layer_checker_catches_a_wrong_parameter_gradient() {
    check_square(false, true);
}

/// Mean squared error whose gradient forgets the factor 2.
struct HalfGradMse;

impl Loss<[f32; 2]> for HalfGradMse {
    type Target = [f32; 2];

    fn loss_and_grad(&self, output: &[[f32; 2]], target: &[[f32; 2]], grad: &mut [[f32; 2]]) -> Result<f32, Error> {
        for ((g, o), t) in flatten_mut(grad).iter_mut().zip(flatten(output)).zip(flatten(target)) {
            *g = (o - t) / (2 * output.len()) as f32;
        }
        self.loss(output, target)
    }

    fn loss(&self, output: &[[f32; 2]], target: &[[f32; 2]]) -> Result<f32, Error> {
        MseLoss.loss(output, target)
    }
}

#[test]
#[should_panic(expected = "HalfGradMse: 6 gradients disagree")]
fn loss_checker_catches_a_wrong_gradient() {
    let mut rng = SmallRng::seed_from_u64(52);
    let output = random_rows::<2>(&mut rng, 3, anywhere);
    let target = random_rows::<2>(&mut rng, 3, anywhere);
    check_loss("HalfGradMse", &HalfGradMse, &output, &target, LOSS);
}
