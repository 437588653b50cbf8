//! A NaN or an infinity in the inputs, the targets or inside the forward pass of any layer
//! kind is an `Error`, and the parameters, the running statistics and the optimizer state
//! (Adam's moments and step count) are bit-identical after the failed step (issue 9).

use staticnet::prelude::*;

const BAD: [f32; 3] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY];

/// Every bit of what a training step may change: parameters, state, Adam's moments and steps.
fn snapshot<N: Layer>(model: &Model<N>, adam: &Adam<N>) -> (Vec<u32>, Vec<u32>, Vec<u32>, u64) {
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let moments = [adam.exp_avg().as_flat(), adam.exp_avg_sq().as_flat()].concat();
    (bits(model.params.as_flat()), bits(model.state.as_flat()), bits(&moments), adam.steps())
}

/// A model and an Adam whose moments are non-zero (one clean step taken).
fn trained<N>(inputs: &[N::Input], targets: &[[f32; 2]]) -> (Box<Model<N>>, Box<Adam<N>>)
where
    N: Layer<Output = [f32; 2]> + Default,
{
    let mut model = Model::<N>::new_boxed(7);
    let mut adam = Adam::<N>::new_boxed(1e-2);
    let mut ws = Workspace::<N, 4>::new_boxed();
    ws.train_step(&mut model, inputs, targets, &MseLoss, &mut *adam).expect("a clean step trains");
    (model, adam)
}

/// One failing step: the error it returns, with everything checked unchanged.
fn failing_step<N: Layer, T, L: LossFor<N::Output, T>>(
    model: &mut Model<N>,
    adam: &mut Adam<N>,
    inputs: &[N::Input],
    targets: &[T],
    loss: &L,
) -> Error {
    let before = snapshot(model, adam);
    let mut ws = Workspace::<N, 4>::new_boxed();
    let error = match ws.train_step(model, inputs, targets, loss, adam) {
        Err(error) => error,
        Ok(loss) => panic!("the step succeeded with loss {loss}"),
    };
    assert_eq!(snapshot(model, adam), before, "state changed on `{error}`");
    error
}

/// NaN, +inf and -inf as an input value, then as a value inside the network (the bias of
/// the layer `pre` in front of the layer under test, written by `inject`).
fn check<N>(inputs: [N::Input; 4], inject: impl Fn(&mut Model<N>, f32))
where
    N: Layer<Output = [f32; 2]> + Default,
    N::Input: Copy,
{
    let targets = [[0.5, -0.5], [1.0, 0.0], [0.0, 1.0], [-1.0, 0.25]];
    for bad in BAD {
        let (mut model, mut adam) = trained::<N>(&inputs, &targets);
        let mut corrupt = inputs;
        corrupt[2].as_flat_mut()[1] = bad;
        let error = failing_step(&mut model, &mut adam, &corrupt, &targets, &MseLoss);
        assert!(matches!(error, Error::NonFiniteInput { row: 2, index: 1, .. }), "{error}");
        assert!(error.to_string().starts_with("input row 2 holds"), "{error}");
    }
    // Inside the network a NaN must reach the loss or the gradients in every layer kind
    // (PyTorch propagates it). An infinity may be squashed to a finite value on the way
    // (ReLU(-inf) = 0, sigmoid(inf) = 1), as in PyTorch; if the step then succeeds,
    // nothing non-finite may have reached the other parameters or Adam's moments.
    for bad in BAD {
        let (mut model, mut adam) = trained::<N>(&inputs, &targets);
        inject(&mut model, bad);
        let before = snapshot(&model, &adam);
        let mut ws = Workspace::<N, 4>::new_boxed();
        match ws.train_step(&mut model, &inputs, &targets, &MseLoss, &mut *adam) {
            Err(error) => assert_eq!(snapshot(&model, &adam), before, "state changed on `{error}`"),
            Ok(loss) => {
                // The injected parameter itself stays infinite, and its own moments may
                // not be finite (the update reads the parameter); nothing else may change.
                assert!(!bad.is_nan(), "NaN inside the network trained, loss {loss}");
                let injected = model.params.as_flat().iter().position(|v| !v.is_finite());
                let others_finite = |v: &[f32]| v.iter().enumerate().all(|(i, v)| Some(i) == injected || v.is_finite());
                assert!(others_finite(model.params.as_flat()), "a non-finite value reached the parameters");
                assert!(ws.grads().as_flat().iter().all(|g| g.is_finite()));
                assert!(others_finite(adam.exp_avg().as_flat()) && others_finite(adam.exp_avg_sq().as_flat()));
            }
        }
    }
}

