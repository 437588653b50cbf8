//! Kullback–Leibler divergence, PyTorch's `nn.KLDivLoss`.

use super::{Loss, check_probabilities, check_rows};
use crate::error::Error;

/// How [`KlDivLoss`] reduces the pointwise terms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum KlReduction {
    /// Sum over all terms divided by the batch size `B`: the KL divergence per sample
    /// (PyTorch's `reduction='batchmean'`).
    #[default]
    BatchMean,
    /// Sum divided by all `B·N` terms (PyTorch's `reduction='mean'`, which is
    /// `batchmean / N`, not the KL divergence).
    Mean,
}

/// `L = Σ_{b,c} l_bc / D` on log-probabilities `p = ln q` (the network's log-softmax) with
/// the pointwise
/// `l = t (ln t - p)` for probability targets (`0 · ln 0 = 0`), or
/// `l = e^t (t - p)` for log-probability targets (`log_target`); `D = B` for
/// [`KlReduction::BatchMean`], `B·N` for [`KlReduction::Mean`].
/// `dL/dp = -t / D` (`-e^t / D` with `log_target`).
///
/// The default reduction is `BatchMean`, the true divergence per sample; PyTorch's default
/// is still `'mean'` (with a warning that it will change).
#[derive(Clone, Copy, Debug, Default)]
pub struct KlDivLoss {
    /// Divisor of the summed terms.
    pub reduction: KlReduction,
    /// Whether targets are log-probabilities (PyTorch's `log_target`).
    pub log_target: bool,
}

impl KlDivLoss {
    fn divisor<const N: usize>(&self, rows: usize) -> f32 {
        match self.reduction {
            KlReduction::BatchMean => rows as f32,
            KlReduction::Mean => (rows * N) as f32,
        }
    }

    /// The target's probability and its log.
    fn prob_and_log(&self, t: f32) -> (f32, f32) {
        if self.log_target { (libm::expf(t), t) } else { (t, libm::logf(t)) }
    }
}

impl<const N: usize> Loss<[f32; N]> for KlDivLoss {
    type Target = [f32; N];

    fn loss_and_grad(&self, output: &[[f32; N]], target: &[[f32; N]], grad: &mut [[f32; N]]) -> Result<f32, Error> {
        let loss = self.loss(output, target)?;
        let d = self.divisor::<N>(output.len());
        for (t_row, g_row) in target.iter().zip(grad) {
            for (&t, g) in t_row.iter().zip(g_row) {
                *g = -self.prob_and_log(t).0 / d;
            }
        }
        Ok(loss)
    }

    fn loss(&self, output: &[[f32; N]], target: &[[f32; N]]) -> Result<f32, Error> {
        check_rows(output, target)?;
        <Self as Loss<[f32; N]>>::check_targets(self, target)?;
        let mut total = 0.0f64;
        for (p_row, t_row) in output.iter().zip(target) {
            for (&p, &t) in p_row.iter().zip(t_row) {
                let (q, log_q) = self.prob_and_log(t);
                // xlogy: a zero-probability target contributes 0, whatever p is.
                if q != 0.0 {
                    total += f64::from(q) * (f64::from(log_q) - f64::from(p));
                }
            }
        }
        Ok((total / f64::from(self.divisor::<N>(output.len()))) as f32)
    }

    fn check_targets(&self, target: &[[f32; N]]) -> Result<(), Error> {
        if self.log_target { crate::finite::check_targets(target) } else { check_probabilities(target) }
    }
}
