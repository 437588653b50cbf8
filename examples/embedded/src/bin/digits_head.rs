//! On-device fine-tuning of the 8x8 digits on a Cortex-M4F: the feature extractor (two
//! hidden layers, 64-64-32) was trained on the host by `examples/digits_features.rs` and is
//! frozen, its weights a `static` in flash read from `src/digits_features.safetensors` at
//! compile time; only a new head (32-10) trains on the board, with `fit` in fused steps and
//! early stopping, so RAM holds the head's parameters, its Adam state and its gradients,
//! and the activations. It prints what training the whole network would take beside it.
//!
//! `cargo run --release --bin digits_head` runs it under QEMU (see `.cargo/config.toml`).

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use panic_semihosting as _;
use staticnet::prelude::*;
use staticnet::train::BatchBuffers;
use staticnet::{FusedLayer, StaticSlot};
use staticnet_embedded::digits::{FIT_TRAIN, TEST, VALIDATION};
use staticnet_embedded::digits_fit::{Schedule, fit_and_test, print_memory};
use staticnet_embedded::{exit, stack_used};

network! {
    /// The features of `examples/digits_features.rs`, frozen in flash, and a new head.
    struct DigitsHead {
        input: [64],
        #[frozen(weights = "../digits_features.safetensors")]
        fc1: Dense(64),
        Relu,
        #[frozen(weights = "../digits_features.safetensors")]
        fc2: Dense(32),
        Relu,
        head: Dense(10),
    }
}

network! {
    /// The same network with every layer trained, for its memory figures only.
    struct DigitsFull {
        input: [64],
        fc1: Dense(64),
        Relu,
        fc2: Dense(32),
        Relu,
        head: Dense(10),
    }
}

const BATCH: usize = 32;
/// At most; early stopping ends the run when the validation loss has not improved for
/// `PATIENCE` epochs.
const EPOCHS: usize = 60;
const PATIENCE: usize = 5;
const LEARNING_RATE: f32 = 1e-2;
const SEED: u64 = 1;
/// The firmware fails (QEMU exits with an error) below this test accuracy.
const REQUIRED: f32 = 0.93;

// Zero-filled `.bss`, sized at compile time; built in place below, never on the stack.
static MODEL: StaticSlot<Model<DigitsHead>> = StaticSlot::new();
static WORKSPACE: StaticSlot<FusedWorkspace<DigitsHead, BATCH>> = StaticSlot::new();
static ADAM: StaticSlot<Adam<DigitsHead>> = StaticSlot::new();
static VALIDATION_WS: StaticSlot<InferenceWorkspace<DigitsHead, BATCH>> = StaticSlot::new();
static BUFFERS: StaticSlot<BatchBuffers<64, usize, BATCH>> = StaticSlot::new();

#[entry]
fn main() -> ! {
    hprintln!(
        "staticnet on a Cortex-M4F: digits 64-64-32 frozen in flash, head 32-10 trained, Adam, batch {}, {} train / {} validation / {} test",
        BATCH,
        FIT_TRAIN,
        VALIDATION,
        TEST
    );
    print_memory::<DigitsHead, BATCH>();
    print_training_memory::<DigitsFull>("every layer");
    print_training_memory::<DigitsHead>("the head only");

    let model = Model::new_in(MODEL.take().expect("the model slot is taken once"), SEED);
    let ws = FusedWorkspace::new_in(WORKSPACE.take().expect("the workspace slot is taken once"));
    let adam = Adam::new_in(ADAM.take().expect("the Adam slot is taken once"), LEARNING_RATE);
    let validation_ws = InferenceWorkspace::new_in(VALIDATION_WS.take().expect("the slot is taken once"));
    let buffers = BUFFERS.take().expect("the buffer slot is taken once").write(BatchBuffers::default());

    let schedule = Schedule { epochs: EPOCHS, patience: PATIENCE, seed: SEED };
    let accuracy = fit_and_test(model, ws, adam, validation_ws, buffers, &schedule);
    hprintln!("stack used: {} B", stack_used());
    hprintln!("digits head test accuracy: {:.4}", accuracy);
    exit(if accuracy >= REQUIRED { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE })
}

/// Prints the RAM training `N` at batch `BATCH` takes (the model, the workspace and the
/// optimizer state), unfused and fused, with SGD, momentum and Adam.
fn print_training_memory<N: FusedLayer>(name: &str) {
    let model = Model::<N>::BYTES;
    let (unfused, fused) = (model + Workspace::<N, BATCH>::BYTES, model + FusedWorkspace::<N, BATCH>::BYTES);
    let (momentum, adam) = (Momentum::<N>::STATE_BYTES, Adam::<N>::STATE_BYTES);
    hprintln!(
        "training {}, model + workspace + optimizer state: SGD {} B (fused {} B), momentum {} B (fused {} B), Adam {} B (fused {} B)",
        name,
        unfused,
        fused,
        unfused + momentum,
        fused + momentum,
        unfused + adam,
        fused + adam
    );
}
