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
//! search on `--threads` (default: every core) and on 1 thread, three times each in turn,
//! prints the fastest wall time of each and checks that every run found the same table. `--save FILE` trains the best
//! configuration again (trials are reproducible, so it is the same model) and saves it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use digits_search::{Data, defaults, load, space, trial};
use staticnet::search::{GridSearch, Pruner, RandomSearch, SearchResults, SearchSpace, Tuner};
use staticnet::train::callbacks::{History, MonitorMode};

#[path = "common/digits_search.rs"]
mod digits_search;

/// Rounds of `--speedup`, the search on `--threads` and on 1 thread in turn: a wall-time
/// ratio moves with whatever else the machine runs, so each side's fastest round counts.
const SPEEDUP_ROUNDS: usize = 3;

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

fn search(args: &Args, data: &Data, threads: usize) -> Result<(SearchResults, f64), Box<dyn std::error::Error>> {
    let pruner = Pruner::Hyperband { max_epochs: args.max_epochs, factor: 3, hyperband_iterations: args.iterations };
    let tuner = Tuner::new(RandomSearch::new(space(), args.seed), pruner)
        .objective("val_loss", MonitorMode::Min)
        .seed(args.seed)
        .threads(threads)
        .verbose(1);
    let started = Instant::now();
    let results = tuner.run(|t| trial(t, data, None, false).map(|(history, _)| history))?;
    Ok((results, started.elapsed().as_secs_f64()))
}

fn run(args: &Args) -> Result<bool, Box<dyn std::error::Error>> {
    let data = load(&args.data, args.seed)?;
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
        "Hyperband(max_epochs {}, factor 3, hyperband_iterations {}): {} brackets, {trials} trials, {epochs} epochs in all",
        args.max_epochs,
        args.iterations,
        brackets.len()
    );
    let timing = args.speedup && args.threads > 1;
    let (mut results, mut seconds) = search(args, &data, args.threads)?;
    let mut one_seconds = f64::INFINITY;
    for round in 0..if timing { SPEEDUP_ROUNDS } else { 0 } {
        let (one, one_round) = search(args, &data, 1)?;
        if one.to_csv() != results.to_csv() {
            return Err("the search on 1 thread found another table".into());
        }
        one_seconds = one_seconds.min(one_round);
        if round + 1 < SPEEDUP_ROUNDS {
            let (again, round_seconds) = search(args, &data, args.threads)?;
            if again.to_csv() != results.to_csv() {
                return Err(format!("two searches on {} threads found different tables", args.threads).into());
            }
            (results, seconds) = (again, seconds.min(round_seconds));
        }
    }
    println!("{results}");
    if let Some(path) = &args.csv {
        results.save_csv(path)?;
        println!("table saved to {}", path.display());
    }
    let plural = if args.threads == 1 { "" } else { "s" };
    let fastest = if timing { format!(", the fastest of {SPEEDUP_ROUNDS} rounds") } else { String::new() };
    println!("search wall time: {seconds:.2} s on {} thread{plural}{fastest}", args.threads);
    if timing {
        println!("search wall time: {one_seconds:.2} s on 1 thread{fastest}");
        println!("speedup: {:.2}x on {} threads", one_seconds / seconds, args.threads);
        println!("the same table on 1 and {} threads", args.threads);
    }

    // The default configuration, trained as long as the longest trial, through the same
    // closure: a grid of one point.
    let grid = defaults().iter().fold(SearchSpace::new(), |s, (name, value)| s.choice(name, [value]));
    let default_tuner = Tuner::new(GridSearch::new(grid), Pruner::None { epochs: args.max_epochs })
        .objective("val_loss", MonitorMode::Min)
        .seed(args.seed)
        .verbose(0);
    let default = default_tuner.run(|t| trial(t, &data, None, false).map(|(history, _)| history))?;
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
    let tuner = Tuner::new(RandomSearch::new(space(), args.seed), pruner)
        .objective("val_loss", MonitorMode::Min)
        .seed(args.seed);
    let (history, test) =
        tuner.rerun(best, |t| trial(t, &data, args.save.as_ref(), false)).map_err(|e| e.to_string())?;
    if history.get("val_loss") != best.histories[0].get("val_loss") {
        return Err("training the best configuration again gave another model".into());
    }
    let (_, default_test) =
        default_tuner.rerun(&default.trials[0], |t| trial(t, &data, None, false)).map_err(|e| e.to_string())?;
    if let Some(path) = &args.save {
        println!("best model saved to {}", path.display());
    }
    println!("test accuracy: best configuration {test:.4}, default configuration {default_test:.4}");
    let ok = best.score <= default_score;
    println!(
        "search val_loss {:.4} vs default {default_score:.4}: {}",
        best.score,
        if ok { "at least as good" } else { "WORSE" }
    );
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
