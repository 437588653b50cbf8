//! Agreement with PyTorch: every case of `tests/reference/optimizers.json` (a `Linear(3, 2)`
//! trained with `MSELoss` for 12 steps), run through our optimizers on `Dense<3, 2>`.
//!
//! Each case is run twice:
//! * feeding the reference's raw gradient at every step, so an error in one step does not
//!   change the gradients of the next; parameters and the optimizer state (PyTorch's state
//!   dict: momentum buffers, moments, `mu_product`, `step`) are compared after every step;
//! * computing the gradient ourselves from `X`, `Y` through `Dense::forward`/`backward` and
//!   `MseLoss`, as training would; loss, gradient and parameters are compared every step.
//!
//! Tolerances: parameters, gradients and losses `|a - e| <= 1e-5 * max(1, |e|)` (the
//! design's). The 12-step trajectories pass at it without loosening: each step moves a
//! parameter by at most ~`η`, and the f32 rounding of a step (~1e-7 of the step) is far
//! below 1e-5 of the parameter; `worst_errors_are_far_below_the_tolerance` keeps a 5x margin.
//!
//! The state's entries are small (`v ~ 1e-6`), so they are compared relatively,
//! `|a - e| <= 3e-5 |e| + 1e-12`. Why not 1e-5: `β₂ = 0.999` is not an f32; the nearest
//! f32 is 0.99900001287, so our `1 - β₂` is 1.3e-5 (relative) below PyTorch's float64
//! `1 - β₂`, and `v`, which scales with `1 - β₂`, is 1.3e-5 below PyTorch's. The bias
//! correction `1 - β₂ᵗ` uses the same f32 `β₂`, so `v / (1 - β₂ᵗ)` (what the update uses)
//! and the parameters agree to f32 rounding. Likewise NAdam's `mu_product`: each factor
//! `μ_t` is computed (in f64) from the f32 `β₁ = 0.899999976`, 2.6e-8 below 0.9, so the
//! product of `t` factors is `t`·2.6e-8 low (3.2e-7 after 12 steps); it is compared to
//! 1e-6 relative.

use crate::common;

use common::{Case, assert_all, check_every_case, close, close_rel, get, num, tensor};
use serde_json::Value;
use staticnet_core::layers::{Dense, DenseParams, Relu};
use staticnet_core::loss::{Loss, MseLoss};
use staticnet_core::optim::{
    Adagrad, Adam, AdamW, AdamWAmsGrad, Adamax, AmsGrad, Momentum, NAdam, NoBuffer, Optimizer, RmsProp, Sgd, WithBuffer,
};
use staticnet_core::{Flat, GradMode, Layer, Mode};
use std::cell::RefCell;
use std::collections::BTreeSet;

type Net = Dense<3, 2>;
type Params = DenseParams<3, 2>;

const PARAM_TOL: f64 = 1e-5;
const STATE_RTOL: f64 = 3e-5;
const SCALAR_RTOL: f64 = 1e-6;
const STATE_ATOL: f64 = 1e-12;

// ------------------------------------------------------------------ the optimizers

/// One entry of an optimizer's state, as in PyTorch's state dict.
enum Entry {
    /// A block of the parameters' shape (weight then bias, row-major).
    Block(Vec<f32>),
    /// A scalar shared by the weight and the bias (`step`, `mu_product`).
    Scalar(f64),
}

