//! Five MNIST perceptrons against one: the accuracy an ensemble gains, and how the
//! members' disagreement separates right from wrong predictions.
//!
//! ```text
//! cargo run --release --example ensemble -- [--data DIR] [--epochs N] [--lr LR] [--bagging] [--save FILE]
//! ```
//!
//! The network, the data and the optimizer are those of `examples/mnist.rs` (784-128-10,
//! SGD with momentum 0.9 at learning rate 0.05, the bundled 7,500 training and 1,500 test
//! images), trained with `fit`, for 5 epochs rather than 15: members trained to
//! convergence agree more, and an ensemble of them gains less (`--epochs 15`: +0.0016). Three runs `r = 0, 1, 2`: one model from seed `r`, and an ensemble
//! of five members from seeds `r, r + 3, r + 6, r + 9, r + 12` (so member 0 is the single
//! model, and no seed is used twice), combined by soft voting; every figure is the mean
//! over the three runs. With `--bagging` each member trains on its own bootstrap sample
//! of the training set instead, and the single models are trained on the whole set.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use staticnet::data::{Dataset, Mnist};
use staticnet::ensemble::{Ensemble, Voting, bootstrap};
use staticnet::flat::reshape;
use staticnet::prelude::*;
use staticnet::train::{accuracy, fit};

network! {
    /// A two-layer perceptron for 28x28 digits (as examples/mnist.rs).
    pub struct Mlp {
        input: [784],
        fc1: Dense(128, init = HeUniform),
        act1: Relu,
        fc2: Dense(10),
    }
}

/// Rows per training batch (the workspace's compile-time capacity), as examples/mnist.rs.
const BATCH: usize = 32;
/// Members per ensemble.
const MEMBERS: usize = 5;
/// Runs averaged over.
const RUNS: u64 = 3;

struct Options {
    data: PathBuf,
    epochs: usize,
    lr: f32,
    bagging: bool,
    save: Option<PathBuf>,
}

/// What one run measured on the test split.
#[derive(Default)]
struct RunResult {
    single: f64,
    soft: f64,
    hard: f64,
    std_correct: f64,
    std_wrong: f64,
    certain_half: f64,
    disagreement_correct: f64,
    disagreement_wrong: f64,
}

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
    let mnist = Mnist::load(&options.data).map_err(|e| e.to_string())?;
    println!(
        "{} training and {} test images; {} runs of one model against {MEMBERS} ({}); ensemble {} KiB",
        mnist.train.len(),
        mnist.test.len(),
        RUNS,
        if options.bagging { "bagging: each member on its bootstrap sample" } else { "members from different seeds" },
        Ensemble::<Mlp, MEMBERS>::BYTES / 1024,
    );
    let mut ws = Workspace::<Mlp, BATCH>::new_boxed();
    let mut results = Vec::new();
    for r in 0..RUNS {
        let start = Instant::now();
        let seeds: [u64; MEMBERS] = core::array::from_fn(|k| r + RUNS * k as u64);
        let mut ensemble = Ensemble::<Mlp, MEMBERS>::new_boxed(seeds, Voting::Soft);
        ensemble
            .fit_members(|k, member| {
                let mut train = if options.bagging { bootstrap(&mnist.train, seeds[k])? } else { mnist.train.clone() };
                train_one(member, &mut ws, &mut train, seeds[k], options)
            })
            .map_err(|e| e.to_string())?;
        let single = if options.bagging {
            let mut model = Model::<Mlp>::new_boxed(r);
            train_one(&mut model, &mut ws, &mut mnist.train.clone(), r, options).map_err(|e| e.to_string())?;
            accuracy(&mut ws, &model, &mnist.test)
        } else {
            accuracy(&mut ws, &ensemble.members[0], &mnist.test)
        }
        .map_err(|e| e.to_string())?;
        let mut result = evaluate(&mut ensemble, &mnist.test)?;
        result.single = single;
        println!(
            "run {r} (seeds {seeds:?}, {:.1}s): one model {:.4}, ensemble soft vote {:.4} (gain {:+.4}), hard vote {:.4}",
            start.elapsed().as_secs_f64(),
            result.single,
            result.soft,
            result.soft - result.single,
            result.hard
        );
        if let (Some(path), 0) = (&options.save, r) {
            ensemble.save(path).map_err(|e| e.to_string())?;
            println!("saved ensemble 0 to {} (tensors member0.fc1.weight, ...)", path.display());
        }
        results.push(result);
    }
    let mean = |f: fn(&RunResult) -> f64| results.iter().map(f).sum::<f64>() / results.len() as f64;
    let (single, soft) = (mean(|r| r.single), mean(|r| r.soft));
    println!("means over {RUNS} runs:");
    println!("one model: test accuracy {single:.4}");
    println!("ensemble of {MEMBERS}: test accuracy {soft:.4} (soft vote), {:.4} (hard vote)", mean(|r| r.hard));
    println!(
        "members' std of the predicted class's probability: correct {:.4}, wrong {:.4}",
        mean(|r| r.std_correct),
        mean(|r| r.std_wrong)
    );
    println!(
        "accuracy on the 50% most certain predictions (lowest std): {:.4}, on all: {soft:.4}",
        mean(|r| r.certain_half)
    );
    println!(
        "hard vote, members disagreeing with the vote: correct {:.4}, wrong {:.4}",
        mean(|r| r.disagreement_correct),
        mean(|r| r.disagreement_wrong)
    );
    println!("ensemble gain: {:+.4}", soft - single);
    Ok(())
}

