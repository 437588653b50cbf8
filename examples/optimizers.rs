//! Trains the same MNIST MLP with every optimizer, from the same initial weights and in
//! the same batch order, and compares them.
//!
//! ```text
//! cargo run --release --features plot --example optimizers -- [--data DIR] [--epochs N] [--seed S] [--out DIR]
//! ```
//!
//! Writes `optimizers.csv` (epoch, optimizer, loss, test accuracy, lr) and the learning
//! curves `optimizers.svg` into `--out` (default: the current directory), and prints a
//! table of the final figures.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use plotters::prelude::*;
use staticnet::data::Mnist;
use staticnet::io::write_atomic;
use staticnet::prelude::*;
use staticnet::train::{accuracy, train_epoch};

network! {
    /// The MLP of the MNIST example.
    pub struct Mlp {
        input: [784],
        fc1: Dense(128, init = HeUniform),
        act1: Relu,
        fc2: Dense(10),
    }
}

const BATCH: usize = 32;

/// Matplotlib's "tab10" colours, distinct for each optimizer.
const COLORS: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

/// One epoch of one optimizer's run.
struct Record {
    epoch: usize,
    optimizer: &'static str,
    loss: f64,
    test_accuracy: f64,
    lr: f32,
}

struct Options {
    data: PathBuf,
    out: PathBuf,
    epochs: usize,
    seed: u64,
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
    let mut records = Vec::new();
    let mut summary = Vec::new();
    // Learning rates: PyTorch's defaults for the adaptive methods, 0.05 for SGD and
    // momentum, 0.01 for Adagrad.
    let runs = [
        train(&mnist, options, "sgd", Box::new(Sgd::new(0.05)))?,
        train(&mnist, options, "momentum", Momentum::new_boxed(0.05, 0.9))?,
        train(&mnist, options, "nesterov", nesterov(0.05, 0.9))?,
        train(&mnist, options, "adagrad", Adagrad::new_boxed(0.01))?,
        train(&mnist, options, "rmsprop", RmsProp::<Mlp>::new_boxed(1e-3))?,
        train(&mnist, options, "adam", Adam::<Mlp>::new_boxed(1e-3))?,
        train(&mnist, options, "adamax", Adamax::new_boxed(2e-3))?,
        train(&mnist, options, "nadam", NAdam::new_boxed(2e-3))?,
        train(&mnist, options, "adamw", AdamW::<Mlp>::new_boxed(1e-3))?,
    ];
    for (run_records, seconds) in runs {
        let last = run_records.last().ok_or("no epochs to run")?;
        let best = run_records.iter().map(|r| r.test_accuracy).fold(0.0, f64::max);
        let to_95 = run_records.iter().find(|r| r.test_accuracy >= 0.95).map(|r| r.epoch);
        summary.push((last.optimizer, last.loss, last.test_accuracy, best, to_95, seconds));
        records.extend(run_records);
    }

    std::fs::create_dir_all(&options.out).map_err(|e| format!("{}: {e}", options.out.display()))?;
    let csv_path = options.out.join("optimizers.csv");
    write_atomic(&csv_path, csv(&records).as_bytes()).map_err(|e| format!("{}: {e}", csv_path.display()))?;
    let svg_path = options.out.join("optimizers.svg");
    write_atomic(&svg_path, plot(&records, options.epochs)?.as_bytes())
        .map_err(|e| format!("{}: {e}", svg_path.display()))?;

    println!("| optimizer | final loss | final test accuracy | best test accuracy | first epoch >= 0.95 | time |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for (name, loss, acc, best, to_95, secs) in summary {
        let to_95 = to_95.map_or("never".to_string(), |e| e.to_string());
        println!("| {name} | {loss:.4} | {acc:.4} | {best:.4} | {to_95} | {secs:.1}s |");
    }
    println!("wrote {} and {}", csv_path.display(), svg_path.display());
    Ok(())
}

/// SGD with Nesterov momentum.
fn nesterov(lr: f32, momentum: f32) -> Box<Momentum<Mlp>> {
    let mut optimizer = Momentum::new_boxed(lr, momentum);
    optimizer.nesterov = true;
    optimizer
}

