//! The command line shared by the tabular examples: `--data FILE`, `--seed S`,
//! `--epochs N`, `--plot FILE` (the learning curves, see `plot.rs`), and `--save FILE`
//! where the example saves a model.

use std::path::PathBuf;

/// Parsed flags.
#[derive(Clone)]
pub struct Args {
    /// The CSV file.
    pub data: PathBuf,
    /// Seeds the split, the initialisation and the shuffling.
    pub seed: u64,
    /// Training epochs.
    pub epochs: usize,
    /// Where to save the model (and its scaler beside it), if anywhere.
    pub save: Option<PathBuf>,
    /// Where to write the learning curves, if anywhere.
    pub plot: Option<PathBuf>,
}

/// Parses `std::env::args()` for example `name` whose bundled data file is `data` (a path
/// relative to the project root) and whose default epoch count is `epochs`.
pub fn parse(name: &str, data: &str, epochs: usize) -> Result<Args, String> {
    let usage = format!("usage: {name} [--data FILE] [--seed S] [--epochs N] [--plot FILE] [--save FILE]");
    let mut args =
        Args { data: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(data), seed: 0, epochs, save: None, plot: None };
    let mut argv = std::env::args().skip(1);
    while let Some(flag) = argv.next() {
        let mut value = || argv.next().ok_or_else(|| format!("{flag} needs a value; {usage}"));
        match flag.as_str() {
            "--data" => args.data = PathBuf::from(value()?),
            "--seed" => args.seed = number(&flag, &value()?)?,
            "--epochs" => args.epochs = number(&flag, &value()?)?,
            "--save" => args.save = Some(PathBuf::from(value()?)),
            "--plot" => args.plot = Some(PathBuf::from(value()?)),
            "--help" | "-h" => {
                println!("{usage}");
                std::process::exit(0);
            }
            _ => return Err(format!("unknown flag {flag}; {usage}")),
        }
    }
    Ok(args)
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value.parse().map_err(|_| format!("{flag}: cannot parse `{value}`"))
}
