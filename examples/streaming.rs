//! Streams a trained recurrent network one input at a time, as a sensor or audio pipeline
//! runs it: the state in a buffer the caller owns, one step per incoming sample, the
//! classifier applied after every step, and the latency of each step measured.
//!
//! The task: 8 sensor channels carry one of four noisy waveforms (sine, square, triangle,
//! sawtooth) at a random frequency, phase and amplitude, each channel with its own phase
//! offset; a GRU(32) (an LSTM(32) with `--lstm`) reads 32 samples and a Dense head names the
//! waveform. The network trains with `fit` and early stopping on whole segments, then the
//! test segments are streamed sample by sample: the streamed class after the last sample
//! must equal the batched forward pass's, and the example exits non-zero otherwise.
//!
//! ```text
//! cargo run --release --example streaming -- [--lstm] [--seed S]
//! ```
//!
//! It prints the median and 99th-percentile latency of one step (recurrent step plus head)
//! and the real-time factor against one sample of 48 kHz audio (20.8 µs): the budget over
//! the median step.

use std::process::ExitCode;
use std::time::Instant;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use staticnet::data::Dataset;
use staticnet::flat::reshape;
use staticnet::layers::Recurrent;
use staticnet::prelude::*;
use staticnet::train::callbacks::EarlyStopping;
use staticnet::train::fit;

/// Samples per segment (the steps of one training sequence).
const STEPS: usize = 32;
/// Sensor channels (features per step).
const CHANNELS: usize = 8;
/// Sine, square, triangle, sawtooth.
const WAVEFORMS: usize = 4;
/// The time budget of one sample of 48 kHz audio, in microseconds.
const BUDGET_48KHZ_US: f64 = 1e6 / 48_000.0;

network! {
    /// A GRU over the samples, a classifier on its last state.
    pub struct WavesGru {
        input: [32, 8],
        gru: Gru(32),
        head: Dense(4),
    }
}

network! {
    /// The same with an LSTM.
    pub struct WavesLstm {
        input: [32, 8],
        lstm: Lstm(32),
        head: Dense(4),
    }
}

/// `count` random segments, flattened to `STEPS · CHANNELS` values, with their waveform.
fn segments(count: usize, rng: &mut SmallRng) -> Result<Dataset<{ STEPS * CHANNELS }>, Error> {
    let mut inputs = Vec::with_capacity(count);
    let mut targets = Vec::with_capacity(count);
    for i in 0..count {
        let class = i % WAVEFORMS;
        let cycles = rng.random_range(1.5f32..4.0) / STEPS as f32;
        let (phase, amplitude) = (rng.random_range(0.0f32..1.0), rng.random_range(0.5f32..1.5));
        let mut x = [0.0f32; STEPS * CHANNELS];
        for t in 0..STEPS {
            for c in 0..CHANNELS {
                let u = (t as f32 * cycles + phase + c as f32 * 0.125).fract();
                let wave = match class {
                    0 => (u * std::f32::consts::TAU).sin(),
                    1 => {
                        if u < 0.5 {
                            1.0
                        } else {
                            -1.0
                        }
                    }
                    2 => 4.0 * (u - 0.5).abs() - 1.0,
                    _ => 2.0 * u - 1.0,
                };
                x[t * CHANNELS + c] = amplitude * wave + rng.random_range(-0.3..0.3);
            }
        }
        inputs.push(x);
        targets.push(class);
    }
    Dataset::new(inputs, targets)
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut seed = 0u64;
    let mut lstm = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--lstm" => lstm = true,
            "--seed" => seed = args.next().and_then(|v| v.parse().ok()).ok_or("--seed takes a number")?,
            _ => return Err(format!("unknown argument {arg}; usage: streaming [--lstm] [--seed S]")),
        }
    }
    if lstm {
        stream::<WavesLstm, _>(
            "LSTM(32)",
            seed,
            |model| (&model.net.lstm, &model.params.lstm),
            |m| (&m.net.head, &m.params.head),
        )
    } else {
        stream::<WavesGru, _>(
            "GRU(32)",
            seed,
            |model| (&model.net.gru, &model.params.gru),
            |m| (&m.net.head, &m.params.head),
        )
    }
}

