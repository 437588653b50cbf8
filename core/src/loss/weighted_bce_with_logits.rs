//! Binary cross-entropy on logits with a weight on the positives, PyTorch's
//! `nn.BCEWithLogitsLoss(pos_weight=...)`.

use super::{Loss, check_probabilities, check_rows};
use crate::error::Error;
use crate::math::logistic;

/// With `w_c` the weight of output `c`'s positives:
/// `l = -[w_c t ln σ(z) + (1 - t) ln(1 - σ(z))]`, computed as the stable
/// `(1 - t) z + (1 + (w_c - 1) t) (ln(1 + e^-|z|) + max(-z, 0))`, averaged over all `B·N`
/// elements; `dL/dz = ((1 + (w_c - 1) t) σ(z) - w_c t) / (B·N)`. A weight above 1 raises
/// recall on a rare positive class (PyTorch suggests `negatives / positives`). Targets
/// are probabilities in `[0, 1]`. All weights 1 is [`BceWithLogitsLoss`](super::BceWithLogitsLoss).
#[derive(Clone, Copy, Debug)]
pub struct WeightedBceWithLogitsLoss<const N: usize> {
    /// The weight of each output's positive term (PyTorch's `pos_weight`).
    pub pos_weight: [f32; N],
}

impl<const N: usize> WeightedBceWithLogitsLoss<N> {
    /// The loss and gradient of one element of output `c`.
    fn term(&self, z: f32, t: f32, c: usize) -> (f32, f32) {
        let w = self.pos_weight[c];
        let k = 1.0 + (w - 1.0) * t;
        let loss = (1.0 - t) * z + k * (libm::log1pf(libm::expf(-z.abs())) + (-z).max(0.0));
        (loss, k * logistic(z) - w * t)
    }

    fn run(&self, output: &[[f32; N]], target: &[[f32; N]], mut grad: Option<&mut [[f32; N]]>) -> Result<f32, Error> {
        check_rows(output, target)?;
        check_probabilities(target)?;
        let scale = 1.0 / (output.len() * N) as f32;
        let mut total = 0.0f64;
        for (r, (z_row, t_row)) in output.iter().zip(target).enumerate() {
            for (c, (&z, &t)) in z_row.iter().zip(t_row).enumerate() {
                let (l, d) = self.term(z, t, c);
                total += f64::from(l);
                if let Some(g) = grad.as_deref_mut() {
                    g[r][c] = d * scale;
                }
            }
        }
        Ok(total as f32 * scale)
    }
}

impl<const N: usize> Loss<[f32; N]> for WeightedBceWithLogitsLoss<N> {
    type Target = [f32; N];

    fn loss_and_grad(&self, output: &[[f32; N]], target: &[[f32; N]], grad: &mut [[f32; N]]) -> Result<f32, Error> {
        self.run(output, target, Some(grad))
    }

    fn loss(&self, output: &[[f32; N]], target: &[[f32; N]]) -> Result<f32, Error> {
        self.run(output, target, None)
    }

    fn check_targets(&self, target: &[[f32; N]]) -> Result<(), Error> {
        check_probabilities(target)
    }
}
