//! Trains a 784-128-10 perceptron on MNIST and reports its test accuracy.
//!
//! ```text
//! cargo run --release --example mnist -- [--data DIR] [--epochs N] [--seed S]
//! ```
//!
//! Without `--data` it uses the subset bundled with staticnet (7,500 training and 1,500
//! test images). `DIR` holds the standard MNIST file names, each optionally gzipped.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use staticnet::data::{Dataset, Mnist};
use staticnet::prelude::*;

network! {
    /// A two-layer perceptron for 28x28 digits.
    pub struct Mlp {
        input: [784],
        fc1: Dense(128, init = HeUniform),
        act1: Relu,
        fc2: Dense(10),
    }
}

/// Rows per training batch (the workspace's compile-time capacity).
const BATCH: usize = 32;

struct Options {
    data: PathBuf,
    epochs: usize,
    seed: u64,
    lr: f32,
}

fn main() -> ExitCode {
    match parse_args().and_then(|options| run(&options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(options: &Options) -> Result<(), String> {
    let mut mnist = Mnist::load(&options.data).map_err(|e| e.to_string())?;
    let mut model = Model::<Mlp>::new_boxed(options.seed);
    let mut ws = Workspace::<Mlp, BATCH>::new_boxed();
    let mut optimizer = Sgd::new(options.lr);
    println!(
        "{} training and {} test images; {} parameters ({} KiB), workspace {} KiB",
        mnist.train.len(),
        mnist.test.len(),
        Mlp::PARAMS,
        Mlp::PARAM_BYTES / 1024,
        Workspace::<Mlp, BATCH>::BYTES / 1024
    );
    for epoch in 1..=options.epochs {
        let start = Instant::now();
        mnist.train.shuffle(options.seed.wrapping_add(epoch as u64));
        let (mut loss_sum, mut correct) = (0.0f64, 0usize);
        for (inputs, labels) in mnist.train.batches(BATCH) {
            let loss = ws.train_step(&mut model, inputs, labels, &CrossEntropyLoss, &mut optimizer);
            loss_sum += loss.map_err(|e| format!("epoch {epoch}: {e}"))? as f64 * inputs.len() as f64;
            correct += ws.outputs().iter().zip(labels).filter(|&(out, &label)| argmax(out) == label).count();
        }
        let n = mnist.train.len() as f64;
        println!(
            "epoch {epoch:>2}/{}  loss {:.4}  train accuracy {:.4}  time {:.2}s",
            options.epochs,
            loss_sum / n,
            correct as f64 / n,
            start.elapsed().as_secs_f64()
        );
    }
    println!("test accuracy: {:.4}", accuracy(&model, &mut ws, &mnist.test)?);
    Ok(())
}

/// Fraction of `data` the model classifies correctly, in evaluation mode.
fn accuracy(model: &Model<Mlp>, ws: &mut Workspace<Mlp, BATCH>, data: &Dataset<784>) -> Result<f64, String> {
    let mut correct = 0;
    for (inputs, labels) in data.batches(BATCH) {
        let outputs = ws.forward(model, inputs, Mode::Eval).map_err(|e| e.to_string())?;
        correct += outputs.iter().zip(labels).filter(|&(out, &label)| argmax(out) == label).count();
    }
    Ok(correct as f64 / data.len() as f64)
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        data: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist")),
        epochs: 30,
        seed: 42,
        lr: 0.1,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--data" => options.data = PathBuf::from(value()?),
            "--epochs" => options.epochs = parse(&flag, &value()?)?,
            "--seed" => options.seed = parse(&flag, &value()?)?,
            "--lr" => options.lr = parse(&flag, &value()?)?,
            "--help" | "-h" => {
                println!("usage: mnist [--data DIR] [--epochs N] [--seed S] [--lr LR]");
                std::process::exit(0);
            }
            _ => {
                return Err(format!(
                    "unknown flag {flag}; usage: mnist [--data DIR] [--epochs N] [--seed S] [--lr LR]"
                ));
            }
        }
    }
    Ok(options)
}

fn parse<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value.parse().map_err(|_| format!("{flag}: cannot parse `{value}`"))
}
