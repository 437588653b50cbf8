//! Fused backward and update (`FusedWorkspace::train_step`): bit for bit the unfused
//! `Workspace::train_step` with every optimizer, on an MLP, a CNN and a network with a
//! nested network and a residual block (with weight penalties, max-norm, batch norm and
//! dropout); its memory; and what a NaN or infinity leaves changed.

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
