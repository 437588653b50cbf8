//! The UCI 8x8 handwritten digits in flash, and their fixed train/test split as batch
//! sources (both digit firmwares train on them).
//!
//! The data (`data/digits.csv`, 1,797 images) is turned into [`DIGITS`] and [`LABELS`] by
//! `build.rs`. Every fifth row (rows 4, 9, 14, ...) is a test row, 359 in all; the other
//! 1,438 train. Each split is a [`BatchSource`] over the table: an order of row numbers in
//! RAM, grey levels 0..=16 scaled to [0, 1] as `v / 16` as a batch is filled.

use staticnet::RngCore;
use staticnet::prelude::BatchSource;

include!(concat!(env!("OUT_DIR"), "/digits.rs"));

/// Rows `r` with `r % TEST_EVERY == TEST_EVERY - 1` are test rows.
const TEST_EVERY: usize = 5;
/// Rows in the table.
const ROWS: usize = LABELS.len();
/// Rows of the test split.
pub const TEST: usize = ROWS / TEST_EVERY;
/// Rows of the training split.
pub const TRAIN: usize = ROWS - TEST;

/// Whether row `row` belongs to the test split.
const fn is_test(row: usize) -> bool {
    row % TEST_EVERY == TEST_EVERY - 1
}

/// The `M` rows of one split of the table in flash, as row numbers in RAM (2 bytes each).
pub struct Split<const M: usize> {
    rows: [u16; M],
}

impl<const M: usize> Split<M> {
    /// The test rows (`test`) or the training rows, in table order.
    pub fn new(test: bool) -> Self {
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
pub struct XorShift(pub u32);

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
