//! Hyperparameter search on the 8x8 digits (1,797 images, 64 pixels in 0..16): random
//! search with Hyperband pruning over the learning rate, the weight decay, the dropout
//! rate, the batch size and the hidden width (three `network!` types), on a stratified
//! 60/20/20 split with standardised pixels. The objective is the validation loss.
//!
//! ```text
//! cargo run --release --example search -- [--threads N] [--speedup] [--max-epochs N]
//!     [--iterations N] [--seed S] [--csv FILE] [--save FILE] [--data FILE]
//! ```
//!
//! It prints the table of trials, the best configuration and its score against the
//! default configuration's (Adam's learning rate 1e-3, PyTorch's AdamW weight decay 0.01,
//! no dropout, batch 32, 32 hidden units, trained as long as the longest trial), and exits
//! with an error if the search did not at least tie the default. `--speedup` runs the
//! search on 1 thread first, then on `--threads` (default: every core), prints both wall
//! times and checks that both found the same table. `--save FILE` trains the best
//! configuration again (trials are reproducible, so it is the same model) and saves it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use staticnet::data::{CsvReader, Dataset, Scaler, StandardScaler, train_test_split};
use staticnet::prelude::*;
use staticnet::search::{
    GridSearch, Params, Pruner, RandomSearch, SearchResults, SearchSpace, Trial, TrialMemory, Tuner,
};
use staticnet::train::callbacks::{History, MonitorMode};
use staticnet::train::fit;
use staticnet::train::metrics::Accuracy;

network! {
    /// 16 hidden units.
    pub struct Small { input: [64], fc1: Dense(16, init = HeUniform), Relu, drop: Dropout(0.0), fc2: Dense(10) }
}
network! {
    /// 32 hidden units.
    pub struct Medium { input: [64], fc1: Dense(32, init = HeUniform), Relu, drop: Dropout(0.0), fc2: Dense(10) }
}
network! {
    /// 64 hidden units.
    pub struct Large { input: [64], fc1: Dense(64, init = HeUniform), Relu, drop: Dropout(0.0), fc2: Dense(10) }
}

/// The workspace's capacity: the largest batch size searched.
const BATCH: usize = 64;

struct Args {
    data: PathBuf,
    threads: usize,
    speedup: bool,
    max_epochs: usize,
    iterations: usize,
    seed: u64,
    csv: Option<PathBuf>,
    save: Option<PathBuf>,
}

fn parse() -> Result<Args, String> {
    let usage = "usage: search [--threads N] [--speedup] [--max-epochs N] [--iterations N] [--seed S] [--csv FILE] [--save FILE] [--data FILE]";
    let mut args = Args {
        data: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/digits.csv"),
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        speedup: false,
        max_epochs: 81,
        iterations: 2,
        seed: 0,
        csv: None,
        save: None,
    };
    let mut argv = std::env::args().skip(1);
    while let Some(flag) = argv.next() {
        let mut value = || argv.next().ok_or_else(|| format!("{flag} needs a value; {usage}"));
        let number = |v: String| v.parse::<u64>().map_err(|_| format!("{flag}: cannot parse `{v}`"));
        match flag.as_str() {
            "--data" => args.data = PathBuf::from(value()?),
            "--threads" => args.threads = number(value()?)? as usize,
            "--speedup" => args.speedup = true,
            "--max-epochs" => args.max_epochs = number(value()?)? as usize,
            "--iterations" => args.iterations = number(value()?)? as usize,
            "--seed" => args.seed = number(value()?)?,
            "--csv" => args.csv = Some(PathBuf::from(value()?)),
            "--save" => args.save = Some(PathBuf::from(value()?)),
            "--help" | "-h" => {
                println!("{usage}");
                std::process::exit(0);
            }
            _ => return Err(format!("unknown flag {flag}; {usage}")),
        }
    }
    Ok(args)
}

/// The splits, standardised with the training split's statistics.
struct Data {
    train: Dataset<64>,
    val: Dataset<64>,
    test: Dataset<64>,
}