/// Trains a fresh model (same seed, same batch order for every optimizer); returns a record
/// per epoch and the seconds it took.
fn train<O: Optimizer<Mlp>>(
    mnist: &Mnist,
    options: &Options,
    name: &'static str,
    mut optimizer: Box<O>,
) -> Result<(Vec<Record>, f64), String> {
    let start = Instant::now();
    let mut model = Model::<Mlp>::new_boxed(options.seed);
    let mut ws = Workspace::<Mlp, BATCH>::new_boxed();
    let mut train_set = mnist.train.clone();
    let mut records = Vec::new();
    for epoch in 1..=options.epochs {
        train_set.shuffle(options.seed.wrapping_add(epoch as u64));
        let stats = train_epoch(&mut ws, &mut model, &train_set, &CrossEntropyLoss, optimizer.as_mut())
            .map_err(|e| format!("{name}, epoch {epoch}: {e}"))?;
        let test_accuracy = accuracy(&mut ws, &model, &mnist.test).map_err(|e| e.to_string())?;
        records.push(Record { epoch, optimizer: name, loss: stats.loss, test_accuracy, lr: optimizer.learning_rate() });
    }
    Ok((records, start.elapsed().as_secs_f64()))
}

fn csv(records: &[Record]) -> String {
    let mut out = String::from("epoch,optimizer,loss,test_accuracy,lr\n");
    for r in records {
        let _ = writeln!(out, "{},{},{:.6},{:.4},{}", r.epoch, r.optimizer, r.loss, r.test_accuracy, r.lr);
    }
    out
}

/// Training loss (log scale) and test accuracy per epoch, one line per optimizer.
fn plot(records: &[Record], epochs: usize) -> Result<String, String> {
    // plotters' text engine (ab_glyph) needs a font: staticnet's, registered once.
    staticnet::train::callbacks::register_plot_font()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1100, 450)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (left, right) = root.split_horizontally(550);
        let names: Vec<&str> = records.iter().map(|r| r.optimizer).fold(Vec::new(), |mut v, n| {
            if !v.contains(&n) {
                v.push(n);
            }
            v
        });
        let min_loss = records.iter().map(|r| r.loss).fold(f64::INFINITY, f64::min).max(1e-6);
        let max_loss = records.iter().map(|r| r.loss).fold(0.0, f64::max);
        let min_acc = records.iter().map(|r| r.test_accuracy).fold(1.0, f64::min);
        let x = 1.0..epochs.max(2) as f64;

        let mut loss_chart = ChartBuilder::on(&left)
            .caption("training loss", ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(55)
            .build_cartesian_2d(x.clone(), (min_loss * 0.8..max_loss * 1.2).log_scale())
            .map_err(|e| e.to_string())?;
        loss_chart.configure_mesh().x_desc("epoch").draw().map_err(|e| e.to_string())?;
        let mut acc_chart = ChartBuilder::on(&right)
            .caption("test accuracy", ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(55)
            .build_cartesian_2d(x, (min_acc - 0.005).max(0.0)..1.0)
            .map_err(|e| e.to_string())?;
        acc_chart.configure_mesh().x_desc("epoch").draw().map_err(|e| e.to_string())?;

        for (i, name) in names.iter().enumerate() {
            let (r, g, b) = COLORS[i % COLORS.len()];
            let color = RGBColor(r, g, b);
            let series: Vec<&Record> = records.iter().filter(|r| r.optimizer == *name).collect();
            loss_chart
                .draw_series(LineSeries::new(series.iter().map(|r| (r.epoch as f64, r.loss)), color.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(*name)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2)));
            acc_chart
                .draw_series(LineSeries::new(
                    series.iter().map(|r| (r.epoch as f64, r.test_accuracy)),
                    color.stroke_width(2),
                ))
                .map_err(|e| e.to_string())?;
        }
        loss_chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

fn parse_args() -> Result<Options, String> {
    let usage = "usage: optimizers [--data DIR] [--epochs N] [--seed S] [--out DIR]";
    let mut options = Options {
        data: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist")),
        out: PathBuf::from("."),
        epochs: 10,
        seed: 42,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--data" => options.data = PathBuf::from(value()?),
            "--out" => options.out = PathBuf::from(value()?),
            "--epochs" => options.epochs = parse(&flag, &value()?)?,
            "--seed" => options.seed = parse(&flag, &value()?)?,
            "--help" | "-h" => {
                println!("{usage}");
                std::process::exit(0);
            }
            _ => return Err(format!("unknown flag {flag}; {usage}")),
        }
    }
    if options.epochs == 0 {
        return Err("--epochs must be at least 1".into());
    }
    Ok(options)
}

fn parse<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value.parse().map_err(|_| format!("{flag}: cannot parse `{value}`"))
}
