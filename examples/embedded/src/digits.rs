//! The UCI 8x8 handwritten digits in flash, and their fixed splits as batch sources (the
//! digit firmwares train on them).
//!
//! The data (`data/digits.csv`, 1,797 images) is turned into [`DIGITS`] and [`LABELS`] by
//! `build.rs`. Every fifth row (rows 4, 9, 14, ...) is a test row, 359 in all; the other
//! 1,438 train ([`is_train`]). Of those, rows 3, 13, 23, ... (180) can be held out for
//! validation ([`is_validation`]), leaving 1,258 ([`is_fit_train`]). Each split is a
//! [`BatchSource`] over the table: an order of row numbers in RAM, grey levels 0..=16
//! scaled to [0, 1] as `v / 16` as a batch is filled.

use staticnet::flat::reshape;
use staticnet::prelude::*;
use staticnet::train::BatchBuffers;
use staticnet::{Flat, FusedLayer, RngCore};

include!(concat!(env!("OUT_DIR"), "/digits.rs"));

/// Rows in the table.
const ROWS: usize = LABELS.len();
/// Rows of the test split: every fifth of 1,797.
pub const TEST: usize = ROWS / 5;
/// Rows of the training split (validation rows included).
pub const TRAIN: usize = ROWS - TEST;
/// Rows of the validation split: rows 3, 13, ..., 1793.
pub const VALIDATION: usize = (ROWS + 6) / 10;
/// Rows of the training split without the validation rows.
pub const FIT_TRAIN: usize = TRAIN - VALIDATION;

/// Whether row `row` is a test row: every fifth.
pub const fn is_test(row: usize) -> bool {
    row % 5 == 4
}

/// Whether row `row` is a training row: not a test row.
pub const fn is_train(row: usize) -> bool {
    !is_test(row)
}

/// Whether row `row` is held out for validation: every tenth, from row 3.
pub const fn is_validation(row: usize) -> bool {
    row % 10 == 3
}

/// Whether row `row` trains when validation rows are held out.
pub const fn is_fit_train(row: usize) -> bool {
    is_train(row) && !is_validation(row)
}

/// The `M` rows of one split of the table in flash, as row numbers in RAM (2 bytes each).
pub struct Split<const M: usize> {
    rows: [u16; M],
}

impl<const M: usize> Split<M> {
    /// The rows that `belongs` selects, in table order: [`is_test`], [`is_train`],
    /// [`is_validation`] or [`is_fit_train`], with `M` the matching count.
    pub fn new(belongs: fn(usize) -> bool) -> Self {
        let mut rows = [0u16; M];
        let mut selected = (0..ROWS).filter(|&r| belongs(r));
        let mut n = 0;
        for (slot, row) in rows.iter_mut().zip(&mut selected) {
            *slot = row as u16;
            n += 1;
        }
        // A programming error (a count that does not match its selector), not bad data.
        assert!(n == M && selected.next().is_none(), "the selector does not pick {M} rows");
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

/// The share of `split`'s rows that `model` classifies right, evaluated in batches of up
/// to `B` in `ws`, filled into `buffers` (each row of 64 grey levels seen as the network's
/// input, `[f32; 64]` or 8 rows of 8).
pub fn accuracy<N, const B: usize, const M: usize>(
    ws: &mut FusedWorkspace<N, B>,
    model: &Model<N>,
    split: &Split<M>,
    buffers: &mut BatchBuffers<64, usize, B>,
) -> Result<f32, Error>
where
    N: FusedLayer<Output = [f32; 10]>,
    N::Input: Flat,
{
    let BatchBuffers { inputs, targets } = buffers;
    let (mut correct, mut start) = (0, 0);
    loop {
        let n = split.fill(start, inputs, targets);
        if n == 0 {
            return Ok(correct as f32 / M as f32);
        }
        let logits = ws.forward(model, reshape(&inputs[..n]), Mode::Eval)?;
        correct += logits.iter().zip(&targets[..n]).filter(|&(l, &label)| argmax(l) == label).count();
        start += n;
    }
}
