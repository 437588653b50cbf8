//! Regression metrics, over every output of every sample, accumulated in `f64`.

use super::Metric;

/// `Σ (ŷ - y)² / n` over the `n` outputs of the samples seen: Keras's `mean_squared_error`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MeanSquaredError {
    sum: f64,
    seen: usize,
}

impl MeanSquaredError {
    /// No samples seen.
    pub const fn new() -> Self {
        MeanSquaredError { sum: 0.0, seen: 0 }
    }
}

impl<const OUT: usize> Metric<[f32; OUT], [f32; OUT]> for MeanSquaredError {
    fn name(&self) -> &'static str {
        "mse"
    }

    fn reset(&mut self) {
        *self = MeanSquaredError::new();
    }

    fn update(&mut self, outputs: &[[f32; OUT]], targets: &[[f32; OUT]]) {
        for (o, t) in outputs.as_flattened().iter().zip(targets.as_flattened()) {
            let d = f64::from(*o) - f64::from(*t);
            self.sum += d * d;
            self.seen += 1;
        }
    }

    fn result(&self) -> f64 {
        self.sum / self.seen as f64
    }
}

/// `Σ |ŷ - y| / n` over the `n` outputs of the samples seen: Keras's `mean_absolute_error`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MeanAbsoluteError {
    sum: f64,
    seen: usize,
}

impl MeanAbsoluteError {
    /// No samples seen.
    pub const fn new() -> Self {
        MeanAbsoluteError { sum: 0.0, seen: 0 }
    }
}

impl<const OUT: usize> Metric<[f32; OUT], [f32; OUT]> for MeanAbsoluteError {
    fn name(&self) -> &'static str {
        "mae"
    }

    fn reset(&mut self) {
        *self = MeanAbsoluteError::new();
    }

    fn update(&mut self, outputs: &[[f32; OUT]], targets: &[[f32; OUT]]) {
        for (o, t) in outputs.as_flattened().iter().zip(targets.as_flattened()) {
            self.sum += (f64::from(*o) - f64::from(*t)).abs();
            self.seen += 1;
        }
    }

    fn result(&self) -> f64 {
        self.sum / self.seen as f64
    }
}

/// The coefficient of determination of each output, `R² = 1 - Σ (y - ŷ)² / Σ (y - ȳ)²`,
/// averaged over the `OUT` outputs: Keras's `R2Score` with its defaults
/// (`class_aggregation="uniform_average"`, `num_regressors=0`) and scikit-learn's
/// `r2_score`. A constant target column scores as scikit-learn scores it: 1 if it is
/// predicted exactly, else 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct R2Score<const OUT: usize> {
    sum: [f64; OUT],
    sum_squares: [f64; OUT],
    residual: [f64; OUT],
    seen: usize,
}

impl<const OUT: usize> Default for R2Score<OUT> {
    fn default() -> Self {
        R2Score::new()
    }
}

impl<const OUT: usize> R2Score<OUT> {
    /// No samples seen.
    pub const fn new() -> Self {
        R2Score { sum: [0.0; OUT], sum_squares: [0.0; OUT], residual: [0.0; OUT], seen: 0 }
    }
}

impl<const OUT: usize> Metric<[f32; OUT], [f32; OUT]> for R2Score<OUT> {
    fn name(&self) -> &'static str {
        "r2"
    }

    fn reset(&mut self) {
        *self = R2Score::new();
    }

    fn update(&mut self, outputs: &[[f32; OUT]], targets: &[[f32; OUT]]) {
        for (output, target) in outputs.iter().zip(targets) {
            for j in 0..OUT {
                let (y, y_hat) = (f64::from(target[j]), f64::from(output[j]));
                self.sum[j] += y;
                self.sum_squares[j] += y * y;
                self.residual[j] += (y - y_hat) * (y - y_hat);
            }
            self.seen += 1;
        }
    }

    fn result(&self) -> f64 {
        if self.seen == 0 || OUT == 0 {
            return f64::NAN;
        }
        let n = self.seen as f64;
        let mut total = 0.0;
        for j in 0..OUT {
            let spread = (self.sum_squares[j] - self.sum[j] * self.sum[j] / n).max(0.0);
            total += if spread > 0.0 {
                1.0 - self.residual[j] / spread
            } else if self.residual[j] == 0.0 {
                1.0
            } else {
                0.0
            };
        }
        total / OUT as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regression_metrics_match_their_definitions() {
        let outputs = [[1.0, 2.0], [2.0, 2.0], [4.0, 1.0]];
        let targets = [[1.5, 2.0], [2.0, 3.0], [3.0, 1.0]];
        let mut mse = MeanSquaredError::new();
        let mut mae = MeanAbsoluteError::new();
        let mut r2 = R2Score::new();
        // Fed in two batches: the same as one.
        for range in [0..1, 1..3] {
            mse.update(&outputs[range.clone()], &targets[range.clone()]);
            mae.update(&outputs[range.clone()], &targets[range.clone()]);
            r2.update(&outputs[range.clone()], &targets[range]);
        }
        assert!(
            (Metric::<[f32; 2], [f32; 2]>::result(&mse) - (0.25 + 0.0 + 0.0 + 1.0 + 1.0 + 0.0) / 6.0).abs() < 1e-12
        );
        assert!((Metric::<[f32; 2], [f32; 2]>::result(&mae) - (0.5 + 0.0 + 0.0 + 1.0 + 1.0 + 0.0) / 6.0).abs() < 1e-12);
        // Column 0: y = 1.5, 2, 3 (mean 13/6), residuals 0.25 + 0 + 1; column 1: y = 2, 3, 1
        // (mean 2), residuals 0 + 1 + 0. scikit-learn's r2_score gives the same.
        let ss0 = [1.5f64, 2.0, 3.0].iter().map(|y| (y - 13.0 / 6.0).powi(2)).sum::<f64>();
        let want = ((1.0 - 1.25 / ss0) + (1.0 - 1.0 / 2.0)) / 2.0;
        assert!((r2.result() - want).abs() < 1e-12, "{} vs {want}", r2.result());
        let mut constant = R2Score::<1>::new();
        constant.update(&[[2.0], [2.0]], &[[2.0], [2.0]]);
        assert_eq!(constant.result(), 1.0);
    }
}
