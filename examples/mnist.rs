//! Trains a 784-128-10 perceptron on MNIST with SGD and momentum 0.9, and reports its
//! test accuracy.
//!
//! ```text
//! cargo run --release --example mnist -- [--data DIR] [--epochs N] [--seed S] [--lr LR] [--save FILE]
//!                                         [--subset N] [--augment]
//! ```
//!
//! Without `--data` it uses the subset bundled with staticnet (7,500 training and 1,500
//! test images). `DIR` holds the standard MNIST file names, each optionally gzipped.
//! `--subset N` trains on the first `N` training images only; `--augment` trains on
//! copies shifted by up to 2 pixels and rotated by up to 10 degrees, drawn afresh for
//! every batch.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use staticnet::augment::{Augmenter, RandomCrop, RandomRotation};
use staticnet::data::Mnist;
use staticnet::prelude::*;
use staticnet::train::{accuracy, train_epoch, train_epoch_augmented};

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
    subset: Option<usize>,
    augment: bool,
}

const USAGE: &str =
    "usage: mnist [--data DIR] [--epochs N] [--seed S] [--lr LR] [--save FILE] [--subset N] [--augment]";

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
    if let Some(n) = options.subset {
        mnist.train.inputs.truncate(n);
        mnist.train.targets.truncate(n);
    }
    // Shifts of up to 2 pixels (a crop of the image padded by 2) and rotations of up to
    // 10 degrees; no flips, a mirrored digit is another symbol.
    let mut augmenter = Augmenter::<_, 1, 28, 28>::new(
        (RandomCrop { padding: 2, fill: 0.0 }, RandomRotation { degrees: 10.0, fill: 0.0 }),
        options.seed,
    );
    let mut buffer = vec![[0.0f32; 784]; BATCH];
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
        let (train, optimizer) = (&mnist.train, optimizer.as_mut());
        let stats = if options.augment {
            train_epoch_augmented(&mut ws, &mut model, train, &CrossEntropyLoss, optimizer, &mut augmenter, &mut buffer)
        } else {
            train_epoch(&mut ws, &mut model, train, &CrossEntropyLoss, optimizer)
        }
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
        subset: None,
        augment: false,
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
            "--subset" => options.subset = Some(parse(&flag, &value()?)?),
            "--augment" => options.augment = true,
            "--help" | "-h" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            _ => return Err(format!("unknown flag {flag}; {USAGE}")),
        }
    }
    Ok(options)
}

fn parse<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value.parse().map_err(|_| format!("{flag}: cannot parse `{value}`"))
}
