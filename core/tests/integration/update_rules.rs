//! Optimizer steps as update rules (`ElementwiseOptimizer::with_rule`,
//! `Optimizer::begin_step_in_parts`): the same bits on every kernel set the processor
//! runs, the same bits in parts as whole, and state below f32's normal range stored as 0
//! without changing a parameter.

use staticnet_core::Flat;
use staticnet_core::gemm::Kernel;
use staticnet_core::layers::{Dense, DenseParams};
use staticnet_core::optim::{
    Adagrad, Adam, AdamW, AdamWAmsGrad, Adamax, AmsGrad, ElementwiseOptimizer, Momentum, NAdam, NoBuffer, Optimizer,
    RmsProp, Sgd, StateSlices, WithBuffer,
};
use staticnet_core::state::StateVisitor;

/// 35 parameters: two 16-lane vectors and a remainder of 3, so every loop's tail runs.
type Net = Dense<6, 5>;
type Params = DenseParams<6, 5>;

/// Values of mixed sign and size, different for every `seed`.
fn values(seed: u32) -> Params {
    let mut p = Params::zeroed();
    for (i, v) in p.as_flat_mut().iter_mut().enumerate() {
        let k = (i as u32 + 1).wrapping_mul(2_654_435_761u32.wrapping_mul(seed + 1)) >> 9;
        *v = ((k % 2001) as f32 / 1000.0 - 1.0) * [1.0, 1e-3, 30.0][i % 3];
    }
    p
}

/// An optimizer's state in visiting order: the buffers' values and the counts and reals.
#[derive(Default, PartialEq, Debug)]
struct Collect {
    buffers: Vec<f32>,
    scalars: Vec<u64>,
}

impl StateVisitor for Collect {
    fn buffer(&mut self, _name: &str, values: &mut [f32]) {
        self.buffers.extend_from_slice(values);
    }
    fn count(&mut self, _name: &str, value: &mut u64) {
        self.scalars.push(*value);
    }
    fn real(&mut self, _name: &str, value: &mut f64) {
        self.scalars.push(value.to_bits());
    }
}

fn state(optimizer: &mut dyn ElementwiseOptimizer<Net>) -> Collect {
    let mut collect = Collect::default();
    optimizer.visit_state(&mut collect);
    collect
}

/// The state as bits (so that NaN equals NaN and -0 differs from +0).
fn state_bits(optimizer: &mut dyn ElementwiseOptimizer<Net>) -> (Vec<u32>, Vec<u64>) {
    let state = state(optimizer);
    (state.buffers.iter().map(|v| v.to_bits()).collect(), state.scalars)
}

fn bits(p: &Params) -> Vec<u32> {
    p.as_flat().iter().map(|v| v.to_bits()).collect()
}

/// Builds a fresh optimizer.
type Make = Box<dyn Fn() -> Box<dyn ElementwiseOptimizer<Net>>>;

/// One of every optimizer and variant, by name.
fn every_optimizer() -> Vec<(&'static str, Make)> {
    vec![
        ("sgd", Box::new(|| Box::new(Sgd::new(0.1).weight_decay(0.01)))),
        ("momentum", Box::new(|| Box::new(Momentum::new(0.1, 0.9).dampening(0.1)))),
        ("nesterov", Box::new(|| Box::new(Momentum::new_nesterov(0.1, 0.9)))),
        ("adagrad", Box::new(|| Box::new(Adagrad::new(0.1).lr_decay(0.01)))),
        ("rmsprop", Box::new(|| Box::new(RmsProp::<Net>::new(0.01)))),
        ("rmsprop momentum", Box::new(|| Box::new(RmsProp::<Net, WithBuffer>::new(0.01).momentum(0.5)))),
        ("rmsprop centred", Box::new(|| Box::new(RmsProp::<Net, NoBuffer, WithBuffer>::new(0.01)))),
        (
            "rmsprop centred momentum",
            Box::new(|| Box::new(RmsProp::<Net, WithBuffer, WithBuffer>::new(0.01).momentum(0.5))),
        ),
        ("adam", Box::new(|| Box::new(Adam::<Net>::new(0.01).weight_decay(0.1)))),
        ("amsgrad", Box::new(|| Box::new(AmsGrad::new(0.01)))),
        ("adamw", Box::new(|| Box::new(AdamW::<Net>::new(0.01)))),
        ("adamw amsgrad", Box::new(|| Box::new(AdamWAmsGrad::new(0.01)))),
        ("adamax", Box::new(|| Box::new(Adamax::new(0.01)))),
        ("nadam", Box::new(|| Box::new(NAdam::new(0.01)))),
        ("nadam decoupled", Box::new(|| Box::new(NAdam::new(0.01).weight_decay(0.1).decoupled_weight_decay(true)))),
    ]
}

/// Parameters and state after 6 steps in which `apply` applies each begun step's rule.
fn trajectory(
    optimizer: &mut dyn ElementwiseOptimizer<Net>,
    apply: impl Fn(&mut dyn ElementwiseOptimizer<Net>, &mut Params, &Params),
) -> (Vec<u32>, (Vec<u32>, Vec<u64>)) {
    let mut params = values(99);
    for step in 0..6 {
        apply(optimizer, &mut params, &values(step));
    }
    (bits(&params), state_bits(optimizer))
}

