//! One trial of the digits search (`examples/search.rs`) as a program, for an external
//! search engine such as Optuna (`examples/optuna_search.py`): it reads one
//! hyperparameter set as a JSON object, trains, and prints the objective.
//!
//! ```text
//! cargo run --release --example search_trial -- '{"lr": 0.003, "hidden": 64, "epochs": 27}'
//! echo '{"lr": 0.003}' | cargo run --release --example search_trial
//! ```
//!
//! Keys: the search space's `lr`, `weight_decay`, `dropout` (floats), `batch_size` (16,
//! 32 or 64) and `hidden` (16, 32 or 64), each defaulting to the default configuration
//! (`{}` is the default configuration); `epochs` (default 27), `seed` (default 0; it
//! seeds the split, the initialisation and the shuffling), `data` (the CSV file). An
//! unknown key, a value of the wrong kind or outside the space is an error (exit status
//! 1, the message on standard error).
//!
//! Standard output, one line per epoch, then the result (the values are `f64`, in Rust's
//! shortest round-trip form):
//!
//! ```text
//! epoch 1 val_loss 0.8421
//! ...
//! epoch 27 val_loss 0.1310
//! val_loss 0.1297
//! ```
//!
//! The last line is the best validation loss over the epochs (what `examples/search.rs`
//! ranks trials on).

#[path = "common/digits_search.rs"]
mod digits_search;

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use digits_search::{defaults, load, space, trial};
use serde_json::Value as Json;
use staticnet::search::{Dimension, GridSearch, Params, Pruner, SearchSpace, Tuner, Value};
use staticnet::train::callbacks::MonitorMode;

/// The configuration, the epochs, the seed and the data file of a JSON object.
fn parse(text: &str) -> Result<(Params, usize, u64, PathBuf), String> {
    let json: Json = serde_json::from_str(text).map_err(|e| format!("the hyperparameters are not JSON: {e}"))?;
    let object = json.as_object().ok_or("the hyperparameters must be a JSON object")?;
    let space = space();
    let mut params = defaults();
    let (mut epochs, mut seed) = (27usize, 0u64);
    let mut data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/digits.csv");
    for (key, value) in object {
        let count = || value.as_u64().ok_or(format!("`{key}` must be a non-negative integer, not {value}"));
        match key.as_str() {
            "epochs" => epochs = count()? as usize,
            "seed" => seed = count()?,
            "data" => data = PathBuf::from(value.as_str().ok_or(format!("`data` must be a string, not {value}"))?),
            _ => {
                let (name, dim) = space.dimensions().find(|(name, _)| name == key).ok_or_else(|| {
                    format!("unknown key `{key}` (the space has {})", space.names().collect::<Vec<_>>().join(", "))
                })?;
                params = params.set(name, value_in(name, dim, value)?);
            }
        }
    }
    if epochs == 0 {
        return Err("`epochs` must be at least 1".into());
    }
    Ok((params, epochs, seed, data))
}

/// `value` as a value of dimension `dim`, checked to lie in it.
fn value_in(name: &str, dim: &Dimension, value: &Json) -> Result<Value, String> {
    match dim {
        Dimension::Float { low, high, .. } => match value.as_f64() {
            Some(v) if (*low..=*high).contains(&v) => Ok(Value::Float(v)),
            _ => Err(format!("`{name}` must be a number in [{low}, {high}], not {value}")),
        },
        Dimension::Int { low, high, .. } => match value.as_i64() {
            Some(v) if (*low..=*high).contains(&v) => Ok(Value::Int(v)),
            _ => Err(format!("`{name}` must be an integer in [{low}, {high}], not {value}")),
        },
        Dimension::Choice(values) => {
            let found = values.iter().find(|c| match c {
                Value::Int(i) => value.as_i64() == Some(*i),
                Value::Float(f) => value.as_f64() == Some(*f),
                Value::Str(s) => value.as_str() == Some(*s),
            });
            let list = values.iter().map(|v| format!("{v}")).collect::<Vec<_>>().join(", ");
            found.copied().ok_or_else(|| format!("`{name}` must be one of {list}, not {value}"))
        }
    }
}

fn run() -> Result<f64, String> {
    let text = match std::env::args().nth(1) {
        Some(text) => text,
        None => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| format!("reading standard input: {e}"))?;
            text
        }
    };
    let (params, epochs, seed, path) = parse(&text)?;
    let data = load(&path, seed).map_err(|e| e.to_string())?;
    // The configuration as a grid of one point, run through the same trial as the search.
    let grid = params.iter().fold(SearchSpace::new(), |s, (name, value)| s.choice(name, [value]));
    let results = Tuner::new(GridSearch::new(grid), Pruner::None { epochs })
        .objective("val_loss", MonitorMode::Min)
        .seed(seed)
        .threads(1)
        .verbose(0)
        .run(|t| trial(t, &data, None, true).map(|(history, _)| history))
        .map_err(|e| e.to_string())?;
    Ok(results.best().score)
}

fn main() -> ExitCode {
    match run() {
        Ok(score) => {
            println!("val_loss {score}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
