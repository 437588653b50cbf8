//! Fused backward and update (`FusedWorkspace::train_step`): bit for bit the unfused
//! `Workspace::train_step` with every optimizer, on an MLP, a CNN, a network with a nested
//! network and a residual block (with weight penalties, max-norm, batch norm and dropout),
//! recurrent layers and 1-d convolutions; its memory; and what a NaN or infinity leaves
//! changed.

use staticnet::FusedLayer;
use staticnet::prelude::*;
use staticnet::state::StateVisitor;

network! {
    /// An MLP with an L1/L2 penalty and a max-norm constraint on different layers.
    struct Mlp {
        input: [6],
        fc1: Dense(12, init = HeUniform, l2 = 1e-2),
        Relu,
        fc2: Dense(7, l1 = 1e-3, max_norm = 0.6),
        Tanh,
        fc3: Dense(4),
    }
}

network! {
    /// Conv2d, batch norm, max-pooling, dropout and a dense head.
    struct Cnn {
        input: [1, 6, 6],
        conv: Conv2d(3, kernel_size = 3, padding = 1),
        bn: BatchNorm,
        Relu,
        pool: MaxPool2d(2),
        Flatten,
        drop: Dropout(0.25),
        fc: Dense(4, l2 = 1e-2, max_norm = 0.5),
    }
}

network! {
    /// Used as a layer of `Nested`.
    pub struct Inner {
        input: [8],
        fc: Dense(8, l1 = 1e-3),
        Tanh,
    }
}

network! {
    /// A nested network and a residual block with batch norm inside.
    struct Nested {
        input: [5],
        stem: Dense(8, l2 = 1e-2),
        Relu,
        inner: Inner,
        res: Residual {
            fc: Dense(8),
            bn: BatchNorm,
            act: Tanh,
            proj: Dense(8, max_norm = 1.0),
        },
        head: Dense(3),
    }
}

network! {
    /// The recurrent layers, and PReLU.
    struct Recurrent {
        input: [5, 3],
        lstm: Lstm(4, return_sequences = true),
        gru: Gru(4, return_sequences = true),
        rnn: Rnn(3),
        fc: Dense(4),
        act: Prelu,
        out: Dense(2),
    }
}

network! {
    /// One-dimensional convolutions and pooling.
    struct Signal {
        input: [2, 12],
        conv1: Conv1d(3, kernel_size = 3, padding = 2, dilation = 2),
        Tanh,
        pool: MaxPool1d(2),
        conv2: Conv1d(4, 3, stride = 2),
        Flatten,
        out: Dense(2),
    }
}

/// Every value of an optimizer's running state, as bits, in visiting order.
#[derive(Default, PartialEq, Debug)]
struct StateBits(Vec<(String, Vec<u64>)>);

impl StateVisitor for StateBits {
    fn buffer(&mut self, name: &str, values: &mut [f32]) {
        self.0.push((name.into(), values.iter().map(|v| u64::from(v.to_bits())).collect()));
    }
    fn count(&mut self, name: &str, value: &mut u64) {
        self.0.push((name.into(), vec![*value]));
    }
    fn real(&mut self, name: &str, value: &mut f64) {
        self.0.push((name.into(), vec![value.to_bits()]));
    }
}

fn state_bits<N: Layer, O: Optimizer<N>>(optimizer: &mut O) -> StateBits {
    let mut bits = StateBits::default();
    optimizer.visit_state(&mut bits);
    bits
}

fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// Trains two copies of a model on `batches`, one with `Workspace::train_step` and one with
/// `FusedWorkspace::train_step`, each with a fresh `make()`, and requires the same bits
/// for every loss, parameter, running statistic and optimizer state value.
fn same_both_ways<N, O, T, L, const B: usize>(
    name: &str,
    make: impl Fn() -> O,
    batches: &[(Vec<N::Input>, Vec<T>)],
    loss: &L,
) where
    N: FusedLayer + Default + Clone,
    O: ElementwiseOptimizer<N>,
    L: LossFor<N::Output, T>,
{
    let mut unfused = Model::<N>::new_boxed(7);
    let mut fused = unfused.clone();
    let (mut ws, mut fws) = (Workspace::<N, B>::new_boxed(), FusedWorkspace::<N, B>::new_boxed());
    let (mut opt, mut fopt) = (make(), make());
    for (step, (x, y)) in batches.iter().enumerate() {
        let a = ws.train_step(&mut unfused, x, y, loss, &mut opt).unwrap();
        let b = fws.train_step(&mut fused, x, y, loss, &mut fopt).unwrap();
        assert_eq!(a.to_bits(), b.to_bits(), "{name}: loss of step {step}: {a} vs {b}");
        assert_eq!(bits(ws.outputs().as_flat_slice()), bits(fws.outputs().as_flat_slice()), "{name}: outputs");
    }
    assert_eq!(bits(unfused.params.as_flat()), bits(fused.params.as_flat()), "{name}: parameters");
    assert_eq!(bits(unfused.state.as_flat()), bits(fused.state.as_flat()), "{name}: running statistics");
    let (state, fused_state) = (state_bits::<N, O>(&mut opt), state_bits::<N, O>(&mut fopt));
    assert!(!state.0.is_empty() || name == "SGD", "{name}: the optimizer has state to compare");
    assert_eq!(state, fused_state, "{name}: optimizer state");
    let initial = Model::<N>::new(7);
    assert_ne!(bits(initial.params.as_flat()), bits(fused.params.as_flat()), "{name}: the steps trained");
}

