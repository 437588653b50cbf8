//! Trains a 784-128-10 perceptron on MNIST with SGD and momentum 0.9, and reports its
//! test accuracy.
//!
//! ```text
//! cargo run --release --example mnist -- [--data DIR] [--epochs N] [--seed S] [--lr LR] [--save FILE]
//! ```
//!
//! Without `--data` it uses the subset bundled with staticnet (7,500 training and 1,500
//! test images). `DIR` holds the standard MNIST file names, each optionally gzipped.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use staticnet::data::Mnist;
use staticnet::prelude::*;
use staticnet::train::{accuracy, train_epoch};

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
    save: Option<PathBuf>,
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
    let mut optimizer = Momentum::<Mlp>::new_boxed(options.lr, 0.9);
    println!(
        "{} training and {} test images; {} parameters ({} KiB), workspace {} KiB, momentum {} KiB",
        mnist.train.len(),
        mnist.test.len(),
        Mlp::PARAMS,
        Mlp::PARAM_BYTES / 1024,
        Workspace::<Mlp, BATCH>::BYTES / 1024,
        Momentum::<Mlp>::STATE_BYTES / 1024,
    );
    for epoch in 1..=options.epochs {
        let start = Instant::now();
        mnist.train.shuffle(options.seed.wrapping_add(epoch as u64));
        let stats = train_epoch(&mut ws, &mut model, &mnist.train, &CrossEntropyLoss, optimizer.as_mut())
            .map_err(|e| format!("epoch {epoch}: {e}"))?;
        println!(
            "epoch {epoch:>2}/{}  loss {:.4}  train accuracy {:.4}  time {:.2}s",
            options.epochs,
            stats.loss,
            stats.accuracy,
            start.elapsed().as_secs_f64()
        );
    }
    if let Some(path) = &options.save {
        model.save(path).map_err(|e| e.to_string())?;
        println!("saved the model to {} (safetensors: fc1.weight, fc1.bias, fc2.weight, fc2.bias)", path.display());
    }
    let test = accuracy(&mut ws, &model, &mnist.test).map_err(|e| e.to_string())?;
    println!("test accuracy: {test:.4}");
    Ok(())
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        data: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist")),
        epochs: 15,
        seed: 42,
        lr: 0.05,
        save: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--data" => options.data = PathBuf::from(value()?),
            "--epochs" => options.epochs = parse(&flag, &value()?)?,
            "--seed" => options.seed = parse(&flag, &value()?)?,
            "--lr" => options.lr = parse(&flag, &value()?)?,
            "--save" => options.save = Some(PathBuf::from(value()?)),
            "--help" | "-h" => {
                println!("usage: mnist [--data DIR] [--epochs N] [--seed S] [--lr LR] [--save FILE]");
                std::process::exit(0);
            }
            _ => {
                return Err(format!(
                    "unknown flag {flag}; usage: mnist [--data DIR] [--epochs N] [--seed S] [--lr LR] [--save FILE]"
                ));
            }
        }
    }
    Ok(options)
}

fn parse<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value.parse().map_err(|_| format!("{flag}: cannot parse `{value}`"))
}
