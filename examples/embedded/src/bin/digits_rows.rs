//! A recurrent network trained on a Cortex-M4F: each 8x8 digit read as a sequence of 8 rows
//! of 8 pixels by a GRU(16), a Dense head on its last state, trained with Adam by
//! backpropagation through time on the board in fused steps, with its model, workspace and
//! optimizer state in `static` memory and no allocator. The data and its split are
//! `staticnet_embedded::digits` (the table in flash the `digits` firmware also reads).
//!
//! `cargo run --release --bin digits_rows` runs it under QEMU (see `.cargo/config.toml`).

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use panic_semihosting as _;
use staticnet::StaticSlot;
use staticnet::flat::reshape;
use staticnet::prelude::*;
use staticnet::train::BatchBuffers;
use staticnet_embedded::digits::{Split, TEST, TRAIN, XorShift, accuracy, is_test, is_train};
use staticnet_embedded::{exit, fail, stack_used};

network! {
    /// A GRU over the 8 rows of a digit, a classifier on its last hidden state (logits).
    struct DigitRows {
        input: [8, 8],
        gru: Gru(16),
        head: Dense(10),
    }
}

const BATCH: usize = 16;
const EPOCHS: usize = 20;
const LEARNING_RATE: f32 = 1e-2;
const SEED: u64 = 1;
/// The firmware fails (QEMU exits with an error) below this test accuracy.
const REQUIRED: f32 = 0.90;

// Zero-filled `.bss`, sized at compile time; built in place below, never on the stack.
static MODEL: StaticSlot<Model<DigitRows>> = StaticSlot::new();
static WORKSPACE: StaticSlot<FusedWorkspace<DigitRows, BATCH>> = StaticSlot::new();
static ADAM: StaticSlot<Adam<DigitRows>> = StaticSlot::new();

#[entry]
fn main() -> ! {
    hprintln!("staticnet on a Cortex-M4F: digits as 8 rows of 8, GRU(16) + Dense(10), Adam, batch {}", BATCH);
    hprintln!(
        "compile-time memory: parameters {} B, model {} B, fused workspace {} B (unfused {} B), Adam state {} B",
        DigitRows::PARAM_BYTES,
        Model::<DigitRows>::BYTES,
        FusedWorkspace::<DigitRows, BATCH>::BYTES,
        Workspace::<DigitRows, BATCH>::BYTES,
        Adam::<DigitRows>::STATE_BYTES,
    );

    let model = Model::new_in(MODEL.take().expect("the model slot is taken once"), SEED);
    let ws = FusedWorkspace::new_in(WORKSPACE.take().expect("the workspace slot is taken once"));
    let adam = Adam::new_in(ADAM.take().expect("the Adam slot is taken once"), LEARNING_RATE);

    let mut train = Split::<TRAIN>::new(is_train);
    let test = Split::<TEST>::new(is_test);
    let mut rng = XorShift(0x9E37_79B9);
    // The batch buffers, allocated once: a sample is 64 values, seen as [[f32; 8]; 8].
    let mut buffers = BatchBuffers::<64, usize, BATCH>::default();
    let BatchBuffers { inputs, targets } = &mut buffers;
    for epoch in 1..=EPOCHS {
        train.shuffle(&mut rng);
        let mut total = 0.0;
        let mut start = 0;
        loop {
            let n = train.fill(start, inputs, targets);
            if n == 0 {
                break;
            }
            let rows: &[[[f32; 8]; 8]] = reshape(&inputs[..n]);
            match ws.train_step(model, rows, &targets[..n], &CrossEntropyLoss, adam) {
                Ok(loss) => total += loss * n as f32,
                Err(e) => fail(e),
            }
            start += n;
        }
        hprintln!("epoch {:2}  loss {:.4}", epoch, total / TRAIN as f32);
    }

    let accuracy = accuracy(ws, model, &test, &mut buffers).unwrap_or_else(|e| fail(e));
    hprintln!("stack used: {} B", stack_used());
    hprintln!("digits rows (GRU) test accuracy: {:.4}", accuracy);
    exit(if accuracy >= REQUIRED { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE })
}
