//! Breast cancer diagnosis (569 tumours, 30 features on very different scales): the same
//! 30-16-2 network trained on raw and on standardised features, on a stratified 80/20 split;
//! `fit` holds out the last 20% of the training tumours to stop early on.
//!
//! ```text
//! cargo run --release --example breast_cancer -- [--data FILE] [--seed S] [--epochs N] [--save FILE]
//!                                                 [--plot FILE]
//! ```
//!
//! `--plot FILE` draws the learning curves of the standardised run.
//!
//! With `--save FILE` the standardised model goes to `FILE` and its scaler beside it
//! (`FILE` with the extension `scaler.safetensors`); `load_model_and_scaler` reads both
//! back, so that the model predicts from raw measurements.

#[path = "common/args.rs"]
mod args;
#[path = "common/plot.rs"]
mod plot;

use std::process::ExitCode;

use staticnet::data::{
    CsvReader, Dataset, Scaler, StandardScaler, save_model_and_scaler, scaler_path, train_test_split,
};
use staticnet::prelude::*;
use staticnet::train::callbacks::{EarlyStopping, History};
use staticnet::train::metrics::Accuracy;
use staticnet::train::{accuracy, fit};

network! {
    /// Logits of benign and malignant.
    pub struct Mlp {
        input: [30],
        fc1: Dense(16, init = HeUniform),
        Relu,
        fc2: Dense(2),
    }
}

const BATCH: usize = 32;

fn main() -> ExitCode {
    match args::parse("breast_cancer", "data/breast_cancer.csv", 100).and_then(|args| run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &args::Args) -> Result<(), String> {
    let data: Dataset<30> = CsvReader::new()
        .target("malignant")
        .read(&args.data)
        .and_then(|table| table.classes(2))
        .map_err(|e| e.to_string())?;
    let split = train_test_split(data.len(), 0.0, 0.2, Some(&data.targets), args.seed).map_err(|e| e.to_string())?;
    let (train, test) =
        (data.select(&split.train).map_err(|e| e.to_string())?, data.select(&split.test).map_err(|e| e.to_string())?);
    println!("{} tumours: {} train, {} test (stratified, seed {})", data.len(), train.len(), test.len(), args.seed);

    let (raw, _, _) = train_and_test(train.clone(), &test, args)?;
    println!("raw features:          test accuracy {raw:.4}");

    // Statistics of the training split only, applied unchanged to the test split.
    let scaler = StandardScaler::fit(&train.inputs).map_err(|e| e.to_string())?;
    let (mut train_s, mut test_s) = (train, test);
    scaler.transform_all(&mut train_s.inputs);
    scaler.transform_all(&mut test_s.inputs);
    let (scaled, model, history) = train_and_test(train_s, &test_s, args)?;
    println!("standardised features: test accuracy {scaled:.4}");
    plot::save(&history, args.plot.as_deref())?;
    if let Some(path) = &args.save {
        save_model_and_scaler(&model, &scaler, path).map_err(|e| e.to_string())?;
        println!("saved the model to {} and its scaler to {}", path.display(), scaler_path(path).display());
    }
    println!("test accuracy: {scaled:.4}");
    Ok(())
}

/// Trains a fresh network on `train` with Adam, stopping when the validation loss has not
/// improved for 10 epochs (the best epoch's weights kept), and returns its accuracy on
/// `test`, the model and its history.
fn train_and_test(
    mut train: Dataset<30>,
    test: &Dataset<30>,
    args: &args::Args,
) -> Result<(f64, Model<Mlp>, History), String> {
    let mut model = Model::<Mlp>::new(args.seed);
    let mut ws = Workspace::<Mlp, BATCH>::new_boxed();
    let mut adam = Adam::<Mlp>::new(1e-3);
    let mut early = EarlyStopping::new("val_loss").patience(10).restore_best_weights(true);
    let mut history = fit(&mut model, &mut ws, &mut adam, &CrossEntropyLoss)
        .epochs(args.epochs)
        .seed(args.seed)
        .validation_split(0.2)
        .verbose(0)
        .metrics(&mut [&mut Accuracy::new()])
        .callbacks(&mut [&mut early])
        .run(&mut train)
        .map_err(|e| e.to_string())?;
    let best = early.best_epoch();
    let val_accuracy = history.get("val_accuracy")[best].unwrap_or(f64::NAN);
    match early.stopped_epoch() {
        Some(stopped) => {
            println!("  stopped at epoch {}, best epoch {}: val_accuracy {val_accuracy:.4}", stopped + 1, best + 1)
        }
        None => println!("  trained {} epochs, best epoch {}: val_accuracy {val_accuracy:.4}", history.len(), best + 1),
    }
    history.set_best_epoch(early.restored_epoch());
    Ok((accuracy(&mut ws, &model, test).map_err(|e| e.to_string())?, model, history))
}