/// An optimizer under test, with its state named as PyTorch names it.
trait UnderTest: Optimizer<Net> {
    fn state(&self) -> Vec<(&'static str, Entry)>;
}

fn block(p: &Params) -> Entry {
    Entry::Block(p.as_flat().to_vec())
}

fn step_count(t: u64) -> (&'static str, Entry) {
    ("step", Entry::Scalar(t as f64))
}

impl UnderTest for Sgd<Net> {
    fn state(&self) -> Vec<(&'static str, Entry)> {
        vec![]
    }
}

impl UnderTest for Momentum<Net> {
    fn state(&self) -> Vec<(&'static str, Entry)> {
        vec![("momentum_buffer", block(self.momentum_buffer()))]
    }
}

impl UnderTest for Adagrad<Net> {
    fn state(&self) -> Vec<(&'static str, Entry)> {
        vec![step_count(self.steps()), ("sum", block(self.sum()))]
    }
}

impl UnderTest for RmsProp<Net> {
    fn state(&self) -> Vec<(&'static str, Entry)> {
        vec![step_count(self.steps()), ("square_avg", block(self.square_avg()))]
    }
}

impl UnderTest for RmsProp<Net, WithBuffer> {
    fn state(&self) -> Vec<(&'static str, Entry)> {
        vec![
            step_count(self.steps()),
            ("square_avg", block(self.square_avg())),
            ("momentum_buffer", block(self.momentum_buffer())),
        ]
    }
}

impl UnderTest for RmsProp<Net, NoBuffer, WithBuffer> {
    fn state(&self) -> Vec<(&'static str, Entry)> {
        vec![step_count(self.steps()), ("square_avg", block(self.square_avg())), ("grad_avg", block(self.grad_avg()))]
    }
}

impl UnderTest for Adam<Net> {
    fn state(&self) -> Vec<(&'static str, Entry)> {
        vec![step_count(self.steps()), ("exp_avg", block(self.exp_avg())), ("exp_avg_sq", block(self.exp_avg_sq()))]
    }
}

impl UnderTest for AmsGrad<Net> {
    fn state(&self) -> Vec<(&'static str, Entry)> {
        vec![
            step_count(self.steps()),
            ("exp_avg", block(self.exp_avg())),
            ("exp_avg_sq", block(self.exp_avg_sq())),
            ("max_exp_avg_sq", block(self.max_exp_avg_sq())),
        ]
    }
}

impl UnderTest for AdamW<Net> {
    fn state(&self) -> Vec<(&'static str, Entry)> {
        vec![step_count(self.steps()), ("exp_avg", block(self.exp_avg())), ("exp_avg_sq", block(self.exp_avg_sq()))]
    }
}

impl UnderTest for Adamax<Net> {
    fn state(&self) -> Vec<(&'static str, Entry)> {
        vec![step_count(self.steps()), ("exp_avg", block(self.exp_avg())), ("exp_inf", block(self.exp_inf()))]
    }
}

impl UnderTest for NAdam<Net> {
    fn state(&self) -> Vec<(&'static str, Entry)> {
        vec![
            step_count(self.steps()),
            ("mu_product", Entry::Scalar(self.mu_product())),
            ("exp_avg", block(self.exp_avg())),
            ("exp_avg_sq", block(self.exp_avg_sq())),
        ]
    }
}

/// The case's hyperparameters; every key must be read (or checked) before [`Hyper::done`],
/// so a hyperparameter this test does not know about fails it.
struct Hyper<'a> {
    case: &'a Case,
    values: &'a Value,
    read: RefCell<BTreeSet<String>>,
}

impl<'a> Hyper<'a> {
    fn new(case: &'a Case) -> Self {
        Hyper { case, values: get(case, &case.inputs, "hyperparameters"), read: RefCell::new(BTreeSet::new()) }
    }

    fn raw(&self, key: &str) -> &'a Value {
        self.read.borrow_mut().insert(key.to_owned());
        get(self.case, self.values, key)
    }

    fn f32(&self, key: &str) -> f32 {
        num(self.raw(key)) as f32
    }

    fn flag(&self, key: &str) -> bool {
        self.raw(key).as_bool().unwrap_or_else(|| panic!("{}: {key} is not a bool", self.case.name))
    }

    fn betas(&self) -> (f32, f32) {
        let b = self.raw("betas").as_array().expect("betas is a list");
        (num(&b[0]) as f32, num(&b[1]) as f32)
    }

    fn done(self) {
        assert!(!self.flag("maximize"), "{}: maximize is not supported", self.case.name);
        let all: BTreeSet<String> = self.values.as_object().expect("hyperparameters").keys().cloned().collect();
        let unread: Vec<_> = all.difference(&self.read.borrow()).cloned().collect();
        assert!(unread.is_empty(), "{}: hyperparameters not used by the test: {unread:?}", self.case.name);
    }
}

