//! The UCI 8x8 handwritten digits on a Cortex-M4F: a 64-32-10 network trained on the board
//! from a byte table in flash with `fit` in fused steps (each layer updated right after its
//! backward pass), early stopping on held-out validation rows, its model, workspaces and
//! Adam state in `static` memory and no allocator.
//!
//! The data and its fixed train/test split are `staticnet_embedded::digits`: a byte table
//! in flash, each split a `BatchSource` over it.
//!
//! `cargo run --release --bin digits` runs it under QEMU (see `.cargo/config.toml`).

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use panic_semihosting as _;
use staticnet::StaticSlot;
use staticnet::prelude::*;
use staticnet::train::BatchBuffers;
use staticnet_embedded::digits::{FIT_TRAIN, TEST, VALIDATION};
use staticnet_embedded::digits_fit::{Schedule, fit_and_test, print_memory};
use staticnet_embedded::{exit, stack_used};

network! {
    /// 64-32-10 classifier of 8x8 digits (logits).
    struct Digits {
        input: [64],
        fc1: Dense(32, init = HeUniform),
        Relu,
        fc2: Dense(10),
    }
}

const BATCH: usize = 32;
/// At most; early stopping ends the run when the validation loss has not improved for
/// `PATIENCE` epochs.
const EPOCHS: usize = 60;
const PATIENCE: usize = 5;
const LEARNING_RATE: f32 = 3e-3;
const SEED: u64 = 1;
/// The firmware fails (QEMU exits with an error) below this test accuracy.
const REQUIRED: f32 = 0.93;

// Zero-filled `.bss`, sized at compile time; built in place below, never on the stack.
static MODEL: StaticSlot<Model<Digits>> = StaticSlot::new();
static WORKSPACE: StaticSlot<FusedWorkspace<Digits, BATCH>> = StaticSlot::new();
static ADAM: StaticSlot<Adam<Digits>> = StaticSlot::new();
static VALIDATION_WS: StaticSlot<InferenceWorkspace<Digits, BATCH>> = StaticSlot::new();
static BUFFERS: StaticSlot<BatchBuffers<64, usize, BATCH>> = StaticSlot::new();

#[entry]
fn main() -> ! {
    hprintln!(
        "staticnet on a Cortex-M4F: digits 64-32-10, Adam, batch {}, {} train / {} validation / {} test",
        BATCH,
        FIT_TRAIN,
        VALIDATION,
        TEST
    );
    print_memory::<Digits, BATCH>();

    let model = Model::new_in(MODEL.take().expect("the model slot is taken once"), SEED);
    let ws = FusedWorkspace::new_in(WORKSPACE.take().expect("the workspace slot is taken once"));
    let adam = Adam::new_in(ADAM.take().expect("the Adam slot is taken once"), LEARNING_RATE);
    let validation_ws = InferenceWorkspace::new_in(VALIDATION_WS.take().expect("the slot is taken once"));
    let buffers = BUFFERS.take().expect("the buffer slot is taken once").write(BatchBuffers::default());

    let schedule = Schedule { epochs: EPOCHS, patience: PATIENCE, seed: SEED };
    let accuracy = fit_and_test(model, ws, adam, validation_ws, buffers, &schedule);
    hprintln!("stack used: {} B", stack_used());
    hprintln!("digits test accuracy: {:.4}", accuracy);
    exit(if accuracy >= REQUIRED { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE })
}
