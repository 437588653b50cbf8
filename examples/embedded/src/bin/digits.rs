//! The UCI 8x8 handwritten digits on a Cortex-M4F: a 64-32-10 network trained on the board
//! from a byte table in flash, with its model, workspace and Adam state in `static` memory
//! and no allocator.
//!
//! The data (`data/digits.csv`, 1,797 images) is turned into `DIGITS` and `LABELS` by
//! `build.rs`. Fixed split: every fifth row (rows 4, 9, 14, ...) is a test row, 359 in all;
//! the other 1,438 train. Each split is a [`BatchSource`] over the table: an order of row
//! numbers in RAM, grey levels 0..=16 scaled to [0, 1] as `v / 16` as a batch is filled.
//!
//! `cargo run --release --bin digits` runs it under QEMU (see `.cargo/config.toml`).

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use panic_semihosting as _;
use staticnet::prelude::*;
use staticnet::{RngCore, StaticSlot};
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

/// Whether row `row` belongs to the test split.
const fn is_test(row: usize) -> bool {
    row % TEST_EVERY == TEST_EVERY - 1
}

/// The `M` rows of one split of the table in flash, as row numbers in RAM (2 bytes each).
struct Split<const M: usize> {
    rows: [u16; M],
}

impl<const M: usize> Split<M> {
    /// The test rows (`test`) or the training rows, in table order.
    fn new(test: bool) -> Self {
        let mut rows = [0u16; M];
        for (slot, row) in rows.iter_mut().zip((0..ROWS).filter(|&r| is_test(r) == test)) {
            *slot = row as u16;
        }
        Split { rows }
    }
}

impl<const M: usize> BatchSource<64> for Split<M> {
    type Target = usize;

    fn len(&self) -> usize {
        M
    }

    /// Copies rows from flash, grey levels scaled to [0, 1].
    fn fill(&self, start: usize, inputs: &mut [[f32; 64]], targets: &mut [usize]) -> usize {
        let mut n = 0;
        for (&row, (input, target)) in self.rows.iter().skip(start).zip(inputs.iter_mut().zip(targets)) {
            let row = usize::from(row);
            *input = DIGITS[row].map(|v| f32::from(v) / 16.0);
            *target = usize::from(LABELS[row]);
            n += 1;
        }
        n
    }

    /// Fisher-Yates.
    fn shuffle(&mut self, rng: &mut dyn RngCore) {
        for i in (1..M).rev() {
            let j = (rng.next_u32() as usize) % (i + 1);
            self.rows.swap(i, j);
        }
    }
}

/// Marsaglia's xorshift32: a few bytes of state for shuffling the training order.
struct XorShift(u32);

impl RngCore for XorShift {
    fn next_u32(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }

    fn next_u64(&mut self) -> u64 {
        (u64::from(self.next_u32()) << 32) | u64::from(self.next_u32())
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(4) {
            let bytes = self.next_u32().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}
