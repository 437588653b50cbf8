//! Keras's `validation_split`: the last samples of a source become the validation data,
//! the first ones the training data, shuffled among themselves.

use std::vec::Vec;

use rand::{Rng, RngCore};

use crate::batches::BatchSource;

/// How many of `samples` train when `fraction` of them validate: Keras's
/// `floor(samples · (1 − fraction))`. `None` unless `fraction` is in (0, 1) and both
/// sides keep a sample.
pub(super) fn training_samples(fraction: f64, samples: usize) -> Option<usize> {
    if !(fraction > 0.0 && fraction < 1.0) {
        return None;
    }
    let train = (samples as f64 * (1.0 - fraction)).floor() as usize;
    (train > 0 && train < samples).then_some(train)
}

/// The first samples of `source` in an order of their own, which
/// [`BatchSource::shuffle`] permutes (the source itself is left in its order).
pub(super) struct Head<'s, S> {
    source: &'s S,
    order: Vec<usize>,
}

impl<'s, S> Head<'s, S> {
    /// Samples `0..len` of `source`, in that order.
    pub(super) fn new(source: &'s S, len: usize) -> Self {
        Head { source, order: (0..len).collect() }
    }
}

impl<const N: usize, S: BatchSource<N>> BatchSource<N> for Head<'_, S> {
    type Target = S::Target;

    fn len(&self) -> usize {
        self.order.len()
    }

    /// One sample at a time, from where the order puts it.
    fn fill(&self, start: usize, inputs: &mut [[f32; N]], targets: &mut [S::Target]) -> usize {
        let mut n = 0;
        for (&sample, (input, target)) in self.order.iter().skip(start).zip(inputs.iter_mut().zip(targets)) {
            if self.source.fill(sample, core::slice::from_mut(input), core::slice::from_mut(target)) == 0 {
                break;
            }
            n += 1;
        }
        n
    }

    /// Fisher–Yates over the order, as [`Dataset::shuffle_with`](crate::data::Dataset::shuffle_with).
    fn shuffle(&mut self, rng: &mut dyn RngCore) {
        for i in (1..self.order.len()).rev() {
            let j = rng.random_range(0..=i);
            self.order.swap(i, j);
        }
    }
}

/// Samples `start..` of `source`, in its order (validation data are not shuffled).
pub(super) struct Tail<'s, S> {
    pub(super) source: &'s S,
    pub(super) start: usize,
}

impl<const N: usize, S: BatchSource<N>> BatchSource<N> for Tail<'_, S> {
    type Target = S::Target;

    fn len(&self) -> usize {
        self.source.len().saturating_sub(self.start)
    }

    fn fill(&self, start: usize, inputs: &mut [[f32; N]], targets: &mut [S::Target]) -> usize {
        self.source.fill(self.start.saturating_add(start), inputs, targets)
    }

    fn shuffle(&mut self, _: &mut dyn RngCore) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Dataset;
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    #[test]
    fn keras_split_sizes_and_refusals() {
        assert_eq!(training_samples(0.2, 10), Some(8));
        assert_eq!(training_samples(0.25, 10), Some(7), "floor(7.5)");
        assert_eq!(training_samples(0.5, 3), Some(1));
        for bad in [0.0, 1.0, -0.1, 1.5, f64::NAN] {
            assert_eq!(training_samples(bad, 10), None, "{bad}");
        }
        assert_eq!(training_samples(1e-17, 10), None, "no validation sample: 1 - 1e-17 is 1");
        assert_eq!(training_samples(0.99, 10), None, "no training sample");
    }

    #[test]
    fn head_shuffles_only_the_training_samples_and_tail_keeps_the_rest() {
        let data = Dataset::new((0..10).map(|i| [i as f32]).collect(), (0..10).collect::<Vec<usize>>()).unwrap();
        let mut head = Head::new(&data, 7);
        let tail = Tail { source: &data, start: 7 };
        head.shuffle(&mut SmallRng::seed_from_u64(3));
        let (mut inputs, mut targets) = ([[0.0f32; 1]; 16], [0usize; 16]);
        assert_eq!(head.fill(0, &mut inputs, &mut targets), 7);
        let mut seen = targets[..7].to_vec();
        assert_ne!(seen, (0..7).collect::<Vec<_>>(), "shuffled");
        assert!(inputs[..7].iter().zip(&targets[..7]).all(|(x, &t)| x[0] == t as f32), "pairs kept");
        seen.sort();
        assert_eq!(seen, (0..7).collect::<Vec<_>>());
        assert_eq!(head.fill(5, &mut inputs, &mut targets), 2);
        assert_eq!(tail.fill(0, &mut inputs, &mut targets), 3);
        assert_eq!(&targets[..3], &[7, 8, 9]);
        assert_eq!(tail.fill(2, &mut inputs[..1], &mut targets[..1]), 1);
        assert_eq!(targets[0], 9);
    }
}
