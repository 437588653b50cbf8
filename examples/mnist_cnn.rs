//! Trains a small convolutional network on MNIST with `fit` (the last 10% of the training
//! images validate, early stopping restores the best epoch, the rate decays by 0.75 per
//! epoch) and reports its test accuracy; with `--mc-samples T`, also Monte-Carlo dropout
//! predictions and their uncertainty. `--plot FILE` writes the learning curves.
//!
//! ```text
//! cargo run --release --example mnist_cnn -- [--data DIR] [--epochs N] [--seed S] [--mc-samples T]
//!                                             [--plot FILE]
//! ```
//!
//! Without `--data` it uses the subset bundled with staticnet (7,500 training and 1,500
//! test images). `DIR` holds the standard MNIST file names, each optionally gzipped.

#[path = "common/mnist_cnn_network.rs"]
mod mnist_cnn_network;
#[path = "common/plot.rs"]
mod plot;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use staticnet::data::{Dataset, Mnist};
use staticnet::flat::reshape;
use staticnet::prelude::*;
use staticnet::schedule::Exponential;
use staticnet::train::callbacks::{EarlyStopping, LearningRateScheduler};
use staticnet::train::metrics::Accuracy;
use staticnet::train::{accuracy, fit};

use mnist_cnn_network::Cnn;

/// Rows per batch (the workspace's compile-time capacity).
const BATCH: usize = 32;

struct Options {
    data: PathBuf,
    epochs: usize,
    seed: u64,
    lr: f32,
    mc_samples: usize,
    plot: Option<PathBuf>,
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
    let mut model = Model::<Cnn>::new_boxed(options.seed);
    let mut ws = Workspace::<Cnn, BATCH>::new_boxed();
    let mut optimizer = Adam::<Cnn>::new_boxed(options.lr);
    // The learning rate decays by a factor 0.75 per epoch (PyTorch's ExponentialLR).
    let schedule = Exponential::per_step(options.lr as f64, 0.75);
    println!(
        "{} training images (the last 10% validate) and {} test images; {} parameters ({} KiB), workspace {} KiB, Adam state {} KiB",
        mnist.train.len(),
        mnist.test.len(),
        Cnn::PARAMS,
        Cnn::PARAM_BYTES / 1024,
        Workspace::<Cnn, BATCH>::BYTES / 1024,
        Adam::<Cnn>::STATE_BYTES / 1024,
    );
    let mut scheduler = LearningRateScheduler::per_epoch(schedule);
    let mut early = EarlyStopping::new("val_loss").patience(2).restore_best_weights(true);
    let mut history = fit(&mut model, &mut ws, optimizer.as_mut(), &CrossEntropyLoss)
        .epochs(options.epochs)
        .seed(options.seed)
        .validation_split(0.1)
        .metrics(&mut [&mut Accuracy::new()])
        .callbacks(&mut [&mut scheduler, &mut early])
        .run(&mut mnist.train)
        .map_err(|e| e.to_string())?;
    if let Some(epoch) = early.restored_epoch() {
        println!("restored the weights of epoch {} (the lowest val_loss)", epoch + 1);
    }
    history.set_best_epoch(early.restored_epoch());
    plot::save(&history, options.plot.as_deref())?;
    if options.mc_samples > 0 {
        mc_dropout_report(&model, &mut ws, &mnist.test, options.mc_samples)?;
    }
    let test = accuracy(&mut ws, &model, &mnist.test).map_err(|e| e.to_string())?;
    println!("test accuracy: {test:.4}");
    Ok(())
}

/// Accuracy of the mean of `passes` Monte-Carlo dropout predictions (softmax
/// probabilities), and the mean standard deviation of the predicted class's probability
/// over correct and wrong predictions.
fn mc_dropout_report(
    model: &Model<Cnn>,
    ws: &mut Workspace<Cnn, BATCH>,
    test: &Dataset<784>,
    passes: usize,
) -> Result<(), String> {
    let start = Instant::now();
    let (mut mean, mut std) = ([[0.0f32; 10]; BATCH], [[0.0f32; 10]; BATCH]);
    let (mut correct, mut std_correct, mut std_wrong) = (0usize, 0.0f64, 0.0f64);
    for (inputs, labels) in test.batches(BATCH).map_err(|e| e.to_string())? {
        let softmax_in_place = |logits: &mut [f32; 10]| *logits = softmax(logits);
        ws.mc_dropout(model, reshape(inputs), passes, softmax_in_place, &mut mean, &mut std)
            .map_err(|e| e.to_string())?;
        for ((m, s), &label) in mean.iter().zip(&std).zip(labels) {
            let predicted = argmax(m);
            if predicted == label {
                correct += 1;
                std_correct += s[predicted] as f64;
            } else {
                std_wrong += s[predicted] as f64;
            }
        }
    }
    let wrong = test.len() - correct;
    println!(
        "mc dropout ({passes} passes, {:.2}s): accuracy {:.4}; mean std of the predicted probability: correct {:.4}, wrong {:.4}",
        start.elapsed().as_secs_f64(),
        correct as f64 / test.len() as f64,
        std_correct / correct.max(1) as f64,
        std_wrong / wrong.max(1) as f64,
    );
    Ok(())
}

fn parse_args() -> Result<Options, String> {
    let usage = "usage: mnist_cnn [--data DIR] [--epochs N] [--seed S] [--lr LR] [--mc-samples T] [--plot FILE]";
    let mut options = Options {
        data: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist")),
        epochs: 10,
        seed: 42,
        lr: 3e-3,
        mc_samples: 0,
        plot: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--data" => options.data = PathBuf::from(value()?),
            "--epochs" => options.epochs = parse(&flag, &value()?)?,
            "--seed" => options.seed = parse(&flag, &value()?)?,
            "--lr" => options.lr = parse(&flag, &value()?)?,
            "--mc-samples" => options.mc_samples = parse(&flag, &value()?)?,
            "--plot" => options.plot = Some(PathBuf::from(value()?)),
            "--help" | "-h" => {
                println!("{usage}");
                std::process::exit(0);
            }
            _ => return Err(format!("unknown flag {flag}; {usage}")),
        }
    }
    Ok(options)
}

fn parse<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value.parse().map_err(|_| format!("{flag}: cannot parse `{value}`"))
}