/// Trains `model` as examples/mnist.rs does (momentum 0.9), with `fit`.
fn train_one(
    model: &mut Model<Mlp>,
    ws: &mut Workspace<Mlp, BATCH>,
    train: &mut Dataset<784>,
    seed: u64,
    options: &Options,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut optimizer = Momentum::<Mlp>::new_boxed(options.lr, 0.9);
    fit(model, ws, optimizer.as_mut(), &CrossEntropyLoss).epochs(options.epochs).seed(seed).verbose(0).run(train)?;
    Ok(())
}

/// The ensemble's soft- and hard-vote accuracies on `test`, and how its uncertainty
/// tells right from wrong.
fn evaluate(ensemble: &mut Ensemble<Mlp, MEMBERS>, test: &Dataset<784>) -> Result<RunResult, String> {
    const ROWS: usize = 100;
    let mut ws = InferenceWorkspace::<Mlp, ROWS>::new_boxed();
    let (mut mean, mut std) = (vec![[0.0f32; 10]; ROWS], vec![[0.0f32; 10]; ROWS]);
    // (std of the predicted class's probability, correct) per test image.
    let mut soft = Vec::with_capacity(test.len());
    let (mut hard_correct, mut disagreement) = (0usize, [0.0f64; 2]);
    for voting in [Voting::Soft, Voting::Hard] {
        ensemble.voting = voting;
        for (inputs, labels) in test.batches(ROWS).map_err(|e| e.to_string())? {
            ensemble.forward(&mut ws, reshape(inputs), &mut mean, &mut std).map_err(|e| e.to_string())?;
            for ((m, s), &label) in mean.iter().zip(&std).zip(labels) {
                let class = argmax(m);
                if voting == Voting::Soft {
                    soft.push((s[class], class == label));
                } else {
                    hard_correct += usize::from(class == label);
                    disagreement[usize::from(class == label)] += f64::from(staticnet::ensemble::disagreement(m));
                }
            }
        }
    }
    let correct = soft.iter().filter(|(_, ok)| *ok).count();
    let wrong = test.len() - correct;
    let std_of = |want: bool| soft.iter().filter(|(_, ok)| *ok == want).map(|(s, _)| f64::from(*s)).sum::<f64>();
    let (std_correct, std_wrong) = (std_of(true) / correct.max(1) as f64, std_of(false) / wrong.max(1) as f64);
    soft.sort_by(|a, b| a.0.total_cmp(&b.0));
    let half = &soft[..test.len() / 2];
    Ok(RunResult {
        single: 0.0,
        soft: correct as f64 / test.len() as f64,
        hard: hard_correct as f64 / test.len() as f64,
        std_correct,
        std_wrong,
        certain_half: half.iter().filter(|(_, ok)| *ok).count() as f64 / half.len() as f64,
        disagreement_correct: disagreement[1] / hard_correct.max(1) as f64,
        disagreement_wrong: disagreement[0] / (test.len() - hard_correct).max(1) as f64,
    })
}

fn parse_args() -> Result<Options, String> {
    let usage = "usage: ensemble [--data DIR] [--epochs N] [--lr LR] [--bagging] [--save FILE]";
    let mut options = Options {
        data: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist")),
        epochs: 5,
        lr: 0.05,
        bagging: false,
        save: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--data" => options.data = PathBuf::from(value()?),
            "--epochs" => options.epochs = parse(&flag, &value()?)?,
            "--lr" => options.lr = parse(&flag, &value()?)?,
            "--bagging" => options.bagging = true,
            "--save" => options.save = Some(PathBuf::from(value()?)),
            "--help" | "-h" => {
                println!("{usage}");
                std::process::exit(0);
            }
            _ => return Err(format!("unknown flag {flag}; {usage}")),
        }
    }
    Ok(options)
}

fn parse<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value.parse().map_err(|_| format!("{flag}: cannot parse `{value}`"))
}