/// The optimizer a case describes, built from its hyperparameters.
fn build(case: &Case) -> Box<dyn UnderTest> {
    let h = Hyper::new(case);
    let name = case.inputs["optimizer"].as_str().expect("optimizer name");
    let opt: Box<dyn UnderTest> = match name {
        "SGD" => {
            let (lr, momentum, wd) = (h.f32("lr"), h.f32("momentum"), h.f32("weight_decay"));
            let (dampening, nesterov) = (h.f32("dampening"), h.flag("nesterov"));
            if momentum == 0.0 {
                assert!(dampening == 0.0 && !nesterov);
                Box::new(Sgd::new(lr).weight_decay(wd))
            } else {
                Box::new(Momentum::new(lr, momentum).dampening(dampening).nesterov(nesterov).weight_decay(wd))
            }
        }
        "Adagrad" => Box::new(
            Adagrad::new(h.f32("lr"))
                .lr_decay(h.f32("lr_decay"))
                .weight_decay(h.f32("weight_decay"))
                .initial_accumulator_value(h.f32("initial_accumulator_value"))
                .eps(h.f32("eps")),
        ),
        "RMSprop" => {
            let (lr, alpha, eps, wd) = (h.f32("lr"), h.f32("alpha"), h.f32("eps"), h.f32("weight_decay"));
            match (h.f32("momentum"), h.flag("centered")) {
                (0.0, false) => Box::new(RmsProp::<Net>::new(lr).alpha(alpha).eps(eps).weight_decay(wd)),
                (0.0, true) => {
                    Box::new(RmsProp::<Net, NoBuffer, WithBuffer>::new(lr).alpha(alpha).eps(eps).weight_decay(wd))
                }
                (momentum, false) => Box::new(
                    RmsProp::<Net, WithBuffer>::new(lr).alpha(alpha).eps(eps).weight_decay(wd).momentum(momentum),
                ),
                (_, true) => panic!("no case with both momentum and centring"),
            }
        }
        "Adam" | "AdamW" => {
            let (lr, (b1, b2), eps, wd) = (h.f32("lr"), h.betas(), h.f32("eps"), h.f32("weight_decay"));
            let decoupled = name == "AdamW"
                || h.values.get("decoupled_weight_decay").is_some_and(|_| h.flag("decoupled_weight_decay"));
            match (decoupled, h.flag("amsgrad")) {
                (false, false) => Box::new(Adam::<Net>::new(lr).betas(b1, b2).eps(eps).weight_decay(wd)),
                (false, true) => Box::new(AmsGrad::<Net>::new(lr).betas(b1, b2).eps(eps).weight_decay(wd)),
                (true, false) => Box::new(AdamW::<Net>::new(lr).betas(b1, b2).eps(eps).weight_decay(wd)),
                (true, true) => panic!("no AdamW AMSGrad case"),
            }
        }
        "Adamax" => {
            let (b1, b2) = h.betas();
            Box::new(Adamax::new(h.f32("lr")).betas(b1, b2).eps(h.f32("eps")).weight_decay(h.f32("weight_decay")))
        }
        "NAdam" => {
            let (b1, b2) = h.betas();
            Box::new(
                NAdam::new(h.f32("lr"))
                    .betas(b1, b2)
                    .eps(h.f32("eps"))
                    .weight_decay(h.f32("weight_decay"))
                    .momentum_decay(h.f32("momentum_decay"))
                    .decoupled_weight_decay(h.flag("decoupled_weight_decay")),
            )
        }
        other => panic!("{}: unknown optimizer {other}", case.name),
    };
    assert_eq!(opt.learning_rate(), h.f32("lr"));
    h.done();
    opt
}

// ------------------------------------------------------------------ the problem

/// A `{weight, bias}` pair of reference tensors as our parameter block.
fn params_of(v: &Value) -> Params {
    let (w, b) = (tensor(&v["weight"], &[2, 3]), tensor(&v["bias"], &[2]));
    let mut p = Params::zeroed();
    for (dst, &src) in p.as_flat_mut().iter_mut().zip(w.iter().chain(&b)) {
        *dst = src as f32;
    }
    p
}

