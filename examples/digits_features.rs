//! Trains the feature extractor that the `digits_head` firmware keeps frozen in flash: a
//! 64-64-32-10 network on the 8x8 digits' training rows, the split the firmware uses
//! (every fifth row, 4, 9, 14, ..., is a test row; grey levels scaled to [0, 1] as `v / 16`).
//!
//! `cargo run --release --example digits_features -- --save examples/embedded/src/digits_features.safetensors`
//! writes the model file the firmware reads at compile time (`fc1` and `fc2`; the board
//! trains a new head). Flags: `--data FILE`, `--seed S`, `--epochs N`, `--save FILE`.

#[path = "common/args.rs"]
mod args;

use std::process::ExitCode;

use staticnet::data::{CsvReader, Dataset};
use staticnet::prelude::*;
use staticnet::train::callbacks::EarlyStopping;
use staticnet::train::{accuracy, fit};

network! {
    /// Two hidden layers (the features) and a head (logits of the ten digits).
    pub struct DigitsFeatures {
        input: [64],
        fc1: Dense(64, init = HeUniform),
        Relu,
        fc2: Dense(32, init = HeUniform),
        Relu,
        head: Dense(10),
    }
}

const BATCH: usize = 32;

fn main() -> ExitCode {
    match args::parse("digits_features", "data/digits.csv", 60).and_then(|args| run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &args::Args) -> Result<(), String> {
    let mut data: Dataset<64> =
        CsvReader::new().target("label").read(&args.data).and_then(|t| t.classes(10)).map_err(|e| e.to_string())?;
    data.inputs.iter_mut().flatten().for_each(|v| *v /= 16.0);
    let (test_rows, train_rows): (Vec<usize>, Vec<usize>) = (0..data.len()).partition(|row| row % 5 == 4);
    let mut train = data.select(&train_rows).map_err(|e| e.to_string())?;
    let test = data.select(&test_rows).map_err(|e| e.to_string())?;
    println!("{} digits: {} train, {} test (every fifth row)", data.len(), train.len(), test.len());

    let mut model = Model::<DigitsFeatures>::new(args.seed);
    let mut ws = Workspace::<DigitsFeatures, BATCH>::new_boxed();
    let mut adam = Adam::<DigitsFeatures>::new(3e-3);
    let mut early = EarlyStopping::new("val_loss").patience(8).restore_best_weights(true);
    let history = fit(&mut model, &mut ws, &mut adam, &CrossEntropyLoss)
        .epochs(args.epochs)
        .seed(args.seed)
        .validation_split(0.125)
        .verbose(0)
        .callbacks(&mut [&mut early])
        .run(&mut train)
        .map_err(|e| e.to_string())?;
    println!("trained {} epochs, best epoch {}", history.len(), early.best_epoch() + 1);
    if let Some(path) = &args.save {
        model.save(path).map_err(|e| e.to_string())?;
        println!("saved the model to {}", path.display());
    }
    let accuracy = accuracy(&mut ws, &model, &test).map_err(|e| e.to_string())?;
    println!("test accuracy: {accuracy:.4}");
    Ok(())
}