fn features(r: usize) -> [f32; 4] {
    core::array::from_fn(|i| ((r * 4 + i) as f32 * 0.37).sin())
}

fn image(r: usize) -> [[[f32; 6]; 6]; 1] {
    [core::array::from_fn(|h| core::array::from_fn(|w| ((r * 36 + h * 6 + w) as f32 * 0.41).cos()))]
}

// One network per layer kind, `pre` (whose bias carries the injected value) in front of
// it. Written out: `network!` inside a `macro_rules!` loses the hygiene of its own names.

/// The test of one network: `check` with its inputs and its injection.
macro_rules! layer_test {
    ($test:ident, $net:ident, $inputs:expr) => {
        #[test]
        fn $test() {
            check::<$net>(core::array::from_fn($inputs), |m, v| m.params.pre.bias[1] = v);
        }
    };
}

network! {
    struct WithDense {
        input: [4],
        pre: Dense(6),
        fc: Dense(5),
        head: Dense(2),
    }
}
layer_test!(dense, WithDense, features);

network! {
    struct WithIdentity {
        input: [4],
        pre: Dense(6),
        Identity,
        head: Dense(2),
    }
}
layer_test!(identity, WithIdentity, features);

network! {
    struct WithRelu {
        input: [4],
        pre: Dense(6),
        Relu,
        head: Dense(2),
    }
}
layer_test!(relu, WithRelu, features);

network! {
    struct WithLeakyRelu {
        input: [4],
        pre: Dense(6),
        LeakyRelu(0.1),
        head: Dense(2),
    }
}
layer_test!(leaky_relu, WithLeakyRelu, features);

network! {
    struct WithElu {
        input: [4],
        pre: Dense(6),
        Elu,
        head: Dense(2),
    }
}
layer_test!(elu, WithElu, features);

network! {
    struct WithSelu {
        input: [4],
        pre: Dense(6),
        Selu,
        head: Dense(2),
    }
}
layer_test!(selu, WithSelu, features);

network! {
    struct WithSilu {
        input: [4],
        pre: Dense(6),
        Silu,
        head: Dense(2),
    }
}
layer_test!(silu, WithSilu, features);

network! {
    struct WithGelu {
        input: [4],
        pre: Dense(6),
        Gelu,
        head: Dense(2),
    }
}
layer_test!(gelu, WithGelu, features);

network! {
    struct WithGeluTanh {
        input: [4],
        pre: Dense(6),
        Gelu(approximate = "tanh"),
        head: Dense(2),
    }
}
layer_test!(gelu_tanh, WithGeluTanh, features);

network! {
    struct WithSoftplus {
        input: [4],
        pre: Dense(6),
        Softplus,
        head: Dense(2),
    }
}
layer_test!(softplus, WithSoftplus, features);

network! {
    struct WithSigmoid {
        input: [4],
        pre: Dense(6),
        Sigmoid,
        head: Dense(2),
    }
}
layer_test!(sigmoid, WithSigmoid, features);

network! {
    struct WithTanh {
        input: [4],
        pre: Dense(6),
        Tanh,
        head: Dense(2),
    }
}
layer_test!(tanh, WithTanh, features);

network! {
    struct WithPrelu {
        input: [4],
        pre: Dense(6),
        Prelu,
        head: Dense(2),
    }
}
layer_test!(prelu, WithPrelu, features);

network! {
    struct WithSoftmax {
        input: [4],
        pre: Dense(6),
        Softmax,
        head: Dense(2),
    }
}
layer_test!(softmax, WithSoftmax, features);

network! {
    struct WithDropout {
        input: [4],
        pre: Dense(6),
        Dropout(0.5),
        head: Dense(2),
    }
}
layer_test!(dropout, WithDropout, features);

network! {
    struct WithBatchNorm1d {
        input: [4],
        pre: Dense(6),
        BatchNorm,
        head: Dense(2),
    }
}
layer_test!(batch_norm_1d, WithBatchNorm1d, features);

network! {
    struct WithResidual {
        input: [4],
        pre: Dense(6),
        res: Residual { fc: Dense(6), Relu },
        head: Dense(2),
    }
}
layer_test!(residual, WithResidual, features);

network! {
    struct WithConv2d {
        input: [1, 6, 6],
        pre: Conv2d(2, kernel_size = 3, padding = 1),
        conv: Conv2d(2,
        kernel_size = 3),
        Flatten,
        head: Dense(2),
    }
}
layer_test!(conv2d, WithConv2d, image);

