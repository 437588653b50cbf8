//! One streaming step of a recurrent cell at batch 1: `Recurrent::step` of an LSTM(32) and a
//! GRU(32) on 8 features, the state in a buffer the caller owns. The budget of one sample of
//! 48 kHz audio is 1/48000 s = 20.8 µs; the real-time factor is that budget over the time of
//! a step.

use criterion::{Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use staticnet::layers::{Gru, LastStep, Lstm, Recurrent};
use staticnet::prelude::*;
use std::hint::black_box;

const FEATURES: usize = 8;
const HIDDEN: usize = 32;

fn step<L: Recurrent<Step = [f32; FEATURES]> + Layer>(c: &mut Criterion, name: &str, layer: L) {
    let mut params = L::Params::zeroed();
    layer.init(&mut params, &mut L::State::zeroed(), &mut SmallRng::seed_from_u64(0));
    let mut carry = L::Carry::zeroed();
    let x: [f32; FEATURES] = core::array::from_fn(|i| (i as f32 * 0.7).sin());
    c.bench_function(&format!("step/{name}/features{FEATURES}/hidden{HIDDEN}"), |b| {
        b.iter(|| {
            layer.step(&params, &mut carry, black_box(&x));
        })
    });
}

fn benches(c: &mut Criterion) {
    step(c, "lstm", Lstm::<1, FEATURES, HIDDEN, LastStep>::default());
    step(c, "gru", Gru::<1, FEATURES, HIDDEN, LastStep>::default());
}

criterion_group!(streaming, benches);
criterion_main!(streaming);