/// The same, as f64 in our flat order (weight row-major, then bias).
fn flat_f64(v: &Value) -> Vec<f64> {
    let mut all = tensor(&v["weight"], &[2, 3]);
    all.extend(tensor(&v["bias"], &[2]));
    all
}

fn rows<const R: usize, const C: usize>(v: &Value) -> [[f32; C]; R] {
    let data = tensor(v, &[R, C]);
    core::array::from_fn(|r| core::array::from_fn(|c| data[r * C + c] as f32))
}

/// `MSELoss(X Wᵀ + b, Y)` and its gradient, through our layer and loss.
fn loss_and_grad(params: &Params, x: &[[f32; 3]; 4], y: &[[f32; 2]; 4]) -> (f32, Params) {
    let layer = Net::default();
    let mut out = [[0.0f32; 2]; 4];
    layer.forward::<4>(params, &(), x, &mut out, &mut (), Mode::Train);
    let mut dout = [[0.0f32; 2]; 4];
    let loss = MseLoss.loss_and_grad(&out, y, &mut dout).expect("valid batch");
    let mut grads = Params::zeroed();
    layer.backward::<4>(params, x, &out, &dout, &mut (), None, &mut grads, GradMode::Overwrite);
    (loss, grads)
}

/// Compares the optimizer's state after a step with PyTorch's.
fn check_state(what: &str, opt: &dyn UnderTest, expected: &Value) {
    let (w, b) = (&expected["weight"], &expected["bias"]);
    let ours = opt.state();
    let keys = |v: &Value| v.as_object().expect("state").keys().cloned().collect::<BTreeSet<_>>();
    let our_keys: BTreeSet<String> = ours.iter().map(|(k, _)| k.to_string()).collect();
    assert_eq!(our_keys, keys(w), "{what}: state keys");
    assert_eq!(our_keys, keys(b), "{what}: state keys");
    for (key, entry) in ours {
        match entry {
            Entry::Scalar(x) => {
                for e in [num(&w[key]), num(&b[key])] {
                    assert!(close_rel(x, e, SCALAR_RTOL, 0.0), "{what}: {key} = {x}, expected {e}");
                }
            }
            Entry::Block(values) => {
                let mut e = tensor(&w[key], &[2, 3]);
                e.extend(tensor(&b[key], &[2]));
                assert_all(&format!("{what}: {key}"), &values, &e, |a, e| close_rel(a, e, STATE_RTOL, STATE_ATOL));
            }
        }
    }
}

/// Runs one case both ways; returns the largest parameter error of each, relative to
/// `max(1, |e|)`.
fn run_case(case: &Case) -> (f64, f64) {
    let x: [[f32; 3]; 4] = rows(get(case, &case.inputs, "X"));
    let y: [[f32; 2]; 4] = rows(get(case, &case.inputs, "Y"));
    let initial = params_of(get(case, &case.inputs, "initial_params"));
    let steps = get(case, &case.expected, "steps").as_array().expect("steps");
    assert_eq!(steps.len() as f64, num(&case.inputs["num_steps"]));
    let mut worst = [0.0f64; 2];
    for computed in [false, true] {
        let mut opt = build(case);
        let mut params = initial;
        for (k, step) in steps.iter().enumerate() {
            let what = format!("{} step {} ({} gradient)", case.name, k + 1, if computed { "our" } else { "raw" });
            assert_eq!(num(&step["step"]) as usize, k + 1);
            let grads = if computed {
                let (loss, grads) = loss_and_grad(&params, &x, &y);
                assert!(close(loss as f64, num(&step["loss"]), PARAM_TOL), "{what}: loss {loss}");
                assert_all(&format!("{what}: grad"), grads.as_flat(), &flat_f64(&step["grad"]), |a, e| {
                    close(a, e, PARAM_TOL)
                });
                grads
            } else {
                params_of(&step["grad"])
            };
            opt.step(&mut params, &grads);
            let expected = flat_f64(&step["params"]);
            assert_all(&format!("{what}: params"), params.as_flat(), &expected, |a, e| close(a, e, PARAM_TOL));
            for (&a, &e) in params.as_flat().iter().zip(&expected) {
                worst[computed as usize] = worst[computed as usize].max((a as f64 - e).abs() / e.abs().max(1.0));
            }
            if !computed {
                check_state(&what, &*opt, &step["state"]);
            }
        }
    }
    (worst[0], worst[1])
}