network! {
    struct WithMaxPool2d {
        input: [1, 6, 6],
        pre: Conv2d(2, kernel_size = 3, padding = 1),
        MaxPool2d(2),
        Flatten,
        head: Dense(2),
    }
}
layer_test!(max_pool2d, WithMaxPool2d, image);

network! {
    struct WithMaxPool2dPadded {
        input: [1, 6, 6],
        pre: Conv2d(2, kernel_size = 3, padding = 1),
        Relu,
        MaxPool2d(3,
        stride = 1,
        padding = 1),
        Flatten,
        head: Dense(2),
    }
}
layer_test!(max_pool2d_padded, WithMaxPool2dPadded, image);

network! {
    struct WithAvgPool2d {
        input: [1, 6, 6],
        pre: Conv2d(2, kernel_size = 3, padding = 1),
        AvgPool2d(2),
        Flatten,
        head: Dense(2),
    }
}
layer_test!(avg_pool2d, WithAvgPool2d, image);

network! {
    struct WithGlobalAvgPool {
        input: [1, 6, 6],
        pre: Conv2d(2, kernel_size = 3, padding = 1),
        GlobalAvgPool,
        head: Dense(2),
    }
}
layer_test!(global_avg_pool, WithGlobalAvgPool, image);

network! {
    struct WithBatchNorm2d {
        input: [1, 6, 6],
        pre: Conv2d(2, kernel_size = 3, padding = 1),
        BatchNorm,
        Flatten,
        head: Dense(2),
    }
}
layer_test!(batch_norm_2d, WithBatchNorm2d, image);

network! {
    struct WithFlatten {
        input: [1, 6, 6],
        pre: Conv2d(2, kernel_size = 3, padding = 1),
        Flatten,
        head: Dense(2),
    }
}
layer_test!(flatten, WithFlatten, image);

network! {
    struct Head {
        input: [3],
        hidden: Dense(4),
        Relu,
        out: Dense(2),
    }
}

fn head_inputs() -> [[f32; 3]; 4] {
    [[0.1, -0.2, 0.3], [0.5, 0.4, -0.6], [-0.7, 0.8, 0.2], [0.0, 0.3, -0.1]]
}

/// A Head model and an Adam with non-zero moments.
fn head() -> (Box<Model<Head>>, Box<Adam<Head>>) {
    trained::<Head>(&head_inputs(), &[[0.2, 0.8], [0.6, 0.4], [1.0, 0.0], [0.5, 0.5]])
}

/// A non-finite target of a regression or probability loss names its row; an out-of-range
/// probability too; and NaN outputs (a NaN bias in the last layer) never train.
fn check_regression_loss<L: Loss<[f32; 2], Target = [f32; 2]>>(loss: &L) {
    let targets = [[0.2, 0.8], [0.6, 0.4], [1.0, 0.0], [0.5, 0.5]];
    for bad in BAD {
        let (mut model, mut adam) = head();
        let mut corrupt = targets;
        corrupt[3][0] = bad;
        let error = failing_step(&mut model, &mut adam, &head_inputs(), &corrupt, loss);
        assert!(matches!(error, Error::NonFiniteTarget { row: 3, index: 0, .. }), "{error}");
        assert!(error.to_string().starts_with("target row 3 holds"), "{error}");

        let (mut model, mut adam) = head();
        model.params.out.bias[1] = bad;
        failing_step(&mut model, &mut adam, &head_inputs(), &targets, loss);
    }
}

#[test]
fn regression_losses() {
    check_regression_loss(&MseLoss);
    check_regression_loss(&HalfSquaredError);
    check_regression_loss(&HuberLoss::default());
    check_regression_loss(&SmoothL1Loss::default());
    check_regression_loss(&BceWithLogitsLoss);
}

network! {
    struct Probabilities {
        input: [3],
        hidden: Dense(4),
        Relu,
        out: Dense(2),
        Sigmoid,
    }
}

