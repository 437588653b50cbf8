//! A small tabular program as a user would write it: 30 features, two classes, a
//! 30-64-32-2 MLP trained with Adam for a fixed number of epochs on synthetic data.
//! Prints the training time, so debug and release builds can be compared:
//!
//! ```text
//! cargo run -- [EPOCHS]             # debug, with this crate's [profile.dev]
//! cargo run --release -- [EPOCHS]
//! ```

use std::process::ExitCode;
use std::time::Instant;

use staticnet::data::Dataset;
use staticnet::prelude::*;
use staticnet::train::{accuracy, train_epoch};

network! {
    struct Tabular {
        input: [30],
        fc1: Dense(64),
        Relu,
        fc2: Dense(32),
        Relu,
        fc3: Dense(2),
    }
}

const ROWS: usize = 2048;
const BATCH: usize = 32;

/// Rows of 30 uniform features in [-1, 1]; the class is whether a fixed linear function
/// of them plus a product term is positive.
fn synthetic(rows: usize, mut state: u64) -> Dataset<30> {
    let mut next = move || {
        // xorshift64*: deterministic, no dependency.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
    };
    let mut data = Dataset::default();
    for _ in 0..rows {
        let x: [f32; 30] = core::array::from_fn(|_| next());
        let score: f32 = x.iter().enumerate().map(|(i, v)| v * ((i % 7) as f32 - 3.0)).sum::<f32>() + 4.0 * x[0] * x[1];
        data.inputs.push(x);
        data.targets.push(usize::from(score > 0.0));
    }
    data
}

fn main() -> ExitCode {
    let epochs: usize = match std::env::args().nth(1).map(|a| a.parse()) {
        None => 30,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            eprintln!("error: EPOCHS: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut train = synthetic(ROWS, 0x9E37_79B9_7F4A_7C15);
    let test = synthetic(512, 0xD1B5_4A32_D192_ED03);
    let mut model = Model::<Tabular>::new_boxed(7);
    let mut ws = Workspace::<Tabular, BATCH>::new_boxed();
    let mut adam = Adam::<Tabular>::new_boxed(1e-3);

    let start = Instant::now();
    let mut loss = f64::NAN;
    for epoch in 0..epochs {
        train.shuffle(epoch as u64);
        match train_epoch(&mut ws, &mut model, &train, &CrossEntropyLoss, adam.as_mut()) {
            Ok(stats) => loss = stats.loss,
            Err(e) => {
                eprintln!("error: epoch {epoch}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let steps = epochs * ROWS.div_ceil(BATCH);
    let acc = match accuracy(&mut ws, &model, &test) {
        Ok(acc) => acc,
        Err(e) => {
            eprintln!("error: accuracy: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("final loss {loss:.4}, test accuracy {acc:.4}");
    println!("training time: {seconds:.3} s ({steps} steps of batch {BATCH})");
    ExitCode::SUCCESS
}