/// The recurrent layer and its parameters, picked out of a trained model.
type Cell<'m, C> = (&'m C, &'m <C as Forward>::Params);
/// The head and its parameters.
type Head<'m> = (&'m Dense<32, 4>, &'m <Dense<32, 4> as Forward>::Params);

/// Trains `N`, then streams the test segments through its recurrent layer `C` and head.
fn stream<N, C>(
    name: &str,
    seed: u64,
    cell: impl for<'m> Fn(&'m Model<N>) -> Cell<'m, C>,
    head: impl for<'m> Fn(&'m Model<N>) -> Head<'m>,
) -> Result<(), String>
where
    N: Layer<Input = [[f32; CHANNELS]; STEPS], Output = [f32; WAVEFORMS]> + Default,
    C: Recurrent<Step = [f32; CHANNELS], Hidden = [f32; 32]>,
{
    let mut rng = SmallRng::seed_from_u64(seed);
    let err = |e: Error| e.to_string();
    let (mut train, mut val, test) = (
        segments(2000, &mut rng).map_err(err)?,
        segments(400, &mut rng).map_err(err)?,
        segments(400, &mut rng).map_err(err)?,
    );

    let mut model = Model::<N>::new_boxed(seed);
    let mut ws = Workspace::<N, 32>::new_boxed();
    let mut adam = Adam::<N>::new_boxed(1e-2);
    let mut early = EarlyStopping::new("val_loss").patience(3).restore_best_weights(true);
    let history = fit(&mut model, &mut ws, adam.as_mut(), &CrossEntropyLoss)
        .epochs(30)
        .seed(seed)
        .verbose(0)
        .callbacks(&mut [&mut early])
        .validation_data(&mut val)
        .run(&mut train)
        .map_err(|e| e.to_string())?;
    println!("{name}: trained {} epochs on 2,000 segments of {STEPS} samples x {CHANNELS} channels", history.len());

    // The batched forward pass over the test segments, the reference for the stream.
    let mut batched = Vec::with_capacity(test.len());
    for chunk in test.inputs.chunks(32) {
        let rows: &[[[f32; CHANNELS]; STEPS]] = reshape(chunk);
        batched.extend(ws.forward(&model, rows, Mode::Eval).map_err(err)?.iter().map(argmax));
    }

    // The stream: one sample at a time, the state in `carry`, reset at each segment.
    let (layer, params) = cell(&model);
    let (dense, dense_params) = head(&model);
    let mut carry = C::Carry::zeroed();
    let mut logits = [[0.0f32; WAVEFORMS]];
    let mut step_ns = Vec::with_capacity(test.len() * STEPS);
    let (mut agree, mut correct) = (0usize, 0usize);
    for ((x, &label), &batched_class) in test.inputs.iter().zip(&test.targets).zip(&batched) {
        let samples: &[[f32; CHANNELS]; STEPS] = &reshape::<_, [[f32; CHANNELS]; STEPS]>(std::slice::from_ref(x))[0];
        layer.reset(&mut carry);
        for sample in samples {
            let start = Instant::now();
            let h = layer.step(params, &mut carry, sample);
            dense.infer::<1>(dense_params, &(), std::slice::from_ref(h), &mut logits, &mut ());
            step_ns.push(start.elapsed().as_nanos() as f64);
        }
        let class = argmax(&logits[0]);
        agree += usize::from(class == batched_class);
        correct += usize::from(class == label);
    }
    step_ns.sort_by(f64::total_cmp);
    let median = step_ns[step_ns.len() / 2] / 1e3;
    let p99 = step_ns[step_ns.len() * 99 / 100] / 1e3;
    println!(
        "streamed {} segments, {} steps: one step ({name} step + Dense head) median {median:.2} µs, p99 {p99:.2} µs",
        test.len(),
        step_ns.len()
    );
    println!(
        "real-time factor against one 48 kHz sample ({BUDGET_48KHZ_US:.1} µs): {:.1}x (median), {:.1}x (p99)",
        BUDGET_48KHZ_US / median,
        BUDGET_48KHZ_US / p99
    );
    println!("streamed class equals the batched forward pass's: {agree}/{}", test.len());
    let accuracy = correct as f64 / test.len() as f64;
    println!("test accuracy: {accuracy:.4}");
    if agree != test.len() {
        return Err(format!("the stream disagrees with the batched forward pass on {} segments", test.len() - agree));
    }
    Ok(())
}
