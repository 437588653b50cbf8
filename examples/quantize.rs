//! Trains the MNIST MLP of `examples/mnist.rs` and the CNN of `examples/mnist_cnn.rs`
//! briefly, quantizes each to int8 (activation ranges calibrated on training images), and
//! prints the f32 and int8 test accuracy, the weight and model bytes, and the inference
//! time per sample of both (one sample at a time, measured in this run; meaningful with
//! `--release`).
//!
//! ```text
//! cargo run --release --example quantize -- [--data DIR] [--epochs N] [--seed S] [--calibration N]
//!                                           [--export FILE]
//! ```
//!
//! Without `--data` it uses the subset bundled with staticnet (7,500 training and 1,500
//! test images). `--calibration N` calibrates on the first `N` training images (default 1000).
//! `--export FILE.rs` writes the int8 CNN as Rust source (`static CNN_INT8: CnnInt8`, its
//! `Debug` form, which is a struct expression) with the labels of the first 100 test images
//! and the int8 output codes computed here for them, and those images' bytes to `FILE.bin`,
//! for the firmware (`examples/embedded/src/bin/mnist_int8.rs`), which checks that it
//! computes the same codes.

#[path = "common/mnist_cnn_network.rs"]
mod mnist_cnn_network;
#[path = "common/mnist_mlp_network.rs"]
mod mnist_mlp_network;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use staticnet::data::{Dataset, Mnist};
use staticnet::flat::reshape;
use staticnet::prelude::*;
use staticnet::quantize::QuantizedNetwork;
use staticnet::train::callbacks::EarlyStopping;
use staticnet::train::fit;

use mnist_cnn_network::{Cnn, CnnInt8, CnnInt8Scratch};
use mnist_mlp_network::{Mlp, MlpInt8};

const BATCH: usize = 32;

struct Options {
    data: PathBuf,
    epochs: usize,
    seed: u64,
    calibration: usize,
    export: Option<PathBuf>,
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
    let mut mnist = Mnist::load(&options.data).map_err(|e| e.to_string())?;
    let calibration: Vec<[f32; 784]> = mnist.train.inputs.iter().take(options.calibration).copied().collect();
    println!(
        "{} training and {} test images, {} calibration images, {} epochs",
        mnist.train.len(),
        mnist.test.len(),
        calibration.len(),
        options.epochs
    );

    let mut mlp = Model::<Mlp>::new_boxed(options.seed);
    let mut ws = Workspace::<Mlp, BATCH>::new_boxed();
    let mut optimizer = Momentum::<Mlp>::new_boxed(0.05, 0.9);
    train(&mut mlp, &mut ws, optimizer.as_mut(), &mut mnist.train, options)?;
    let mlp_int8 = Mlp::quantize(&mlp, &calibration).map_err(|e| e.to_string())?;
    let sizes = Sizes {
        f32_model: Mlp::PARAM_BYTES + Mlp::STATE_BYTES,
        int8_weights: MlpInt8::WEIGHT_BYTES,
        int8_model: MlpInt8::BYTES,
    };
    let mlp_row = report("MLP 784-128-10", &mlp, &mlp_int8, &mnist.test.inputs, &mnist.test.targets, sizes);

