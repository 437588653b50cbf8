//! Reads each 28x28 MNIST digit as a sequence of 28 rows of 28 pixels: an LSTM(64) (or a
//! GRU(64) with `--gru`; either bidirectional with `--bidirectional`, PyTorch's
//! `bidirectional=True`), a linear head on its last step, Adam at 2e-3, batch 32, the
//! gradient clipped to norm 1 before every step. Prints the time of each epoch and, last,
//! the test accuracy.
//!
//! ```text
//! cargo run --release --example mnist_rows -- [--data DIR] [--epochs N] [--seed S] [--lr LR] [--gru] [--bidirectional]
//! ```
//!
//! Without `--data` it uses the subset bundled with staticnet (7,500 training and 1,500
//! test images). `DIR` holds the standard MNIST file names, each optionally gzipped.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use staticnet::data::{Dataset, Mnist};
use staticnet::flat::reshape;
use staticnet::prelude::*;
use staticnet::regularize::clip_grad_norm;

network! {
    /// An LSTM over the rows of a digit and a classifier on its last hidden state.
    pub struct RowLstm {
        input: [28, 28],
        lstm: Lstm(64),
        head: Dense(10),
    }
}

network! {
    /// The same with a GRU.
    pub struct RowGru {
        input: [28, 28],
        gru: Gru(64),
        head: Dense(10),
    }
}

network! {
    /// A bidirectional LSTM: the head reads both directions' final states.
    pub struct RowBiLstm {
        input: [28, 28],
        lstm: Lstm(64, bidirectional = true),
        head: Dense(10),
    }
}

network! {
    /// A bidirectional GRU.
    pub struct RowBiGru {
        input: [28, 28],
        gru: Gru(64, bidirectional = true),
        head: Dense(10),
    }
}

/// Rows per training batch (the workspace's compile-time capacity).
const BATCH: usize = 32;
/// Largest L2 norm of the whole gradient before each step.
const MAX_NORM: f32 = 1.0;

struct Options {
    data: PathBuf,
    epochs: usize,
    seed: u64,
    lr: f32,
    gru: bool,
    bidirectional: bool,
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
    let test = match (options.gru, options.bidirectional) {
        (false, false) => train::<RowLstm>("LSTM(64)", &mut mnist, options)?,
        (true, false) => train::<RowGru>("GRU(64)", &mut mnist, options)?,
        (false, true) => train::<RowBiLstm>("bidirectional LSTM(64)", &mut mnist, options)?,
        (true, true) => train::<RowBiGru>("bidirectional GRU(64)", &mut mnist, options)?,
    };
    println!("test accuracy: {test:.4}");
    Ok(())
}

/// Trains `N` and returns its test accuracy.
fn train<N>(name: &str, mnist: &mut Mnist, options: &Options) -> Result<f64, String>
where
    N: Layer<Input = [[f32; 28]; 28], Output = [f32; 10]> + Default,
{
    let mut model = Model::<N>::new_boxed(options.seed);
    let mut ws = Workspace::<N, BATCH>::new_boxed();
    let mut adam = Adam::<N>::new_boxed(options.lr);
    println!(
        "{name} over 28 rows of 28 pixels: {} training and {} test images; {} parameters, workspace {} KiB",
        mnist.train.len(),
        mnist.test.len(),
        N::PARAMS,
        Workspace::<N, BATCH>::BYTES / 1024,
    );
    let mut total = 0.0;
    for epoch in 1..=options.epochs {
        let start = Instant::now();
        mnist.train.shuffle(options.seed.wrapping_add(epoch as u64));
        let (mut loss_sum, mut correct) = (0.0f64, 0usize);
        for (inputs, labels) in mnist.train.batches(BATCH).map_err(|e| e.to_string())? {
            let rows: &[[[f32; 28]; 28]] = reshape(inputs);
            let loss = ws.compute_gradients(&mut model, rows, labels, &CrossEntropyLoss).map_err(|e| e.to_string())?;
            clip_grad_norm(ws.grads_mut().as_flat_mut(), MAX_NORM);
            ws.apply_gradients(&mut model, adam.as_mut());
            loss_sum += loss as f64 * rows.len() as f64;
            correct += ws.outputs().iter().zip(labels).filter(|&(out, &label)| argmax(out) == label).count();
        }
        let seconds = start.elapsed().as_secs_f64();
        total += seconds;
        let n = mnist.train.len() as f64;
        println!(
            "epoch {epoch:>2}/{}  loss {:.4}  train accuracy {:.4}  time {seconds:.3}s",
            options.epochs,
            loss_sum / n,
            correct as f64 / n
        );
    }
    println!("{:.3}s per epoch", total / options.epochs.max(1) as f64);
    accuracy(&mut ws, &model, &mnist.test)
}

/// Fraction of `data` classified right, in evaluation mode.
fn accuracy<N>(ws: &mut Workspace<N, BATCH>, model: &Model<N>, data: &Dataset<784>) -> Result<f64, String>
where
    N: Layer<Input = [[f32; 28]; 28], Output = [f32; 10]>,
{
    staticnet::train::accuracy(ws, model, data).map_err(|e| e.to_string())
}

fn parse_args() -> Result<Options, String> {
    const USAGE: &str = "usage: mnist_rows [--data DIR] [--epochs N] [--seed S] [--lr LR] [--gru] [--bidirectional]";
    let mut options = Options {
        data: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist")),
        epochs: 10,
        seed: 42,
        lr: 2e-3,
        gru: false,
        bidirectional: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--data" => options.data = PathBuf::from(value()?),
            "--epochs" => options.epochs = parse(&flag, &value()?)?,
            "--seed" => options.seed = parse(&flag, &value()?)?,
            "--lr" => options.lr = parse(&flag, &value()?)?,
            "--gru" => options.gru = true,
            "--bidirectional" => options.bidirectional = true,
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