fn load(args: &Args) -> Result<Data, Box<dyn std::error::Error>> {
    let data: Dataset<64> = CsvReader::new().target("label").read(&args.data)?.classes(10)?;
    let split = train_test_split(data.len(), 0.2, 0.2, Some(&data.targets), args.seed)?;
    let (mut train, mut val, mut test) = (data.select(&split.train)?, data.select(&split.validation)?, data.select(&split.test)?);
    let scaler = StandardScaler::fit(&train.inputs)?;
    for part in [&mut train, &mut val, &mut test] {
        scaler.transform_all(&mut part.inputs);
    }
    Ok(Data { train, val, test })
}

type TrialError = Box<dyn std::error::Error + Send + Sync>;

/// One trial: network `N` with the trial's dropout rate, AdamW with its learning rate and
/// weight decay, `fit` with its batch size for its budget, reporting `val_loss` every
/// epoch. Allocates the model, workspace and optimizer once. With `save`, also returns the
/// model's test accuracy and saves it.
fn train<N>(trial: &mut Trial<'_>, data: &Data, save: Option<&PathBuf>) -> Result<(History, f64), TrialError>
where
    N: Layer<Input = [f32; 64], Output = [f32; 10]> + Default + WithDropout,
{
    let p = trial.params();
    let (lr, decay, dropout, batch) =
        (p.get_f32("lr")?, p.get_f32("weight_decay")?, p.get_f32("dropout")?, p.get_usize("batch_size")?);
    let mut model = Model::<N>::new_boxed(trial.seed());
    model.net.set_dropout(dropout);
    let mut ws = Workspace::<N, BATCH>::new_boxed();
    let mut adamw = AdamW::<N>::new_boxed(lr);
    adamw.weight_decay = decay;
    trial.set_memory(TrialMemory::of::<N, AdamW<N>, BATCH>());
    let (mut train, mut val) = (data.train.clone(), data.val.clone());
    let (epochs, seed) = (trial.epochs(), trial.seed());
    let mut accuracy = Accuracy::new();
    let mut report = trial.callback();
    let history = fit(&mut *model, &mut ws, &mut *adamw, &CrossEntropyLoss)
        .epochs(epochs)
        .batch_size(batch)
        .seed(seed)
        .verbose(0)
        .metrics(&mut [&mut accuracy])
        .callbacks(&mut [&mut report])
        .validation_data(&mut val)
        .run(&mut train)?;
    let test = staticnet::train::accuracy(&mut ws, &model, &data.test)?;
    if let Some(path) = save {
        model.save(path)?;
    }
    Ok((history, test))
}

/// A network whose dropout rate is set at run time (`Dropout::p` is a field of the layer).
trait WithDropout {
    fn set_dropout(&mut self, p: f32);
}

macro_rules! with_dropout {
    ($($net:ty),*) => {$(
        impl WithDropout for $net {
            fn set_dropout(&mut self, p: f32) {
                self.drop.p = p;
            }
        }
    )*};
}
with_dropout!(Small, Medium, Large);

/// The trial for any configuration: the architecture by its width.
fn trial(trial: &mut Trial<'_>, data: &Data, save: Option<&PathBuf>) -> Result<(History, f64), TrialError> {
    match trial.params().get_i64("hidden")? {
        16 => train::<Small>(trial, data, save),
        32 => train::<Medium>(trial, data, save),
        _ => train::<Large>(trial, data, save),
    }
}

fn space() -> SearchSpace {
    SearchSpace::new()
        .log_float("lr", 1e-4, 3e-2)
        .log_float("weight_decay", 1e-5, 1e-1)
        .float("dropout", 0.0, 0.5)
        .choice("batch_size", [16, 32, 64])
        .choice("hidden", [16, 32, 64])
}

/// The default configuration, as a one-point grid of the same dimensions.
fn defaults() -> Params {
    Params::new().set("lr", 1e-3).set("weight_decay", 0.01).set("dropout", 0.0).set("batch_size", 32).set("hidden", 32)
}

fn search(args: &Args, data: &Data, threads: usize) -> Result<(SearchResults, f64), Box<dyn std::error::Error>> {
    let pruner = Pruner::Hyperband { max_epochs: args.max_epochs, factor: 3, hyperband_iterations: args.iterations };
    let tuner = Tuner::new(RandomSearch::new(space(), args.seed), pruner)
        .objective("val_loss", MonitorMode::Min)
        .seed(args.seed)
        .threads(threads)
        .verbose(1);
    let started = Instant::now();
    let results = tuner.run(|t| trial(t, data, None).map(|(history, _)| history))?;
    Ok((results, started.elapsed().as_secs_f64()))
}

fn run(args: &Args) -> Result<bool, Box<dyn std::error::Error>> {
    let data = load(args)?;
    println!(
        "{} digits: {} train, {} validation, {} test (stratified, seed {})",
        data.train.len() + data.val.len() + data.test.len(),
        data.train.len(),
        data.val.len(),
        data.test.len(),
        args.seed
    );
    let brackets = Pruner::Hyperband { max_epochs: args.max_epochs, factor: 3, hyperband_iterations: args.iterations }
        .brackets(None)?;
    let trials: usize = brackets.iter().map(|b| b.rungs[0].trials).sum();
    let epochs: usize = brackets.iter().flat_map(|b| b.rungs.iter().map(|r| r.trials * r.epochs)).sum();
    println!(
        "Hyperband(max_epochs {}, factor 3, {} iterations): {} brackets, {trials} trials, {epochs} epochs in all",
        args.max_epochs,
        args.iterations,
        brackets.len()
    );
    let single = if args.speedup && args.threads > 1 { Some(search(args, &data, 1)?) } else { None };
    let (results, seconds) = search(args, &data, args.threads)?;
    println!("{results}");
    if let Some(path) = &args.csv {
        results.save_csv(path)?;
        println!("table saved to {}", path.display());
    }
    println!("search wall time: {seconds:.2} s on {} threads", args.threads);
    if let Some((one, one_seconds)) = &single {
        println!("search wall time: {one_seconds:.2} s on 1 thread");
        println!("speedup: {:.2}x on {} threads", one_seconds / seconds, args.threads);
        if one.to_csv() != results.to_csv() {
            return Err("the search on 1 thread found another table".into());
        }
        println!("the same table on 1 and {} threads", args.threads);
    }

    // The default configuration, trained as long as the longest trial, through the same
    // closure: a grid of one point.
    let grid = defaults().iter().fold(SearchSpace::new(), |s, (name, value)| s.choice(name, [value]));
    let default_tuner = Tuner::new(GridSearch::new(grid), Pruner::None { epochs: args.max_epochs })
        .objective("val_loss", MonitorMode::Min)
        .seed(args.seed)
        .verbose(0);
    let default = default_tuner.run(|t| trial(t, &data, None).map(|(history, _)| history))?;
    let default_score = default.best().score;

    let best = results.best();
    let memory = best.memory.map_or(0, |m| m.total());
    println!("best trial {}: {} ({} epochs, {memory} bytes to train)", best.index, best.params, best.epochs);
    let val_accuracy = |h: &History| h.get("val_accuracy").into_iter().flatten().fold(0.0f64, f64::max);
    println!(
        "best val_loss {:.4} (val_accuracy {:.4}); default configuration val_loss {default_score:.4} (val_accuracy {:.4})",
        best.score,
        val_accuracy(&best.histories[0]),
        val_accuracy(&default.trials[0].histories[0])
    );
    // The search keeps no models: train the best configuration again (the same model,
    // seeded alike) for its test accuracy, and save it.
    let pruner = Pruner::Hyperband { max_epochs: args.max_epochs, factor: 3, hyperband_iterations: args.iterations };
    let tuner = Tuner::new(RandomSearch::new(space(), args.seed), pruner).objective("val_loss", MonitorMode::Min).seed(args.seed);
    let (_, test) = tuner.rerun(best, |t| trial(t, &data, args.save.as_ref())).map_err(|e| e.to_string())?;
    let (_, default_test) =
        default_tuner.rerun(&default.trials[0], |t| trial(t, &data, None)).map_err(|e| e.to_string())?;
    if let Some(path) = &args.save {
        println!("best model saved to {}", path.display());
    }
    println!("test accuracy: best configuration {test:.4}, default configuration {default_test:.4}");
    let ok = best.score <= default_score;
    println!("search val_loss {:.4} vs default {default_score:.4}: {}", best.score, if ok { "at least as good" } else { "WORSE" });
    Ok(ok)
}

fn main() -> ExitCode {
    let result = parse().map_err(Into::into).and_then(|args| run(&args));
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
