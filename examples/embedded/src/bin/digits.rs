//! The UCI 8x8 handwritten digits on a Cortex-M4F: a 64-32-10 network trained on the board
//! from a byte table in flash, with its model, workspace and Adam state in `static` memory
//! and no allocator.
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
use staticnet_embedded::digits::{DIGITS, LABELS, Split, TEST, TRAIN, XorShift};
use staticnet_embedded::{exit, fail, stack_used};

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
const EPOCHS: usize = 30;
const LEARNING_RATE: f32 = 3e-3;
const SEED: u64 = 1;
/// The firmware fails (QEMU exits with an error) below this test accuracy.
const REQUIRED: f32 = 0.93;

// Zero-filled `.bss`, sized at compile time; built in place below, never on the stack.
static MODEL: StaticSlot<Model<Digits>> = StaticSlot::new();
static WORKSPACE: StaticSlot<Workspace<Digits, BATCH>> = StaticSlot::new();
static ADAM: StaticSlot<Adam<Digits>> = StaticSlot::new();

#[entry]
fn main() -> ! {
    hprintln!("staticnet on a Cortex-M4F: digits 64-32-10, Adam, batch {}, {} train / {} test", BATCH, TRAIN, TEST);
    hprintln!(
        "compile-time memory: parameters {} B, model {} B, workspace {} B, Adam state {} B, data in flash {} B",
        Digits::PARAM_BYTES,
        Model::<Digits>::BYTES,
        Workspace::<Digits, BATCH>::BYTES,
        Adam::<Digits>::STATE_BYTES,
        core::mem::size_of_val(&DIGITS) + core::mem::size_of_val(&LABELS)
    );

    let model = Model::new_in(MODEL.take().expect("the model slot is taken once"), SEED);
    let ws = Workspace::new_in(WORKSPACE.take().expect("the workspace slot is taken once"));
    let adam = Adam::new_in(ADAM.take().expect("the Adam slot is taken once"), LEARNING_RATE);

    let mut train = Split::<TRAIN>::new(false);
    let test = Split::<TEST>::new(true);
    let mut rng = XorShift(0x9E37_79B9);
    // The batch buffers, allocated once.
    let mut inputs = [[0.0f32; 64]; BATCH];
    let mut targets = [0usize; BATCH];
    for epoch in 1..=EPOCHS {
        train.shuffle(&mut rng);
        let mut total = 0.0;
        let mut start = 0;
        loop {
            let n = train.fill(start, &mut inputs, &mut targets);
            if n == 0 {
                break;
            }
            match ws.train_step(model, &inputs[..n], &targets[..n], &CrossEntropyLoss, adam) {
                Ok(loss) => total += loss * n as f32,
                Err(e) => fail(e),
            }
            start += n;
        }
        hprintln!("epoch {:2}  loss {:.4}", epoch, total / TRAIN as f32);
    }

    let mut correct = 0;
    let mut start = 0;
    loop {
        let n = test.fill(start, &mut inputs, &mut targets);
        if n == 0 {
            break;
        }
        let logits = match ws.forward(model, &inputs[..n], Mode::Eval) {
            Ok(logits) => logits,
            Err(e) => fail(e),
        };
        correct += logits.iter().zip(&targets[..n]).filter(|&(l, &label)| argmax(l) == label).count();
        start += n;
    }
    let accuracy = correct as f32 / TEST as f32;
    hprintln!("stack used: {} B", stack_used());
    hprintln!("digits test accuracy: {:.4}", accuracy);
    exit(if accuracy >= REQUIRED { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE })
}
