//! Classification metrics: the fraction of samples classified right.

use super::Metric;
use crate::class_target::ClassTarget;

/// Fraction of samples whose largest output is their class: Keras's `accuracy` (which it
/// resolves to `sparse_categorical_accuracy` for class indices and
/// `categorical_accuracy` for one-hot or probability targets; here both are one metric,
/// the class of a vector target being its largest entry).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Accuracy {
    correct: usize,
    seen: usize,
}

impl Accuracy {
    /// No samples seen.
    pub const fn new() -> Self {
        Accuracy { correct: 0, seen: 0 }
    }
}

impl<const OUT: usize, T: ClassTarget> Metric<[f32; OUT], T> for Accuracy {
    fn name(&self) -> &'static str {
        "accuracy"
    }

    fn reset(&mut self) {
        *self = Accuracy::new();
    }

    fn update(&mut self, outputs: &[[f32; OUT]], targets: &[T]) {
        for (output, target) in outputs.iter().zip(targets) {
            self.correct += usize::from(crate::argmax(output) == target.class());
            self.seen += 1;
        }
    }

    fn result(&self) -> f64 {
        ratio(self.correct, self.seen)
    }
}

/// Fraction of samples whose class is among the `k` largest outputs: Keras's
/// `top_k_categorical_accuracy` (`k = 5` by default there; here `k` is always given).
/// An output tied with the `k`-th largest counts as within the top `k`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TopKAccuracy {
    k: usize,
    correct: usize,
    seen: usize,
}

impl TopKAccuracy {
    /// The top `k` outputs count.
    pub const fn new(k: usize) -> Self {
        TopKAccuracy { k, correct: 0, seen: 0 }
    }
}

impl<const OUT: usize, T: ClassTarget> Metric<[f32; OUT], T> for TopKAccuracy {
    fn name(&self) -> &'static str {
        "top_k_accuracy"
    }

    fn reset(&mut self) {
        *self = TopKAccuracy::new(self.k);
    }

    fn update(&mut self, outputs: &[[f32; OUT]], targets: &[T]) {
        for (output, target) in outputs.iter().zip(targets) {
            // The class is in the top k when fewer than k outputs are strictly larger.
            let hit =
                output.get(target.class()).is_some_and(|&own| output.iter().filter(|&&o| o > own).count() < self.k);
            self.correct += usize::from(hit);
            self.seen += 1;
        }
    }

    fn result(&self) -> f64 {
        ratio(self.correct, self.seen)
    }
}

/// Fraction of outputs on the right side of `threshold`, over every output of every sample
/// (multi-label targets of 0 and 1): Keras's `binary_accuracy`, threshold 0.5 by default,
/// for sigmoid outputs. For logits (a `BceWithLogitsLoss` network), use threshold 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BinaryAccuracy {
    threshold: f32,
    correct: usize,
    seen: usize,
}

impl Default for BinaryAccuracy {
    fn default() -> Self {
        BinaryAccuracy::new(0.5)
    }
}

impl BinaryAccuracy {
    /// Outputs above `threshold` predict 1.
    pub const fn new(threshold: f32) -> Self {
        BinaryAccuracy { threshold, correct: 0, seen: 0 }
    }
}

impl<const OUT: usize> Metric<[f32; OUT], [f32; OUT]> for BinaryAccuracy {
    fn name(&self) -> &'static str {
        "binary_accuracy"
    }

    fn reset(&mut self) {
        *self = BinaryAccuracy::new(self.threshold);
    }

    fn update(&mut self, outputs: &[[f32; OUT]], targets: &[[f32; OUT]]) {
        for (output, target) in outputs.iter().zip(targets) {
            for (&o, &t) in output.iter().zip(target) {
                self.correct += usize::from((o > self.threshold) == (t > 0.5));
                self.seen += 1;
            }
        }
    }

    fn result(&self) -> f64 {
        ratio(self.correct, self.seen)
    }
}

/// `part / whole`, NaN for no samples.
fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 { f64::NAN } else { part as f64 / whole as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracies_count_as_keras_does() {
        let outputs = [[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.4, 0.4, 0.2]];
        let mut acc = Accuracy::new();
        assert!(Metric::<[f32; 3], usize>::result(&acc).is_nan());
        acc.update(&outputs, &[1usize, 1, 2, 1]);
        // Argmax takes the first of tied outputs, so the last sample is class 0: 2 of 4.
        assert_eq!(Metric::<[f32; 3], usize>::result(&acc), 0.5);
        let mut top2 = TopKAccuracy::new(2);
        top2.update(&outputs, &[0usize, 1, 0, 1]);
        // Sample 0: class 0 is the smallest (miss); 1: second (hit); 2: smallest (miss);
        // 3: tied first (hit).
        assert_eq!(Metric::<[f32; 3], usize>::result(&top2), 0.5);
        let one_hot = [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]];
        let mut acc = Accuracy::new();
        acc.update(&outputs, &one_hot);
        assert_eq!(Metric::<[f32; 3], [f32; 3]>::result(&acc), 0.75);
        Metric::<[f32; 3], [f32; 3]>::reset(&mut acc);
        assert!(Metric::<[f32; 3], [f32; 3]>::result(&acc).is_nan());
    }

    #[test]
    fn binary_accuracy_thresholds_every_output() {
        let mut acc = BinaryAccuracy::default();
        acc.update(&[[0.9, 0.4], [0.6, 0.5]], &[[1.0, 0.0], [0.0, 1.0]]);
        // 0.9 -> 1 right, 0.4 -> 0 right, 0.6 -> 1 wrong, 0.5 -> 0 (not above) wrong.
        assert_eq!(Metric::<[f32; 2], [f32; 2]>::result(&acc), 0.5);
        let mut logits = BinaryAccuracy::new(0.0);
        logits.update(&[[2.0, -1.0]], &[[1.0, 1.0]]);
        assert_eq!(Metric::<[f32; 2], [f32; 2]>::result(&logits), 0.5);
    }
}
