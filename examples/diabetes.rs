//! Diabetes progression (442 patients, 10 raw features, a real-valued target): regression
//! with a 10-16-1 network on standardised inputs and a standardised target, MSE, and early
//! stopping on a validation split; the test R² and RMSE in the target's units, next to
//! ordinary least squares (scikit-learn's `LinearRegression`) on the same split.
//!
//! ```text
//! cargo run --release --example diabetes -- [--data FILE] [--seed S] [--epochs N] [--plot FILE]
//! ```
//!
//! Split: 20% test; of the rest, a quarter (20% of all) is held out as validation to
//! pick the number of epochs while the network trains on 60%; then a fresh network trains
//! on the whole 80% for as many updates. The linear baseline fits on the same 80%.
//! `--plot FILE` draws the learning curves of the first stage.

#[path = "common/args.rs"]
mod args;
#[path = "common/plot.rs"]
mod plot;

use std::process::ExitCode;

use staticnet::data::{CsvReader, Dataset, Scaler, StandardScaler, train_test_split};
use staticnet::prelude::*;
use staticnet::train::callbacks::{Callback, EarlyStopping, History};
use staticnet::train::metrics::R2Score;
use staticnet::train::{fit, predict_all};

network! {
    /// Scaled progression from scaled features.
    pub struct Mlp {
        input: [10],
        fc1: Dense(16, init = HeUniform),
        Relu,
        fc2: Dense(1),
    }
}

const BATCH: usize = 16;
/// Epochs without a better validation loss before training stops.
const PATIENCE: usize = 40;
/// L2 penalty `λ θ` added to every gradient (PyTorch's `Adam(weight_decay=λ)`).
const WEIGHT_DECAY: f32 = 0.03;

