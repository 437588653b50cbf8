//! The UCI 8x8 handwritten digits on a Cortex-M4F: a 64-32-10 network trained on the board
//! from a byte table in flash, with its model, workspace and Adam state in `static` memory
//! and no allocator.
//!
//! The data (`data/digits.csv`, 1,797 images) is turned into `DIGITS` and `LABELS` by
//! `build.rs`. Fixed split: every fifth row (rows 4, 9, 14, ...) is a test row, 359 in all;
//! the other 1,438 train. Grey levels 0..=16 are scaled to [0, 1] as `v / 16` when a batch
//! is assembled.
//!
//! `cargo run --release --bin digits` runs it under QEMU (see `.cargo/config.toml`).

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use panic_semihosting as _;
use staticnet::StaticSlot;
use staticnet::prelude::*;
use staticnet_embedded::{exit, fail, stack_used};

include!(concat!(env!("OUT_DIR"), "/digits.rs"));

network! {
    /// 64-32-10 classifier of 8x8 digits (logits).
    struct Digits {
        input: [64],
        fc1: Dense(32, init = HeUniform),
        Relu,
        fc2: Dense(10),
    }
}

/// Rows `r` with `r % TEST_EVERY == TEST_EVERY - 1` are test rows.
const TEST_EVERY: usize = 5;
const ROWS: usize = LABELS.len();
const TEST: usize = ROWS / TEST_EVERY;
const TRAIN: usize = ROWS - TEST;
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

    let mut order = [0u16; TRAIN];
    for (slot, row) in order.iter_mut().zip((0..ROWS).filter(|&r| !is_test(r))) {
        *slot = row as u16;
    }
    let mut rng = XorShift(0x9E37_79B9);
    let mut inputs = [[0.0f32; 64]; BATCH];
    let mut targets = [0usize; BATCH];
    for epoch in 1..=EPOCHS {
        rng.shuffle(&mut order);
        let mut total = 0.0;
        for rows in order.chunks(BATCH) {
            for ((input, target), &row) in inputs.iter_mut().zip(&mut targets).zip(rows) {
                *input = scaled(usize::from(row));
                *target = usize::from(LABELS[usize::from(row)]);
            }
            let n = rows.len();
            match ws.train_step(model, &inputs[..n], &targets[..n], &CrossEntropyLoss, adam) {
                Ok(loss) => total += loss * n as f32,
                Err(e) => fail(e),
            }
        }
        hprintln!("epoch {:2}  loss {:.4}", epoch, total / TRAIN as f32);
    }

    let mut correct = 0;
    let mut test_rows = (0..ROWS).filter(|&r| is_test(r));
    let mut rows = [0usize; BATCH];
    loop {
        let mut n = 0;
        for (slot, row) in rows.iter_mut().zip(&mut test_rows) {
            *slot = row;
            n += 1;
        }
        if n == 0 {
            break;
        }
        for (input, &row) in inputs.iter_mut().zip(&rows[..n]) {
            *input = scaled(row);
        }
        let logits = match ws.forward(model, &inputs[..n], Mode::Eval) {
            Ok(logits) => logits,
            Err(e) => fail(e),
        };
        correct += logits.iter().zip(&rows[..n]).filter(|&(l, &row)| argmax(l) == usize::from(LABELS[row])).count();
    }
    let accuracy = correct as f32 / TEST as f32;
    hprintln!("stack used: {} B", stack_used());
    hprintln!("digits test accuracy: {:.4}", accuracy);
    exit(if accuracy >= REQUIRED { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE })
}

/// Whether row `row` belongs to the test split.
const fn is_test(row: usize) -> bool {
    row % TEST_EVERY == TEST_EVERY - 1
}

/// Row `row` of the table, grey levels scaled to [0, 1].
fn scaled(row: usize) -> [f32; 64] {
    DIGITS[row].map(|v| f32::from(v) / 16.0)
}

/// Marsaglia's xorshift32: a few bytes of state for shuffling the training order.
struct XorShift(u32);

impl XorShift {
    fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }

    /// Fisher-Yates.
    fn shuffle(&mut self, items: &mut [u16]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() as usize) % (i + 1);
            items.swap(i, j);
        }
    }
}
