//! The digits search shared by `examples/search.rs` and `examples/search_trial.rs`: the
//! data pipeline (CSV, stratified 60/20/20 split, `StandardScaler`), three widths of
//! one MLP, the search space, the default configuration and the trial.

use std::path::{Path, PathBuf};

use staticnet::data::{CsvReader, Dataset, Scaler, StandardScaler, train_test_split};
use staticnet::prelude::*;
use staticnet::search::{Params, SearchSpace, Trial, TrialMemory};
use staticnet::train::callbacks::{Callback, CallbackError, Control, History, Logs};
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
pub const BATCH: usize = 64;

/// The splits, standardised with the training split's statistics.
pub struct Data {
    pub train: Dataset<64>,
    pub val: Dataset<64>,
    pub test: Dataset<64>,
}

pub fn load(path: &Path, seed: u64) -> Result<Data, Box<dyn std::error::Error>> {
    let data: Dataset<64> = CsvReader::new().target("label").read(path)?.classes(10)?;
    let split = train_test_split(data.len(), 0.2, 0.2, Some(&data.targets), seed)?;
    let (mut train, mut val, mut test) =
        (data.select(&split.train)?, data.select(&split.validation)?, data.select(&split.test)?);
    let scaler = StandardScaler::fit(&train.inputs)?;
    for part in [&mut train, &mut val, &mut test] {
        scaler.transform_all(&mut part.inputs);
    }
    Ok(Data { train, val, test })
}

pub type TrialError = Box<dyn std::error::Error + Send + Sync>;

/// One trial: network `N` with the trial's dropout rate, AdamW with its learning rate and
/// weight decay, `fit` with its batch size for its budget, reporting `val_loss` every
/// epoch. Allocates the model, workspace and optimizer once. With `save`, also returns the
/// model's test accuracy and saves it; with `print`, prints `epoch <n> val_loss <x>` after
/// every epoch.
fn train<N>(
    trial: &mut Trial<'_>,
    data: &Data,
    save: Option<&PathBuf>,
    print: bool,
) -> Result<(History, f64), TrialError>
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
        .callbacks(&mut [&mut report, &mut PrintEpochs(print)])
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
pub fn trial(
    trial: &mut Trial<'_>,
    data: &Data,
    save: Option<&PathBuf>,
    print: bool,
) -> Result<(History, f64), TrialError> {
    match trial.params().get_i64("hidden")? {
        16 => train::<Small>(trial, data, save, print),
        32 => train::<Medium>(trial, data, save, print),
        _ => train::<Large>(trial, data, save, print),
    }
}

pub fn space() -> SearchSpace {
    SearchSpace::new()
        .log_float("lr", 1e-4, 3e-2)
        .log_float("weight_decay", 1e-5, 1e-1)
        .float("dropout", 0.0, 0.5)
        .choice("batch_size", [16, 32, 64])
        .choice("hidden", [16, 32, 64])
}

/// The default configuration, as a one-point grid of the same dimensions.
pub fn defaults() -> Params {
    Params::new().set("lr", 1e-3).set("weight_decay", 0.01).set("dropout", 0.0).set("batch_size", 32).set("hidden", 32)
}

/// Prints `epoch <n> val_loss <x>` after every epoch when on: the trial binary's
/// intermediate values.
struct PrintEpochs(bool);

impl<N: Layer> Callback<N> for PrintEpochs {
    fn on_epoch_end(&mut self, epoch: usize, logs: &mut Logs, _: &mut Control<'_, N>) -> Result<(), CallbackError> {
        if let (true, Some(v)) = (self.0, logs.get("val_loss")) {
            println!("epoch {} val_loss {v}", epoch + 1);
        }
        Ok(())
    }
}
