//! Sources of training batches that need no `std`: a [`Dataset`](crate::data::Dataset) in
//! memory, or a firmware's table in flash.

use rand::RngCore;

/// Samples of `N` values with targets, handed out in order, batch by batch, into buffers
/// the caller allocated once (on the stack, in `static` memory or on the heap).
///
/// Implement it over whatever holds the data: a firmware implements it over a byte table
/// in flash, scaling each value as it copies it (see `examples/embedded/src/bin/digits.rs`).
///
/// ```
/// use staticnet_core::batches::BatchSource;
/// use rand::RngCore;
///
/// /// Grey levels 0..=16 in flash, scaled to [0, 1] as they are copied.
/// struct Table { rows: &'static [[u8; 2]], labels: &'static [u8], order: [u16; 3] }
///
/// impl BatchSource<2> for Table {
///     type Target = usize;
///     fn len(&self) -> usize { self.order.len() }
///     fn fill(&self, start: usize, inputs: &mut [[f32; 2]], targets: &mut [usize]) -> usize {
///         let rows = self.order.iter().skip(start).zip(inputs.iter_mut().zip(targets));
///         let mut n = 0;
///         for (&row, (input, target)) in rows {
///             *input = self.rows[usize::from(row)].map(|v| f32::from(v) / 16.0);
///             *target = usize::from(self.labels[usize::from(row)]);
///             n += 1;
///         }
///         n
///     }
///     fn shuffle(&mut self, rng: &mut dyn RngCore) {
///         for i in (1..self.order.len()).rev() {
///             self.order.swap(i, rng.next_u32() as usize % (i + 1));
///         }
///     }
/// }
///
/// let table = Table { rows: &[[0, 16], [8, 8], [16, 0]], labels: &[1, 0, 0], order: [0, 1, 2] };
/// let (mut inputs, mut targets) = ([[0.0; 2]; 2], [0; 2]);
/// assert_eq!(table.fill(0, &mut inputs, &mut targets), 2);
/// assert_eq!((inputs[1], targets[1]), ([0.5, 0.5], 0));
/// assert_eq!(table.fill(2, &mut inputs, &mut targets), 1);
/// assert_eq!(table.fill(3, &mut inputs, &mut targets), 0);
/// ```
pub trait BatchSource<const N: usize> {
    /// One sample's target: a class index, a probability vector, 0/1 labels or values.
    type Target;

    /// Samples per epoch.
    fn len(&self) -> usize;

    /// Whether there are no samples.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Copies samples `start, start + 1, ...` of the current order into `inputs` and
    /// `targets`, as many as both hold and the source has; returns how many (0 at or past
    /// the end). Allocates nothing.
    fn fill(&self, start: usize, inputs: &mut [[f32; N]], targets: &mut [Self::Target]) -> usize;

    /// Puts the samples in a new order drawn from `rng` (the next epoch's).
    fn shuffle(&mut self, rng: &mut dyn RngCore);
}