    let mut cnn = Model::<Cnn>::new_boxed(options.seed);
    let mut ws = Workspace::<Cnn, BATCH>::new_boxed();
    let mut optimizer = Adam::<Cnn>::new_boxed(3e-3);
    train(&mut cnn, &mut ws, optimizer.as_mut(), &mut mnist.train, options)?;
    let cnn_int8 = Cnn::quantize(&cnn, reshape(&calibration)).map_err(|e| e.to_string())?;
    let sizes = Sizes {
        f32_model: Cnn::PARAM_BYTES + Cnn::STATE_BYTES,
        int8_weights: CnnInt8::WEIGHT_BYTES,
        int8_model: CnnInt8::BYTES,
    };
    if let Some(path) = &options.export {
        export(path, &cnn_int8, &mnist.test, options)?;
    }
    let cnn_row = report(
        "CNN (conv 8, conv 16, dense 64)",
        &cnn,
        &cnn_int8,
        reshape(&mnist.test.inputs),
        &mnist.test.targets,
        sizes,
    );
    println!(
        "| network | f32 accuracy | int8 accuracy | f32 weights | int8 weights | f32 model | int8 model | f32 µs/sample | int8 µs/sample |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    println!("{mlp_row}\n{cnn_row}");
    Ok(())
}

/// Trains with `fit`, the last 10% of the training images validating for early stopping.
fn train<N, O>(
    model: &mut Model<N>,
    ws: &mut Workspace<N, BATCH>,
    optimizer: &mut O,
    data: &mut Dataset<784>,
    options: &Options,
) -> Result<(), String>
where
    N: Layer<Output = [f32; 10]>,
    O: staticnet::optim::Optimizer<N>,
{
    let mut early = EarlyStopping::new("val_loss").patience(2).restore_best_weights(true);
    fit(model, ws, optimizer, &CrossEntropyLoss)
        .epochs(options.epochs)
        .seed(options.seed)
        .validation_split(0.1)
        .verbose(2)
        .callbacks(&mut [&mut early])
        .run(data)
        .map_err(|e| e.to_string())?;
    Ok(())
}

struct Sizes {
    f32_model: usize,
    int8_weights: usize,
    int8_model: usize,
}

/// One row of the table: accuracy and time per sample of the f32 and int8 networks, one
/// sample at a time, and their sizes (f32 weights: the same count as the int8 ones, 4 bytes
/// each; a model: every parameter and state value, or every int8 field).
fn report<N, Q>(name: &str, model: &Model<N>, int8: &Q, inputs: &[N::Input], labels: &[usize], sizes: Sizes) -> String
where
    N: Forward<Output = [f32; 10]>,
    Q: QuantizedNetwork<Input = N::Input, Output = [f32; 10]>,
{
    let mut ws = InferenceWorkspace::<N, 1>::new_boxed();
    let start = Instant::now();
    let f32_correct = inputs.iter().zip(labels).filter(|&(x, &label)| argmax(ws.predict(model, x)) == label).count();
    let f32_time = start.elapsed().as_secs_f64() / inputs.len() as f64;

    let mut scratch: Box<Q::Scratch> = staticnet::flat::boxed_zeroed();
    let start = Instant::now();
    let int8_correct =
        inputs.iter().zip(labels).filter(|&(x, &label)| argmax(&int8.predict(x, &mut scratch)) == label).count();
    let int8_time = start.elapsed().as_secs_f64() / inputs.len() as f64;

    let n = inputs.len() as f64;
    format!(
        "| {name} | {:.4} | {:.4} | {} B | {} B | {} B | {} B | {:.1} | {:.1} |",
        f32_correct as f64 / n,
        int8_correct as f64 / n,
        4 * sizes.int8_weights,
        sizes.int8_weights,
        sizes.f32_model,
        sizes.int8_model,
        f32_time * 1e6,
        int8_time * 1e6,
    )
}

/// Images the firmware classifies.
const EXPORTED_IMAGES: usize = 100;

/// Writes `int8` and the first test images, labels and int8 output codes as Rust source.
fn export(path: &std::path::Path, int8: &CnnInt8, test: &Dataset<784>, options: &Options) -> Result<(), String> {
    use std::fmt::Write as _;
    let mut scratch: Box<CnnInt8Scratch> = staticnet::flat::boxed_zeroed();
    let (mut images, mut labels, mut codes) = (Vec::new(), String::new(), String::new());
    for (x, &label) in test.inputs.iter().zip(&test.targets).take(EXPORTED_IMAGES) {
        // The loader's pixels are `byte / 255`; the firmware divides the same bytes.
        let bytes: Vec<u8> = x.iter().map(|&v| (v * 255.0).round() as u8).collect();
        assert!(bytes.iter().zip(x).all(|(&b, &v)| f32::from(b) / 255.0 == v));
        let mut q = [[[0i8; 28]; 28]; 1];
        int8.input_params().quantize_into(x, q.as_flattened_mut().as_flattened_mut());
        let y = int8.infer_int8(&q, &mut scratch);
        images.extend_from_slice(&bytes);
        write!(labels, "{label}, ").unwrap();
        writeln!(codes, "    {y:?},").unwrap();
    }
    let n = EXPORTED_IMAGES;
    let bin = path.with_extension("bin");
    let bin_name = bin.file_name().and_then(|n| n.to_str()).ok_or("--export: the file needs a name")?;
    let source = format!(
        "// Generated by `cargo run --release --example quantize -- --export {}` (seed {}, {} epochs,\n\
         // {} calibration images): the int8 MNIST CNN, the first {n} bundled test images, their\n\
         // labels and the int8 output codes the host computed for them.\n\n\
         /// The int8 CNN, in flash.\n\
         pub static CNN_INT8: CnnInt8 = {int8:?};\n\n\
         /// Test images, 784 grey levels 0..=255 each (the loader's pixels are `byte / 255`).\n\
         pub static IMAGES: &[u8; {}] = include_bytes!(\"{bin_name}\");\n\n\
         /// The class of each image.\n\
         pub static LABELS: [u8; {n}] = [{labels}];\n\n\
         /// The int8 output codes the host computed for each image.\n\
         pub static HOST_CODES: [[i8; 10]; {n}] = [\n{codes}];\n",
        path.display(),
        options.seed,
        options.epochs,
        options.calibration,
        n * 784,
    );
    std::fs::write(path, source).map_err(|e| format!("{}: {e}", path.display()))?;
    std::fs::write(&bin, images).map_err(|e| format!("{}: {e}", bin.display()))?;
    println!("wrote the int8 CNN and {n} test images to {}", path.display());
    Ok(())
}

fn parse_args() -> Result<Options, String> {
    let usage = "usage: quantize [--data DIR] [--epochs N] [--seed S] [--calibration N] [--export FILE]";
    let mut options = Options {
        data: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist")),
        epochs: 5,
        seed: 42,
        calibration: 1000,
        export: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--data" => options.data = PathBuf::from(value()?),
            "--epochs" => options.epochs = parse(&flag, &value()?)?,
            "--seed" => options.seed = parse(&flag, &value()?)?,
            "--calibration" => options.calibration = parse(&flag, &value()?)?,
            "--export" => options.export = Some(PathBuf::from(value()?)),
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