#[test]
fn bce_losses_reject_non_finite_and_out_of_range_targets() {
    let inputs = head_inputs();
    let targets = [[0.2, 0.8], [0.6, 0.4], [1.0, 0.0], [0.5, 0.5]];
    let mut model = Model::<Probabilities>::new_boxed(1);
    let mut adam = Adam::<Probabilities>::new_boxed(1e-2);
    Workspace::<Probabilities, 4>::new_boxed().train_step(&mut model, &inputs, &targets, &BceLoss, &mut *adam).unwrap();
    for bad in BAD {
        let mut corrupt = targets;
        corrupt[1][1] = bad;
        let error = failing_step(&mut model, &mut adam, &inputs, &corrupt, &BceLoss);
        assert!(matches!(error, Error::NonFiniteTarget { row: 1, index: 1, .. }), "{error}");
    }
    for bad in [2.0, -1.0] {
        let mut corrupt = targets;
        corrupt[2][0] = bad;
        let error = failing_step(&mut model, &mut adam, &inputs, &corrupt, &BceLoss);
        assert_eq!(error, Error::TargetOutOfRange { row: 2, index: 0, value: bad });
        assert_eq!(error.to_string(), format!("target row 2 holds {bad} at index 0, outside the probabilities [0, 1]"));
        let (mut model, mut adam) = head();
        let error = failing_step(&mut model, &mut adam, &inputs, &corrupt, &BceWithLogitsLoss);
        assert_eq!(error, Error::TargetOutOfRange { row: 2, index: 0, value: bad });
    }
    // A NaN probability (NaN inside the network) gives a NaN loss, not a clamped one.
    model.params.out.bias[0] = f32::NAN;
    assert!(matches!(failing_step(&mut model, &mut adam, &inputs, &targets, &BceLoss), Error::NonFiniteLoss(_)));
}

/// NaN logits or probabilities never train a class loss; a class out of range is an error
/// before the forward pass.
fn check_class_loss<L: Loss<[f32; 2], Target = usize>>(loss: &L) {
    let labels = [0, 1, 1, 0];
    for bad in BAD {
        let (mut model, mut adam) = head();
        let mut corrupt = head_inputs();
        corrupt[0][2] = bad;
        let error = failing_step(&mut model, &mut adam, &corrupt, &labels, loss);
        assert!(matches!(error, Error::NonFiniteInput { row: 0, index: 2, .. }), "{error}");
        let (mut model, mut adam) = head();
        model.params.out.bias[0] = bad;
        failing_step(&mut model, &mut adam, &head_inputs(), &labels, loss);
    }
    let (mut model, mut adam) = head();
    let error = failing_step(&mut model, &mut adam, &head_inputs(), &[0, 1, 2, 0], loss);
    assert_eq!(error, Error::ClassOutOfRange { row: 2, class: 2, classes: 2 });
}

#[test]
fn class_losses() {
    check_class_loss(&CrossEntropyLoss);
    check_class_loss(&NllLoss);
}

network! {
    struct SoftmaxHead {
        input: [3],
        hidden: Dense(4),
        Relu,
        out: Dense(2),
        Softmax,
    }
}

#[test]
fn sparse_categorical_cross_entropy_keeps_nan() {
    let inputs = head_inputs();
    let mut model = Model::<SoftmaxHead>::new_boxed(1);
    let mut adam = Adam::<SoftmaxHead>::new_boxed(1e-2);
    let loss = SparseCategoricalCrossEntropy;
    Workspace::<SoftmaxHead, 4>::new_boxed().train_step(&mut model, &inputs, &[0, 1, 1, 0], &loss, &mut *adam).unwrap();
    // (A logit of -inf is a probability of 0, which the 1e-7 floor makes a finite loss.)
    for bad in [f32::NAN, f32::INFINITY] {
        let saved = model.params.out.bias[1];
        model.params.out.bias[1] = bad;
        failing_step(&mut model, &mut adam, &inputs, &[0, 1, 1, 0], &loss);
        model.params.out.bias[1] = saved;
    }
    // The clamp at 1e-7 keeps NaN: a NaN probability is a NaN loss.
    assert!(loss.loss(&[[f32::NAN, 0.5]], &[0]).unwrap().is_nan());
}

/// A gradient that overflows while the loss stays finite is caught before the optimizer.
#[test]
fn an_overflowing_gradient_is_an_error() {
    let (mut model, mut adam) = head();
    // Tiny hidden values times huge output weights: outputs near 12 and a finite loss, but
    // the output gradient (about -250) times those weights overflows in backward.
    model.params.hidden.weight = [[1e-37; 3]; 4];
    model.params.hidden.bias = [1e-37; 4];
    model.params.out.weight = [[3e37; 4]; 2];
    model.params.out.bias = [0.0; 2];
    let error = failing_step(&mut model, &mut adam, &head_inputs(), &[[1e3, 1e3]; 4], &MseLoss);
    assert!(matches!(error, Error::NonFiniteGradient { .. }), "{error}");
    assert!(error.to_string().starts_with("parameter gradient "), "{error}");
}