/// A slice of samples as one flat slice.
trait AsFlatSlice {
    fn as_flat_slice(&self) -> &[f32];
}

impl<T: Flat> AsFlatSlice for [T] {
    fn as_flat_slice(&self) -> &[f32] {
        staticnet::flat::flatten(self)
    }
}

/// [`same_both_ways`] with every optimizer, several with their options on.
macro_rules! with_every_optimizer {
    ($net:ty, $batch:literal, $batches:expr, $loss:expr) => {{
        let (batches, loss) = (&$batches, &$loss);
        same_both_ways::<$net, _, _, _, $batch>("SGD", || Sgd::new(0.05).weight_decay(1e-3), batches, loss);
        same_both_ways::<$net, _, _, _, $batch>("momentum", || Momentum::new(0.05, 0.9).dampening(0.1), batches, loss);
        same_both_ways::<$net, _, _, _, $batch>(
            "Nesterov",
            || Momentum::new_nesterov(0.05, 0.9).weight_decay(1e-3),
            batches,
            loss,
        );
        same_both_ways::<$net, _, _, _, $batch>(
            "Adagrad",
            || Adagrad::new(0.05).lr_decay(0.01).initial_accumulator_value(0.1),
            batches,
            loss,
        );
        same_both_ways::<$net, _, _, _, $batch>("RMSprop", || RmsProp::<$net>::new(0.01), batches, loss);
        same_both_ways::<$net, _, _, _, $batch>(
            "RMSprop momentum",
            || RmsProp::<$net, WithBuffer>::new(0.01).momentum(0.9),
            batches,
            loss,
        );
        same_both_ways::<$net, _, _, _, $batch>(
            "RMSprop centred",
            || RmsProp::<$net, WithBuffer, WithBuffer>::new(0.01).momentum(0.5),
            batches,
            loss,
        );
        same_both_ways::<$net, _, _, _, $batch>("Adam", || Adam::<$net>::new(0.01).weight_decay(1e-3), batches, loss);
        same_both_ways::<$net, _, _, _, $batch>("AMSGrad", || AmsGrad::new(0.01), batches, loss);
        same_both_ways::<$net, _, _, _, $batch>("AdamW", || AdamW::<$net>::new(0.01), batches, loss);
        same_both_ways::<$net, _, _, _, $batch>("AdamW AMSGrad", || AdamWAmsGrad::new(0.01), batches, loss);
        same_both_ways::<$net, _, _, _, $batch>("Adamax", || Adamax::new(0.01), batches, loss);
        same_both_ways::<$net, _, _, _, $batch>("NAdam", || NAdam::new(0.01).weight_decay(1e-3), batches, loss);
        same_both_ways::<$net, _, _, _, $batch>(
            "NAdamW",
            || NAdam::new(0.01).weight_decay(1e-2).decoupled_weight_decay(true),
            batches,
            loss,
        );
    }};
}

/// `steps` batches of `rows` samples with values from a fixed formula, and class targets.
fn batches<I: Flat, const CLASSES: usize>(steps: usize, rows: usize) -> Vec<(Vec<I>, Vec<usize>)> {
    (0..steps)
        .map(|s| {
            let mut x = vec![I::zeroed(); rows];
            for (i, v) in staticnet::flat::flatten_mut(&mut x).iter_mut().enumerate() {
                *v = (((i * 7 + s * 5) % 13) as f32 - 6.0) / 4.0;
            }
            let y = (0..rows).map(|r| (r * 3 + s) % CLASSES).collect();
            (x, y)
        })
        .collect()
}

#[test]
fn an_mlp_trains_bit_for_bit_as_unfused_with_every_optimizer() {
    // The last batch has 3 of the 4 rows.
    let mut data = batches::<[f32; 6], 4>(4, 4);
    data[3].0.pop();
    data[3].1.pop();
    with_every_optimizer!(Mlp, 4, data, CrossEntropyLoss);
}

