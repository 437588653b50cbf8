//! An ensemble's forward pass: every member in one inference workspace, combined into
//! the caller's buffers.

use super::{Ensemble, Voting, disagreement};
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
                self.add(k + 1, mu, m2, *row);
            }
        }
        for (mu, m2) in mu.chunks_exact_mut(OUT).zip(m2.chunks_exact_mut(OUT)) {
            self.finish(mu, m2);
        }
        Ok(())
    }

    /// [`Ensemble::forward`] on one sample.
    pub fn predict<const B: usize>(&self, ws: &mut InferenceWorkspace<N, B>, input: &N::Input) -> Prediction<OUT> {
        let mut p = Prediction { mean: [0.0; OUT], std: [0.0; OUT] };
        for (k, member) in self.members.iter().enumerate() {
            self.add(k + 1, &mut p.mean, &mut p.std, *ws.predict(member, input));
        }
        self.finish(&mut p.mean, &mut p.std);
        p
    }

    /// Adds member `k`'s output row `y` (`k` from 1). Hard voting counts the votes in
    /// `mu`, exactly, so that equal counts tie exactly whatever the members' order. The
    /// other rules run Welford's update of the mean `mu` and the sum of squared deviations
    /// `m2`, `μ += (m(y) - μ) / k`, `M2 += (m(y) - μ_old)(m(y) - μ_new)`, as
    /// [`Workspace::mc_dropout`](crate::Workspace::mc_dropout) does: identical members give
    /// their output bitwise.
    fn add(&self, k: usize, mu: &mut [f32], m2: &mut [f32], mut y: [f32; OUT]) {
        if self.voting == Voting::Hard {
            mu[crate::argmax(&y)] += 1.0;
            return;
        }
        self.voting.map(&mut y);
        for ((mu, m2), &y) in mu.iter_mut().zip(m2.iter_mut()).zip(&y) {
            let delta = y - *mu;
            *mu += delta / k as f32;
            *m2 += delta * (y - *mu);
        }
    }

    /// Turns the sums of [`Ensemble::add`] into `μ` and `σ = √(M2 / K)`; for hard voting
    /// the vote shares `s = votes / K` and `σ = √(s (1 - s))`, the population standard
    /// deviation of the members' one-hot votes.
    fn finish(&self, mu: &mut [f32], m2: &mut [f32]) {
        for (mu, m2) in mu.iter_mut().zip(m2.iter_mut()) {
            if self.voting == Voting::Hard {
                *mu /= K as f32;
                *m2 = *mu * (1.0 - *mu);
            } else {
                *m2 /= K as f32;
            }
            *m2 = crate::math::sqrt(*m2);
        }
    }
}