#[test]
fn every_optimizer_case_matches_pytorch() {
    let n = check_every_case("optimizers.json", |case| {
        run_case(case);
    });
    assert_eq!(n, 17);
}

/// Documents the margin: the worst relative parameter error over all cases and steps.
#[test]
fn worst_errors_are_far_below_the_tolerance() {
    let mut worst = (0.0f64, 0.0f64, String::new());
    for case in common::load_cases("optimizers.json") {
        let (raw, ours) = run_case(&case);
        if raw.max(ours) > worst.0.max(worst.1) {
            worst = (raw, ours, case.name.clone());
        }
    }
    println!("worst parameter error (relative to max(1,|e|)): raw {:e}, ours {:e} in {}", worst.0, worst.1, worst.2);
    assert!(worst.0.max(worst.1) < PARAM_TOL / 5.0, "margin below 5x: {worst:?}");
}

// ------------------------------------------------------------------ properties

fn some_grads(seed: u32) -> Params {
    let mut g = Params::zeroed();
    for (i, v) in g.as_flat_mut().iter_mut().enumerate() {
        let k = (i as u32 + 1).wrapping_mul(2_654_435_761u32.wrapping_mul(seed + 1)) >> 7;
        *v = (k % 1000) as f32 / 500.0 - 1.0;
    }
    g
}

/// Runs `steps` steps of `a` and `b` from the same start with the same gradients and
/// returns both parameter trajectories' ends.
fn trajectory(opt: &mut dyn Optimizer<Net>, steps: u32) -> Params {
    let mut params = some_grads(99);
    for s in 0..steps {
        let g = some_grads(s);
        opt.step(&mut params, &g);
    }
    params
}

fn boxed_matches_by_value<O: Optimizer<Net>>(by_value: O, boxed: Box<O>) {
    let (mut a, mut b) = (by_value, boxed);
    assert_eq!(trajectory(&mut a, 5).as_flat(), trajectory(&mut *b, 5).as_flat());
}

#[test]
fn boxed_construction_equals_construction_by_value() {
    boxed_matches_by_value(Momentum::<Net>::new(0.1, 0.9), Momentum::new_boxed(0.1, 0.9));
    boxed_matches_by_value(Adagrad::<Net>::new(0.1), Adagrad::new_boxed(0.1));
    boxed_matches_by_value(RmsProp::<Net>::new(0.1), RmsProp::new_boxed(0.1));
    boxed_matches_by_value(RmsProp::<Net, WithBuffer, WithBuffer>::new(0.1).momentum(0.5), {
        let mut b = RmsProp::<Net, WithBuffer, WithBuffer>::new_boxed(0.1);
        b.set_momentum(0.5);
        b
    });
    boxed_matches_by_value(Adam::<Net>::new(0.1), Adam::new_boxed(0.1));
    boxed_matches_by_value(AmsGrad::<Net>::new(0.1), AmsGrad::new_boxed(0.1));
    boxed_matches_by_value(AdamW::<Net>::new(0.1), AdamW::new_boxed(0.1));
    boxed_matches_by_value(AdamWAmsGrad::<Net>::new(0.1), AdamWAmsGrad::new_boxed(0.1));
    boxed_matches_by_value(Adamax::<Net>::new(0.1), Adamax::new_boxed(0.1));
    boxed_matches_by_value(NAdam::<Net>::new(0.1), NAdam::new_boxed(0.1));
}

fn reset_restarts<O: Optimizer<Net>>(mut opt: O) {
    let first = trajectory(&mut opt, 4);
    opt.reset();
    assert_eq!(trajectory(&mut opt, 4).as_flat(), first.as_flat(), "a reset optimizer replays its first steps");
}

#[test]
fn reset_makes_the_next_step_a_first_step() {
    reset_restarts(Momentum::<Net>::new(0.1, 0.9).dampening(0.5));
    reset_restarts(Adagrad::<Net>::new(0.1).initial_accumulator_value(0.3).lr_decay(0.1));
    reset_restarts(RmsProp::<Net, WithBuffer, WithBuffer>::new(0.1).momentum(0.5));
    reset_restarts(AmsGrad::<Net>::new(0.1));
    reset_restarts(AdamWAmsGrad::<Net>::new(0.1));
    reset_restarts(Adamax::<Net>::new(0.1));
    reset_restarts(NAdam::<Net>::new(0.1));
}