#[test]
fn a_cnn_with_batch_norm_and_dropout_trains_bit_for_bit_as_unfused() {
    with_every_optimizer!(Cnn, 3, batches::<[[[f32; 6]; 6]; 1], 4>(3, 3), CrossEntropyLoss);
}

#[test]
fn a_nested_network_with_a_residual_block_trains_bit_for_bit_as_unfused() {
    with_every_optimizer!(Nested, 4, batches::<[f32; 5], 3>(3, 4), CrossEntropyLoss);
}

#[test]
fn recurrent_and_conv1d_networks_train_bit_for_bit_as_unfused() {
    with_every_optimizer!(Recurrent, 3, batches::<[[f32; 3]; 5], 2>(3, 3), CrossEntropyLoss);
    with_every_optimizer!(Signal, 3, batches::<[[f32; 12]; 2], 2>(3, 3), CrossEntropyLoss);
}

#[test]
fn the_fused_workspace_keeps_the_largest_layers_gradient_instead_of_all() {
    // The largest layers: fc2 (12·7 + 7), fc (27·4 + 4), and the 8x8 dense layers (72).
    assert_eq!((Mlp::PARAMS, <Mlp as Layer>::MAX_LAYER_PARAMS), (207, 91));
    assert_eq!((Cnn::PARAMS, <Cnn as Layer>::MAX_LAYER_PARAMS), (148, 112));
    assert_eq!(
        (Nested::PARAMS, <Nested as Layer>::MAX_LAYER_PARAMS, <Inner as Layer>::MAX_LAYER_PARAMS),
        (307, 72, 72)
    );
    assert_eq!(size_of::<<Mlp as FusedLayer>::LayerGrads>(), 91 * 4);
    // Both workspaces are the same buffers but for the parameter gradients.
    fn check<N: FusedLayer, const B: usize>() {
        let parts = size_of::<N::Cache<B>>() + 2 * size_of::<[N::Output; B]>() + size_of::<usize>();
        // Both gradient blocks start on a cache line (on x86-64) and take whole lines.
        let line = staticnet::cache_line::BLOCK_ALIGN;
        let grads = (4 * N::PARAMS).next_multiple_of(line);
        let align = align_of::<Workspace<N, B>>();
        assert_eq!(Workspace::<N, B>::BYTES, (parts + grads).next_multiple_of(align));
        let align = align_of::<FusedWorkspace<N, B>>();
        let layer_grads = (4 * N::MAX_LAYER_PARAMS).next_multiple_of(line);
        assert_eq!(FusedWorkspace::<N, B>::BYTES, (parts + layer_grads).next_multiple_of(align));
    }
    check::<Mlp, 4>();
    check::<Mlp, 1>();
    check::<Cnn, 3>();
    check::<Nested, 4>();
    check::<Nested, 1>();
    let saved = Workspace::<Mlp, 4>::BYTES - FusedWorkspace::<Mlp, 4>::BYTES;
    let line = staticnet::cache_line::BLOCK_ALIGN;
    assert_eq!(saved, (4 * 207usize).next_multiple_of(line) - (4 * 91usize).next_multiple_of(line));
}

network! {
    /// Two dense layers, no activation, for gradients that overflow in one layer only.
    struct Chain {
        input: [2],
        fc1: Dense(3),
        fc2: Dense(1),
    }
}

/// A `Chain` with every weight of `fc1` at `w1` and of `fc2` at `w2`, biases 0.
fn chain(w1: f32, w2: f32) -> Model<Chain> {
    let mut model = Model::<Chain>::new(0);
    model.params.fc1.weight = [[w1; 2]; 3];
    model.params.fc1.bias = [0.0; 3];
    model.params.fc2.weight = [[w2; 3]];
    model.params.fc2.bias = [0.0];
    model
}

/// An input, its target, and the error it must give.
type BadBatch = ([f32; 2], f32, fn(&Error) -> bool);

#[test]
fn bad_inputs_and_a_non_finite_loss_change_nothing() {
    let cases: [BadBatch; 2] = [
        ([f32::NAN, 0.0], 0.0, |e| matches!(e, Error::NonFiniteInput { row: 0, index: 0, .. })),
        // Output 6e20: its square overflows.
        ([1e20, 1e20], 0.0, |e| matches!(e, Error::NonFiniteLoss(v) if v.is_infinite())),
    ];
    for (x, target, expected) in cases {
        let mut model = chain(1.0, 1.0);
        let before = model.clone();
        let mut ws = FusedWorkspace::<Chain, 1>::new();
        let mut adam = Adam::<Chain>::new(0.1);
        let error = ws.train_step(&mut model, &[x], &[[target]], &MseLoss, &mut adam).unwrap_err();
        assert!(expected(&error), "{error:?}");
        assert_eq!(bits(model.params.as_flat()), bits(before.params.as_flat()));
        assert_eq!(adam.steps(), 0);
    }
    let mut ws = FusedWorkspace::<Chain, 1>::new();
    let mut model = chain(1.0, 1.0);
    let error = ws.train_step(&mut model, &[[0.0; 2]; 2], &[[0.0]; 2], &MseLoss, &mut Sgd::new(0.1));
    assert_eq!(error, Err(Error::BatchTooLarge { rows: 2, capacity: 1 }));
}