#[test]
fn every_kernel_gives_the_bits_of_the_portable_step() {
    for (name, make) in every_optimizer() {
        let whole = trajectory(&mut *make(), |o, p, g| o.step(p, g));
        for kernel in Kernel::available() {
            let on_kernel = trajectory(&mut *make(), |o, p, g| {
                o.begin_step();
                o.with_rule(&mut |rule, state| rule.update_with(kernel, p.as_flat_mut(), g.as_flat(), state));
            });
            assert_eq!(on_kernel, whole, "{name} on the {} kernels", kernel.name());
        }
    }
}

/// The first `len` values of `rest` (nothing of an empty, unkept buffer), leaving the
/// others in `rest`.
fn head<'a>(rest: &mut &'a mut [f32], len: usize) -> &'a mut [f32] {
    if rest.is_empty() {
        return &mut [];
    }
    let (head, tail) = core::mem::take(rest).split_at_mut(len);
    *rest = tail;
    head
}

#[test]
fn a_step_in_uneven_parts_and_in_slices_is_the_whole_step() {
    let cuts = [0, 1, 17, 18, 35];
    for (name, make) in every_optimizer() {
        let whole = trajectory(&mut *make(), |o, p, g| o.step(p, g));
        let parts = trajectory(&mut *make(), |o, p, g| {
            let parted = o.begin_step_in_parts(&mut |rule, state| {
                let [mut a, mut b, mut c] = state.into_buffers();
                let (mut p, mut g) = (p.as_flat_mut(), g.as_flat());
                for w in cuts.windows(2) {
                    let len = w[1] - w[0];
                    let (g_head, g_tail) = g.split_at(len);
                    g = g_tail;
                    let part = StateSlices::new([head(&mut a, len), head(&mut b, len), head(&mut c, len)]);
                    rule.update(head(&mut p, len), g_head, part);
                }
            });
            assert!(parted, "{name} steps in parts");
        });
        assert_eq!(parts, whole, "{name} in parts");
        let slices = trajectory(&mut *make(), |o, p, g| {
            o.begin_step();
            for w in cuts.windows(2) {
                o.step_slice(w[0], &mut p.as_flat_mut()[w[0]..w[1]], &g.as_flat()[w[0]..w[1]]);
            }
        });
        assert_eq!(slices, whole, "{name} in slices");
    }
}

/// PyTorch's Adam for one parameter in f32, with no flushing: the reference for what the
/// stored-as-zero state must not change.
fn adam_unflushed(grads: &[f32], lr: f32) -> (f32, f32) {
    let (b1, b2, eps) = (0.9f32, 0.999f32, 1e-8f32);
    let (mut p, mut m, mut v) = (0.25f32, 0.0f32, 0.0f32);
    for (t, &g) in grads.iter().enumerate() {
        let t = t as f64 + 1.0;
        m = b1 * m + (1.0 - b1) * g;
        v = b2 * v + (1.0 - b2) * g * g;
        let step_size = (lr as f64 / (1.0 - (b1 as f64).powf(t))) as f32;
        let inv_sqrt_bc2 = (1.0 / (1.0 - (b2 as f64).powf(t)).sqrt()) as f32;
        p -= step_size * m / (v.sqrt() * inv_sqrt_bc2 + eps);
    }
    (p, m)
}

#[test]
fn state_below_the_normal_range_is_stored_as_zero_and_changes_no_parameter() {
    type One = Dense<1, 1>;
    // One gradient, then zeros (a unit that stopped firing): `m` decays by 0.9 a step into
    // the subnormal range, where unflushed it stays for good (0.9 × 2⁻¹⁴⁹ rounds to 2⁻¹⁴⁹).
    let grads: Vec<f32> = core::iter::once(1e-3).chain(core::iter::repeat_n(0.0, 1200)).collect();
    let (want_p, unflushed_m) = adam_unflushed(&grads, 1e-3);
    assert!(unflushed_m != 0.0 && unflushed_m.is_subnormal(), "the reference keeps a subnormal m: {unflushed_m:e}");
    let mut adam = Adam::<One>::new(1e-3);
    let mut params = DenseParams::<1, 1> { weight: [[0.25]], bias: [0.0] };
    for &g in &grads {
        adam.step(&mut params, &DenseParams { weight: [[g]], bias: [0.0] });
    }
    assert_eq!(adam.exp_avg().weight[0][0].to_bits(), 0, "m is stored as +0");
    assert_eq!(params.weight[0][0].to_bits(), want_p.to_bits(), "{} vs {want_p}", params.weight[0][0]);
    // Every decaying buffer of every optimizer ends normal or zero.
    for (name, make) in every_optimizer() {
        let mut optimizer = make();
        let mut params = values(1);
        let zeros = Params::zeroed();
        optimizer.step(&mut params, &values(2));
        for _ in 0..3000 {
            optimizer.step(&mut params, &zeros);
        }
        let subnormal = state(&mut *optimizer).buffers.iter().filter(|v| v.is_subnormal()).count();
        assert_eq!(subnormal, 0, "{name} keeps {subnormal} subnormal state values");
    }
}
