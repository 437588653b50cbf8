//! An ensemble's forward pass: every member in one inference workspace, combined into
//! the caller's buffers.

use super::{Ensemble, disagreement};
use crate::error::Error;
use crate::flat::flatten_mut;
use crate::inference::InferenceWorkspace;
use crate::layer::Forward;
use crate::workspace::check_rows;

/// The combined output of one sample: the mean `μ` of the members' mapped outputs and
/// their population standard deviation `σ`, per output (see [`Voting`](super::Voting)).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prediction<const OUT: usize> {
    /// `μ`: probabilities (soft), vote shares (hard) or the mean output (regression).
    pub mean: [f32; OUT],
    /// `σ`: how much the members disagree on each output.
    pub std: [f32; OUT],
}

impl<const OUT: usize> Prediction<OUT> {
    /// The predicted class, `argmax μ` (the lowest index on a tie).
    pub fn class(&self) -> usize {
        crate::argmax(&self.mean)
    }

    /// [`disagreement`] of `μ`: under hard voting the fraction of members that voted for
    /// another class.
    pub fn disagreement(&self) -> f32 {
        disagreement(&self.mean)
    }
}

impl<N, const K: usize, const OUT: usize> Ensemble<N, K>
where
    N: Forward<Output = [f32; OUT]>,
{
    /// Runs every member on `inputs` (1 to `B` rows) in evaluation mode, one after the
    /// other in `ws`, and writes for every row the mean `μ` of the members' outputs mapped
    /// by [`Ensemble::voting`] into `mean` and their population standard deviation `σ`
    /// into `std` (Welford's method, accumulated in those buffers: nothing is allocated).
    /// `mean` and `std` need at least one row per input row. With identical members
    /// `μ` is bitwise the member's mapped output and `σ` is 0.
    pub fn forward<const B: usize>(
        &self,
        ws: &mut InferenceWorkspace<N, B>,
        inputs: &[N::Input],
        mean: &mut [[f32; OUT]],
        std: &mut [[f32; OUT]],
    ) -> Result<(), Error> {
        let rows = check_rows::<B>(inputs.len())?;
        let (Some(mean), Some(std)) = (mean.get_mut(..rows), std.get_mut(..rows)) else {
            return Err(Error::OutputCount { rows, given: mean.len().min(std.len()) });
        };
        let (mu, m2) = (flatten_mut(mean), flatten_mut(std));
        mu.fill(0.0);
        m2.fill(0.0);
        for (k, member) in self.members.iter().enumerate() {
            ws.forward(member, inputs)?;
            for (row, (mu, m2)) in ws.outputs().iter().zip(mu.chunks_exact_mut(OUT).zip(m2.chunks_exact_mut(OUT))) {
                let mut y = *row;
                self.voting.map(&mut y);
                welford(k + 1, mu, m2, &y);
            }
        }
        finish::<K>(m2);
        Ok(())
    }

    /// [`Ensemble::forward`] on one sample.
    pub fn predict<const B: usize>(&self, ws: &mut InferenceWorkspace<N, B>, input: &N::Input) -> Prediction<OUT> {
        let mut p = Prediction { mean: [0.0; OUT], std: [0.0; OUT] };
        for (k, member) in self.members.iter().enumerate() {
            let mut y = *ws.predict(member, input);
            self.voting.map(&mut y);
            welford(k + 1, &mut p.mean, &mut p.std, &y);
        }
        finish::<K>(&mut p.std);
        p
    }
}

/// Adds the `k`-th value `y` (from 1) to the running means `mu` and sums of squared
/// deviations `m2`: `μ += (y - μ) / k`, `M2 += (y - μ_old)(y - μ_new)`.
fn welford(k: usize, mu: &mut [f32], m2: &mut [f32], y: &[f32]) {
    for ((mu, m2), &y) in mu.iter_mut().zip(m2.iter_mut()).zip(y) {
        let delta = y - *mu;
        *mu += delta / k as f32;
        *m2 += delta * (y - *mu);
    }
}

/// `σ = √(M2 / K)`, in place.
fn finish<const K: usize>(m2: &mut [f32]) {
    m2.iter_mut().for_each(|v| *v = crate::math::sqrt(*v / K as f32));
}