#[test]
fn a_non_finite_gradient_in_the_last_layer_changes_nothing() {
    // Hidden units 1e30, output 3, target 1e10: dL/dW2 = 2 (3 - 1e10) · 1e30 overflows.
    let mut model = chain(1.0, 1e-30);
    let before = model.clone();
    let mut ws = FusedWorkspace::<Chain, 1>::new();
    let mut adam = Adam::<Chain>::new(0.1);
    let error = ws.train_step(&mut model, &[[1e30, 0.0]], &[[1e10]], &MseLoss, &mut adam);
    // fc2's weight starts at value 9 of the flat block, after fc1's 6 weights and 3 biases.
    assert_eq!(error, Err(Error::NonFiniteGradient { index: 9, value: f32::NEG_INFINITY }));
    assert_eq!(bits(model.params.as_flat()), bits(before.params.as_flat()));
    assert_eq!(adam.steps(), 0, "the step did not begin");
    assert!(adam.exp_avg().as_flat().iter().all(|&m| m == 0.0));
}

#[test]
fn a_non_finite_gradient_mid_backward_stops_after_updating_the_layers_above() {
    // Hidden units 40, output 120, target -100: finite loss and gradients for fc2, but
    // dL/dW1 = 440 · 2e38 overflows.
    let (x, target) = ([2e38f32, 2e38], -100.0f32);
    let mut model = chain(1e-37, 1.0);
    let before = model.clone();
    let mut ws = FusedWorkspace::<Chain, 1>::new();
    let mut adam = Adam::<Chain>::new(0.1);
    let error = ws.train_step(&mut model, &[x], &[[target]], &MseLoss, &mut adam);
    assert_eq!(error, Err(Error::NonFiniteGradient { index: 0, value: f32::INFINITY }));
    // fc2, which backward reached first, took its step; fc1 did not.
    assert_eq!(bits(model.params.fc1.weight.as_flat()), bits(before.params.fc1.weight.as_flat()));
    assert_eq!(bits(&model.params.fc1.bias), bits(&before.params.fc1.bias));
    assert_ne!(bits(model.params.fc2.weight.as_flat()), bits(before.params.fc2.weight.as_flat()));
    assert_eq!(adam.steps(), 1);
    let exp_avg = adam.exp_avg().as_flat();
    assert!(exp_avg[..9].iter().all(|&m| m == 0.0) && exp_avg[9..].iter().all(|&m| m != 0.0), "{exp_avg:?}");

    // The unfused step finds the same gradient before changing anything.
    let mut unfused = before.clone();
    let mut adam = Adam::<Chain>::new(0.1);
    let error = Workspace::<Chain, 1>::new().train_step(&mut unfused, &[x], &[[target]], &MseLoss, &mut adam);
    assert_eq!(error, Err(Error::NonFiniteGradient { index: 0, value: f32::INFINITY }));
    assert_eq!(bits(unfused.params.as_flat()), bits(before.params.as_flat()));
    assert_eq!(adam.steps(), 0);
}

network! {
    /// Within 64 KiB with SGD at batch 4 only when fused: the unfused workspace's gradients
    /// of both 64x64 layers would take it over.
    #[budget(ram = 64 KiB, batch = 4, optimizer = Sgd, fused)]
    struct FitsFused {
        input: [64],
        fc1: Dense(64),
        Relu,
        fc2: Dense(64),
        Relu,
        fc3: Dense(10),
    }
}

#[test]
fn a_fused_budget_counts_the_largest_layers_gradient_only() {
    let rest = Model::<FitsFused>::BYTES + size_of::<Sgd<FitsFused>>();
    let (unfused, fused) = (rest + Workspace::<FitsFused, 4>::BYTES, rest + FusedWorkspace::<FitsFused, 4>::BYTES);
    assert!(fused <= 64 * 1024 && unfused > 64 * 1024, "fused {fused}, unfused {unfused}");
    let saved = 4 * (FitsFused::PARAMS - 64 * 64 - 64);
    assert!(
        (saved..saved + 2 * staticnet::cache_line::BLOCK_ALIGN).contains(&(unfused - fused)),
        "{}",
        unfused - fused
    );
}
