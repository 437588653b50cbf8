//! Optimizer and schedule state saved by name and restored into fresh values resumes
//! training bit for bit: 2N steps in one go equal N steps, a save, a load into a new
//! optimizer, and N more.

use staticnet::optim::{Adagrad, Adam, AdamW, Adamax, AmsGrad, Momentum, NAdam, Optimizer, RmsProp, Sgd, WithBuffer};
use staticnet::prelude::*;
use staticnet::schedule::ReduceLrOnPlateau;
use staticnet::state::StateVisitor;

network! {
    struct Net {
        input: [5],
        fc1: Dense(7),
        Tanh,
        fc2: Dense(3),
    }
}

/// Every piece of state, by name, in visiting order.
#[derive(Default, Debug, PartialEq)]
struct Saved(Vec<(String, Vec<f64>)>);

impl StateVisitor for Saved {
    fn buffer(&mut self, name: &str, values: &mut [f32]) {
        self.0.push((name.into(), values.iter().map(|&v| v as f64).collect()));
    }
    fn count(&mut self, name: &str, value: &mut u64) {
        self.0.push((name.into(), vec![*value as f64]));
    }
    fn real(&mut self, name: &str, value: &mut f64) {
        self.0.push((name.into(), vec![*value]));
    }
}

/// Writes saved state back, checking names and lengths.
struct Load<'a>(std::slice::Iter<'a, (String, Vec<f64>)>);

impl Load<'_> {
    fn next(&mut self, name: &str, len: usize) -> &[f64] {
        let (saved, values) = self.0.next().expect("more state than was saved");
        assert_eq!((saved.as_str(), values.len()), (name, len));
        values
    }
}

impl StateVisitor for Load<'_> {
    fn buffer(&mut self, name: &str, values: &mut [f32]) {
        let saved = self.next(name, values.len());
        values.iter_mut().zip(saved).for_each(|(v, &s)| *v = s as f32);
    }
    fn count(&mut self, name: &str, value: &mut u64) {
        *value = self.next(name, 1)[0] as u64;
    }
    fn real(&mut self, name: &str, value: &mut f64) {
        *value = self.next(name, 1)[0];
    }
}

fn batch(step: usize) -> ([[f32; 5]; 4], [usize; 4]) {
    let x = core::array::from_fn(|r| core::array::from_fn(|i| ((step * 7 + r * 3 + i) % 11) as f32 / 5.0 - 1.0));
    (x, core::array::from_fn(|r| (step + r) % 3))
}

fn train<O: Optimizer<Net>>(model: &mut Model<Net>, optimizer: &mut O, steps: std::ops::Range<usize>) {
    let mut ws = Workspace::<Net, 4>::new();
    for step in steps {
        let (x, y) = batch(step);
        ws.train_step(model, &x, &y, &CrossEntropyLoss, optimizer).unwrap();
    }
}

fn resumes_bit_for_bit<O: Optimizer<Net>>(name: &str, build: impl Fn() -> O) {
    let n = 6;
    let mut straight = Model::<Net>::new(1);
    let mut optimizer = build();
    train(&mut straight, &mut optimizer, 0..2 * n);

    let mut resumed = Model::<Net>::new(1);
    let mut first = build();
    train(&mut resumed, &mut first, 0..n);
    let mut saved = Saved::default();
    first.visit_state(&mut saved);
    assert!(saved.0.iter().all(|(_, v)| !v.is_empty()), "{name}: {saved:?}");
    let mut fresh = build();
    fresh.visit_state(&mut Load(saved.0.iter()));
    train(&mut resumed, &mut fresh, n..2 * n);

    assert_eq!(resumed.params.as_flat(), straight.params.as_flat(), "{name}: parameters after resuming");
    let (mut a, mut b) = (Saved::default(), Saved::default());
    optimizer.visit_state(&mut a);
    fresh.visit_state(&mut b);
    assert_eq!(a, b, "{name}: state after resuming");
}

#[test]
fn every_optimizer_resumes_bit_for_bit() {
    resumes_bit_for_bit("sgd", || Sgd::new(0.1));
    resumes_bit_for_bit("momentum", || Momentum::new(0.1, 0.9).nesterov(true));
    resumes_bit_for_bit("adagrad", || Adagrad::new(0.1));
    resumes_bit_for_bit("rmsprop", || RmsProp::<Net, WithBuffer, WithBuffer>::new(0.01).momentum(0.9));
    resumes_bit_for_bit("adam", || Adam::<Net>::new(0.01));
    resumes_bit_for_bit("amsgrad", || AmsGrad::new(0.01));
    resumes_bit_for_bit("adamw", || AdamW::<Net>::new(0.01));
    resumes_bit_for_bit("adamax", || Adamax::new(0.01));
    resumes_bit_for_bit("nadam", || NAdam::new(0.01));
}

#[test]
fn a_plateau_schedule_resumes_its_counters() {
    let metrics = [1.0, 0.9, 0.95, 0.97, 0.96, 0.99, 0.98, 0.97, 1.0, 0.99];
    let build = || ReduceLrOnPlateau::new(0.1).patience(1);
    let mut straight = build();
    let rates: Vec<f32> = metrics.iter().map(|&m| straight.observe(m)).collect();
    let mut first = build();
    metrics[..4].iter().for_each(|&m| {
        first.observe(m);
    });
    let mut saved = Saved::default();
    first.visit_state(&mut saved);
    let mut resumed = build();
    resumed.visit_state(&mut Load(saved.0.iter()));
    let tail: Vec<f32> = metrics[4..].iter().map(|&m| resumed.observe(m)).collect();
    assert_eq!(tail, rates[4..]);
    assert_eq!(resumed, straight);
}