fn main() -> ExitCode {
    match args::parse("diabetes", "data/diabetes.csv", 1000).and_then(|args| run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &args::Args) -> Result<(), String> {
    let data: Dataset<10, [f32; 1]> =
        CsvReader::new().target("progression").read(&args.data).and_then(|t| t.values()).map_err(|e| err(&e))?;
    let split = train_test_split(data.len(), 0.2, 0.2, None, args.seed).map_err(|e| err(&e))?;
    let pick = |indices: &[usize]| data.select(indices).map_err(|e| err(&e));
    let (train, validation, test) = (pick(&split.train)?, pick(&split.validation)?, pick(&split.test)?);
    println!(
        "{} patients: {} train, {} validation, {} test (seed {})",
        data.len(),
        train.len(),
        validation.len(),
        test.len(),
        args.seed
    );

    let baseline = [split.train.as_slice(), split.validation.as_slice()].concat();
    let linear = least_squares(&pick(&baseline)?);
    let linear_pred: Vec<f32> = test.inputs.iter().map(|x| linear.predict(x)).collect();
    let (linear_r2, linear_rmse) = scores(&linear_pred, &test);
    println!("linear regression: test r2 {linear_r2:.4}  rmse {linear_rmse:.2}");

    // Stage 1: pick the number of epochs by early stopping on the validation split.
    // Scalers see the training split only.
    let (x_scaler, y_scaler) = fit_scalers(&train)?;
    let scaled = |set: &Dataset<10, [f32; 1]>| scale(set, &x_scaler, &y_scaler);
    let (_, history) = train_network(&scaled(&train), Some(&scaled(&validation)), args)?;
    plot::save(&history, args.plot.as_deref())?;
    let epochs = history.best_epoch().map_or(args.epochs, |best| best + 1);

    // Stage 2: retrain on training and validation samples together (as the baseline has
    // them) for as many updates, with scalers fitted on them.
    let both = pick(&baseline)?;
    let (x_scaler, y_scaler) = fit_scalers(&both)?;
    let updates = epochs * train.len().div_ceil(BATCH);
    let epochs = updates.div_ceil(both.len().div_ceil(BATCH));
    let (model, _) = train_network(&scale(&both, &x_scaler, &y_scaler), None, &args::Args { epochs, ..args.clone() })?;

    let test_s = scale(&test, &x_scaler, &y_scaler);
    let mut ws = Workspace::<Mlp, BATCH>::new();
    let outputs = predict_all(&mut ws, &model, &test_s.inputs).map_err(|e| err(&e))?;
    let pred: Vec<f32> = outputs.iter().map(|y| y_scaler.inverse_transform(y)[0]).collect();
    let (r2, rmse) = scores(&pred, &test);
    println!("network ({epochs} epochs on train + validation): test r2 {r2:.4}  rmse {rmse:.2}");
    println!("test r2: {r2:.4}");
    Ok(())
}

fn err(e: &dyn std::fmt::Display) -> String {
    e.to_string()
}

/// Standardisation of the inputs and of the target, fitted on `set`.
fn fit_scalers(set: &Dataset<10, [f32; 1]>) -> Result<(StandardScaler<10>, StandardScaler<1>), String> {
    Ok((
        StandardScaler::fit(&set.inputs).map_err(|e| err(&e))?,
        StandardScaler::fit(&set.targets).map_err(|e| err(&e))?,
    ))
}

/// `set` with scaled inputs and targets.
fn scale(set: &Dataset<10, [f32; 1]>, x: &StandardScaler<10>, y: &StandardScaler<1>) -> Dataset<10, [f32; 1]> {
    let mut set = set.clone();
    x.transform_all(&mut set.inputs);
    y.transform_all(&mut set.targets);
    set
}

/// Trains a fresh network with Adam and MSE for `args.epochs` epochs; with a validation
/// set, stops [`PATIENCE`] epochs after the best validation loss and returns the model of
/// that epoch, whose index the history holds as its best epoch.
fn train_network(
    train: &Dataset<10, [f32; 1]>,
    validation: Option<&Dataset<10, [f32; 1]>>,
    args: &args::Args,
) -> Result<(Model<Mlp>, History), String> {
    let mut train = train.clone();
    let mut model = Model::<Mlp>::new(args.seed);
    let mut ws = Workspace::<Mlp, BATCH>::new();
    let mut adam = Adam::<Mlp>::new(1e-3).weight_decay(WEIGHT_DECAY);
    let mut early = EarlyStopping::new("val_loss").patience(PATIENCE).restore_best_weights(true);
    let mut r2 = R2Score::new();
    let setup = fit(&mut model, &mut ws, &mut adam, &MseLoss).epochs(args.epochs).seed(args.seed).verbose(0);
    let mut history = match validation {
        Some(validation) => {
            let mut validation = validation.clone();
            let callbacks: &mut [&mut dyn Callback<Mlp>] = &mut [&mut early];
            setup.validation_data(&mut validation).metrics(&mut [&mut r2]).callbacks(callbacks).run(&mut train)
        }
        None => setup.run(&mut train),
    }
    .map_err(|e| err(&e))?;
    if let Some(stopped) = early.stopped_epoch() {
        let best = early.best_epoch();
        println!(
            "early stop at epoch {}: best validation MSE {:.4} (scaled targets), r2 {:.4}, at epoch {}",
            stopped + 1,
            early.best().unwrap_or(f64::NAN),
            history.get("val_r2")[best].unwrap_or(f64::NAN),
            best + 1
        );
    }
    history.set_best_epoch(early.restored_epoch());
    Ok((model, history))
}

/// R² `1 - Σ (y - ŷ)² / Σ (y - ȳ)²` and RMSE `sqrt(Σ (y - ŷ)² / n)` of `pred` on `test`.
fn scores(pred: &[f32], test: &Dataset<10, [f32; 1]>) -> (f64, f64) {
    let y: Vec<f64> = test.targets.iter().map(|t| f64::from(t[0])).collect();
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    let sse: f64 = y.iter().zip(pred).map(|(&y, &p)| (y - f64::from(p)).powi(2)).sum();
    let sst: f64 = y.iter().map(|&y| (y - mean).powi(2)).sum();
    (1.0 - sse / sst, (sse / y.len() as f64).sqrt())
}

/// `y = w · x + b` fitted by least squares.
struct Linear {
    w: [f64; 10],
    b: f64,
}

impl Linear {
    fn predict(&self, x: &[f32; 10]) -> f32 {
        (self.w.iter().zip(x).map(|(w, &x)| w * f64::from(x)).sum::<f64>() + self.b) as f32
    }
}

/// Ordinary least squares with an intercept: the normal equations `(XᵀX) θ = Xᵀy` on
/// centred features, solved by Gaussian elimination with partial pivoting.
fn least_squares(data: &Dataset<10, [f32; 1]>) -> Linear {
    let n = data.len() as f64;
    let mx: [f64; 10] = core::array::from_fn(|j| data.inputs.iter().map(|x| f64::from(x[j])).sum::<f64>() / n);
    let my = data.targets.iter().map(|t| f64::from(t[0])).sum::<f64>() / n;
    let mut a = [[0.0f64; 11]; 10];
    for (x, t) in data.inputs.iter().zip(&data.targets) {
        let xc: [f64; 10] = core::array::from_fn(|j| f64::from(x[j]) - mx[j]);
        for i in 0..10 {
            for j in 0..10 {
                a[i][j] += xc[i] * xc[j];
            }
            a[i][10] += xc[i] * (f64::from(t[0]) - my);
        }
    }
    for col in 0..10 {
        let pivot = (col..10).max_by(|&p, &q| a[p][col].abs().total_cmp(&a[q][col].abs())).unwrap_or(col);
        a.swap(col, pivot);
        let pivot_row = a[col];
        if pivot_row[col] == 0.0 {
            continue;
        }
        for (row, equation) in a.iter_mut().enumerate() {
            if row != col {
                let f = equation[col] / pivot_row[col];
                equation[col..].iter_mut().zip(&pivot_row[col..]).for_each(|(x, p)| *x -= f * p);
            }
        }
    }
    let w: [f64; 10] = core::array::from_fn(|i| if a[i][i] == 0.0 { 0.0 } else { a[i][10] / a[i][i] });
    let b = my - w.iter().zip(&mx).map(|(w, m)| w * m).sum::<f64>();
    Linear { w, b }
}
