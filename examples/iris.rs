//! Fisher's iris (150 flowers, 4 measurements, 3 species) with one-hot targets: a 4-16-3
//! network trained with [`CategoricalCrossEntropy`] on probability vectors, standardised
//! inputs, a stratified 80/20 split, and `fit` holding out the last 20% of the training
//! flowers as validation data for early stopping.
//!
//! ```text
//! cargo run --release --example iris -- [--data FILE] [--seed S] [--epochs N] [--plot FILE]
//! ```

#[path = "common/args.rs"]
mod args;
#[path = "common/plot.rs"]
mod plot;

use std::process::ExitCode;

use staticnet::data::{CsvReader, Dataset, Scaler, StandardScaler, train_test_split};
use staticnet::prelude::*;
use staticnet::train::callbacks::EarlyStopping;
use staticnet::train::metrics::Accuracy;
use staticnet::train::{accuracy, fit};

network! {
    /// Logits of the three species.
    pub struct Mlp {
        input: [4],
        fc1: Dense(16, init = HeUniform),
        Relu,
        fc2: Dense(3),
    }
}

const BATCH: usize = 16;

fn main() -> ExitCode {
    match args::parse("iris", "data/iris.csv", 150).and_then(|args| run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &args::Args) -> Result<(), String> {
    let table = CsvReader::new().target("species").read(&args.data).map_err(|e| e.to_string())?;
    // Class indices for the stratified split, one-hot rows ([1, 0, 0], ...) for training.
    let classes: Dataset<4> = table.classes(3).map_err(|e| e.to_string())?;
    let data: Dataset<4, [f32; 3]> = table.one_hot().map_err(|e| e.to_string())?;
    let split = train_test_split(data.len(), 0.0, 0.2, Some(&classes.targets), args.seed).map_err(|e| e.to_string())?;
    let (mut train, mut test) =
        (data.select(&split.train).map_err(|e| e.to_string())?, data.select(&split.test).map_err(|e| e.to_string())?);
    let scaler = StandardScaler::fit(&train.inputs).map_err(|e| e.to_string())?;
    scaler.transform_all(&mut train.inputs);
    scaler.transform_all(&mut test.inputs);
    println!(
        "{} flowers: {} train, {} test; targets one-hot, e.g. {:?}",
        data.len(),
        train.len(),
        test.len(),
        train.targets[0]
    );

    let mut model = Model::<Mlp>::new(args.seed);
    let mut ws = Workspace::<Mlp, BATCH>::new();
    let mut adam = Adam::<Mlp>::new(1e-2);
    let mut early = EarlyStopping::new("val_loss").patience(20).restore_best_weights(true);
    let mut history = fit(&mut model, &mut ws, &mut adam, &CategoricalCrossEntropy::default())
        .epochs(args.epochs)
        .seed(args.seed)
        .validation_split(0.2)
        .verbose(0)
        .metrics(&mut [&mut Accuracy::new()])
        .callbacks(&mut [&mut early])
        .run(&mut train)
        .map_err(|e| e.to_string())?;
    for (epoch, logs) in history.epochs().zip(history.logs()).filter(|(epoch, _)| (epoch + 1) % 50 == 0) {
        let get = |name| logs.get(name).unwrap_or(f64::NAN);
        println!(
            "epoch {:>3}  loss {:.4}  train accuracy {:.4}  val_loss {:.4}  val_accuracy {:.4}",
            epoch + 1,
            get("loss"),
            get("accuracy"),
            get("val_loss"),
            get("val_accuracy")
        );
    }
    if let Some(stopped) = early.stopped_epoch() {
        println!("early stopping at epoch {}: the weights of epoch {} restored", stopped + 1, early.best_epoch() + 1);
    }
    history.set_best_epoch(early.restored_epoch());
    plot::save(&history, args.plot.as_deref())?;
    let test = accuracy(&mut ws, &model, &test).map_err(|e| e.to_string())?;
    println!("test accuracy: {test:.4}");
    Ok(())
}