#[test]
fn state_bytes_count_the_buffers_each_type_keeps() {
    assert_eq!(std::mem::size_of::<Params>(), 8 * 4);
    // Each buffer starts on a cache line on x86-64, so it takes whole lines there.
    let block = (8 * 4usize).next_multiple_of(staticnet_core::cache_line::BLOCK_ALIGN);
    assert_eq!(Sgd::<Net>::STATE_BYTES, 0);
    assert_eq!(Momentum::<Net>::STATE_BYTES, block);
    assert_eq!(Adagrad::<Net>::STATE_BYTES, block);
    assert_eq!(RmsProp::<Net>::STATE_BYTES, block);
    assert_eq!(RmsProp::<Net, WithBuffer>::STATE_BYTES, 2 * block);
    assert_eq!(RmsProp::<Net, NoBuffer, WithBuffer>::STATE_BYTES, 2 * block);
    assert_eq!(RmsProp::<Net, WithBuffer, WithBuffer>::STATE_BYTES, 3 * block);
    assert_eq!(Adam::<Net>::STATE_BYTES, 2 * block);
    assert_eq!(AmsGrad::<Net>::STATE_BYTES, 3 * block);
    assert_eq!(AdamW::<Net>::STATE_BYTES, 2 * block);
    assert_eq!(AdamWAmsGrad::<Net>::STATE_BYTES, 3 * block);
    assert_eq!(Adamax::<Net>::STATE_BYTES, 2 * block);
    assert_eq!(NAdam::<Net>::STATE_BYTES, 2 * block);
    // The whole optimizer is its state plus a few scalars.
    assert!(std::mem::size_of::<Adam<Net>>() <= Adam::<Net>::STATE_BYTES + 64);
    assert!(std::mem::size_of::<RmsProp<Net>>() <= RmsProp::<Net>::STATE_BYTES + 64);
}

#[test]
fn optimizers_can_be_built_in_constant_context() {
    const ADAM: Adam<Net> = Adam::new(1e-2).betas(0.8, 0.99).eps(1e-7).weight_decay(0.1);
    const MOMENTUM: Momentum<Net> = Momentum::new_nesterov(1e-2, 0.9);
    let mut adam = ADAM;
    assert_eq!((adam.beta1, adam.beta2, adam.eps, adam.weight_decay), (0.8, 0.99, 1e-7, 0.1));
    let mut by_builder = Adam::<Net>::new(1e-2).betas(0.8, 0.99).eps(1e-7).weight_decay(0.1);
    assert_eq!(trajectory(&mut adam, 3).as_flat(), trajectory(&mut by_builder, 3).as_flat());
    let mut nesterov = MOMENTUM;
    let mut by_flag = Momentum::<Net>::new(1e-2, 0.9).nesterov(true);
    assert_eq!(trajectory(&mut nesterov, 3).as_flat(), trajectory(&mut by_flag, 3).as_flat());
}

#[test]
fn defaults_are_pytorchs() {
    let d = Adam::<Net>::default();
    assert_eq!((d.lr, d.beta1, d.beta2, d.eps, d.weight_decay), (1e-3, 0.9, 0.999, 1e-8, 0.0));
    let d = AdamW::<Net>::default();
    assert_eq!((d.lr, d.weight_decay), (1e-3, 0.01));
    let d = Adagrad::<Net>::default();
    assert_eq!((d.lr, d.lr_decay, d.initial_accumulator_value, d.eps), (1e-2, 0.0, 0.0, 1e-10));
    let d = RmsProp::<Net>::default();
    assert_eq!((d.lr, d.alpha, d.eps, d.momentum_value(), d.centered()), (1e-2, 0.99, 1e-8, 0.0, false));
    let d = Adamax::<Net>::default();
    assert_eq!((d.lr, d.beta1, d.beta2, d.eps), (2e-3, 0.9, 0.999, 1e-8));
    let d = NAdam::<Net>::default();
    assert_eq!((d.lr, d.momentum_decay, d.decoupled_weight_decay), (2e-3, 4e-3, false));
    assert_eq!(Sgd::<Net>::default().lr, 1e-3);
    let m = Momentum::<Net>::new(0.1, 0.9);
    assert_eq!((m.dampening, m.nesterov, m.weight_decay), (0.0, false, 0.0));
}

