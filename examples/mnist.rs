//! Trains a 784-128-10 perceptron on MNIST with SGD and momentum 0.9 using `fit`, with the
//! last 10% of the training images as validation data for early stopping, and reports its
//! test accuracy.
//!
//! ```text
//! cargo run --release --example mnist -- [--data DIR] [--epochs N] [--seed S] [--lr LR] [--save FILE]
//!                                         [--subset N] [--augment] [--plot FILE]
//! ```
//!
//! Without `--data` it uses the subset bundled with staticnet (7,500 training and 1,500
//! test images). `DIR` holds the standard MNIST file names, each optionally gzipped.
//! `--subset N` trains on the first `N` training images only; `--augment` trains on
//! copies shifted by up to 2 pixels and rotated by up to 10 degrees, drawn afresh for
//! every batch (the validation images are left as they are). `--plot FILE` writes the
//! learning curves (SVG or PNG by the extension; needs `--features plot`).

#[path = "common/mnist_mlp_network.rs"]
mod mnist_mlp_network;
#[path = "common/plot.rs"]
mod plot;

use std::cell::RefCell;
use std::path::PathBuf;
use std::process::ExitCode;

use staticnet::augment::{Augment, Augmenter, RandomCrop, RandomRotation};
use staticnet::batches::BatchSource;
use staticnet::data::{Dataset, Mnist};
use staticnet::prelude::*;
use staticnet::train::callbacks::EarlyStopping;
use staticnet::train::metrics::Accuracy;
use staticnet::train::{accuracy, fit};

use mnist_mlp_network::Mlp;

/// Rows per training batch (the workspace's compile-time capacity).
const BATCH: usize = 32;

struct Options {
    data: PathBuf,
    epochs: usize,
    seed: u64,
    lr: f32,
    save: Option<PathBuf>,
    subset: Option<usize>,
    augment: bool,
    plot: Option<PathBuf>,
}

const USAGE: &str =
    "usage: mnist [--data DIR] [--epochs N] [--seed S] [--lr LR] [--save FILE] [--subset N] [--augment] [--plot FILE]";

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
    if let Some(n) = options.subset {
        mnist.train.inputs.truncate(n);
        mnist.train.targets.truncate(n);
    }
    // Keras's validation_split=0.1, made explicit so that only the training images are
    // augmented: the last 10% validate.
    let n = mnist.train.len() - mnist.train.len() / 10;
    let mut validation =
        Dataset::new(mnist.train.inputs.split_off(n), mnist.train.targets.split_off(n)).map_err(|e| e.to_string())?;
    // Shifts of up to 2 pixels (a crop of the image padded by 2) and rotations of up to
    // 10 degrees; no flips, a mirrored digit is another symbol.
    let augmenter = Augmenter::<_, 1, 28, 28>::new(
        (RandomCrop { padding: 2, fill: 0.0 }, RandomRotation { degrees: 10.0, fill: 0.0 }),
        options.seed,
    );
    let mut train = Augmented { data: mnist.train, augmenter: options.augment.then_some(RefCell::new(augmenter)) };
    let mut model = Model::<Mlp>::new_boxed(options.seed);
    let mut ws = Workspace::<Mlp, BATCH>::new_boxed();
    let mut optimizer = Momentum::<Mlp>::new_boxed(options.lr, 0.9);
    println!(
        "{} training, {} validation and {} test images; {} parameters ({} KiB), workspace {} KiB, momentum {} KiB",
        train.data.len(),
        validation.len(),
        mnist.test.len(),
        Mlp::PARAMS,
        Mlp::PARAM_BYTES / 1024,
        Workspace::<Mlp, BATCH>::BYTES / 1024,
        Momentum::<Mlp>::STATE_BYTES / 1024,
    );
    let mut early = EarlyStopping::new("val_loss").patience(3).restore_best_weights(true);
    let mut history = fit(&mut model, &mut ws, optimizer.as_mut(), &CrossEntropyLoss)
        .epochs(options.epochs)
        .seed(options.seed)
        .validation_data(&mut validation)
        .metrics(&mut [&mut Accuracy::new()])
        .callbacks(&mut [&mut early])
        .run(&mut train)
        .map_err(|e| e.to_string())?;
    if let Some(epoch) = early.restored_epoch() {
        println!("restored the weights of epoch {} (the lowest val_loss)", epoch + 1);
    }
    history.set_best_epoch(early.restored_epoch());
    plot::save(&history, options.plot.as_deref())?;
    if let Some(path) = &options.save {
        model.save(path).map_err(|e| e.to_string())?;
        println!("saved the model to {} (safetensors: fc1.weight, fc1.bias, fc2.weight, fc2.bias)", path.display());
    }
    let test = accuracy(&mut ws, &model, &mnist.test).map_err(|e| e.to_string())?;
    println!("test accuracy: {test:.4}");
    Ok(())
}

/// The training images, each batch copied out shifted and rotated afresh when an
/// augmenter is given.
struct Augmented<A: Augment<1, 28, 28>> {
    data: Dataset<784>,
    augmenter: Option<RefCell<Augmenter<A, 1, 28, 28>>>,
}

impl<A: Augment<1, 28, 28>> BatchSource<784> for Augmented<A> {
    type Target = usize;

    fn len(&self) -> usize {
        self.data.len()
    }

    fn fill(&self, start: usize, inputs: &mut [[f32; 784]], targets: &mut [usize]) -> usize {
        let rows = self.data.fill(start, inputs, targets);
        if let Some(augmenter) = &self.augmenter {
            augmenter.borrow_mut().apply_flat(&mut inputs[..rows]);
        }
        rows
    }

    fn shuffle(&mut self, rng: &mut dyn rand::RngCore) {
        self.data.shuffle_with(rng);
    }
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        data: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist")),
        epochs: 15,
        seed: 42,
        lr: 0.05,
        save: None,
        subset: None,
        augment: false,
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
            "--save" => options.save = Some(PathBuf::from(value()?)),
            "--subset" => options.subset = Some(parse(&flag, &value()?)?),
            "--augment" => options.augment = true,
            "--plot" => options.plot = Some(PathBuf::from(value()?)),
            "--help" | "-h" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            _ => return Err(format!("unknown flag {flag}; {USAGE}")),
        }
    }
    Ok(options)
}

fn parse<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value.parse().map_err(|_| format!("{flag}: cannot parse `{value}`"))
}