#[test]
fn adamw_without_decay_is_adam_and_with_decay_shrinks_first() {
    let mut adam = Adam::<Net>::new(0.05);
    let mut adamw = AdamW::<Net>::new(0.05).weight_decay(0.0);
    assert_eq!(trajectory(&mut adam, 6).as_flat(), trajectory(&mut adamw, 6).as_flat());
    // With a zero gradient the Adam part is zero: one step is exactly θ (1 - η λ).
    let mut adamw = AdamW::<Net>::new(0.5).weight_decay(0.2);
    let mut params = some_grads(3);
    let before = params;
    adamw.step(&mut params, &Params::zeroed());
    for (&a, &b) in params.as_flat().iter().zip(before.as_flat()) {
        assert_eq!(a, b * (1.0 - 0.5 * 0.2));
    }
}

#[test]
fn learning_rate_can_be_read_and_set() {
    let mut opts: Vec<Box<dyn Optimizer<Net>>> = vec![
        Box::new(Sgd::new(0.1)),
        Box::new(Momentum::new(0.1, 0.9)),
        Box::new(Adagrad::new(0.1)),
        Box::new(RmsProp::<Net>::new(0.1)),
        Box::new(Adam::<Net>::new(0.1)),
        Box::new(AdamW::<Net>::new(0.1)),
        Box::new(Adamax::new(0.1)),
        Box::new(NAdam::new(0.1)),
    ];
    for opt in &mut opts {
        assert_eq!(opt.learning_rate(), 0.1);
        opt.set_learning_rate(0.25);
        assert_eq!(opt.learning_rate(), 0.25);
        // A zero learning rate leaves the parameters alone.
        opt.set_learning_rate(0.0);
        let mut params = some_grads(5);
        let before = params;
        opt.step(&mut params, &some_grads(6));
        assert_eq!(params.as_flat(), before.as_flat());
    }
}

#[test]
fn a_network_without_parameters_is_a_no_op() {
    type NoParams = Relu<[f32; 4]>;
    assert_eq!(<NoParams as Layer>::PARAMS, 0);
    Sgd::<NoParams>::new(0.1).step(&mut (), &());
    Momentum::<NoParams>::new(0.1, 0.9).step(&mut (), &());
    AmsGrad::<NoParams>::new(0.1).step(&mut (), &());
    RmsProp::<NoParams, WithBuffer, WithBuffer>::new(0.1).step(&mut (), &());
    NAdam::<NoParams>::new(0.1).step(&mut (), &());
    assert_eq!(Adam::<NoParams>::STATE_BYTES, 0);
}

/// The state of these optimizers (34 to 50 MB) is far larger than a test thread's stack
/// (2 MB): building it anywhere but in place on the heap would overflow.
#[test]
fn boxed_construction_never_touches_the_stack() {
    type Big = Dense<2048, 2048>;
    const { assert!(Adam::<Big>::STATE_BYTES > 32 << 20) };
    let adam = Adam::<Big>::new_boxed(1e-3);
    assert_eq!((adam.lr, adam.beta2, adam.steps()), (1e-3, 0.999, 0));
    let rms = RmsProp::<Big, WithBuffer, WithBuffer>::new_boxed(1e-2);
    assert_eq!(rms.alpha, 0.99);
    let momentum = Momentum::<Big>::new_boxed(0.1, 0.9);
    assert_eq!(momentum.momentum, 0.9);
    let _ = (AmsGrad::<Big>::new_boxed(1e-3), AdamW::<Big>::new_boxed(1e-3), NAdam::<Big>::new_boxed(1e-3));
    let _ = (Adagrad::<Big>::new_boxed(1e-2), Adamax::<Big>::new_boxed(1e-3));
}
