//! Which trials train how long: every trial to the end, successive halving, or Hyperband.

use std::format;
use std::vec::Vec;

use super::error::SearchError;

/// How a search spends its epochs. With pruning, trials train in rungs of growing
/// budgets; after each rung only the best `1 / factor` of a bracket's trials go on
/// (ranked by their best objective value so far, Keras Tuner's rule; ties go to the
/// lower trial index, so the choice is the same on any number of threads).
///
/// Staticnet differs from Keras Tuner and Li et al.'s description in one respect: a
/// trial that goes on to the next rung is trained again from its start, for the rung's
/// whole budget, instead of from a checkpoint of the previous rung. Trials are seeded by
/// their index, so the rerun repeats the first epochs exactly and the decision is the
/// same; the cost is at most `factor / (factor - 1)` times that of resuming (1.5x for
/// 3), and in exchange a search holds only one model per thread and a trial is a plain
/// function of its parameters and budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pruner {
    /// No pruning: every trial trains `epochs` epochs.
    None {
        /// Epochs per trial.
        epochs: usize,
    },
    /// Successive halving (Jamieson and Talwalkar 2016; Optuna's
    /// `SuccessiveHalvingPruner`, run synchronously): all `n` trials train `min_epochs`;
    /// the best `floor(n / factor)` (at least 1) train `min_epochs · factor`, and so on;
    /// the last rung, or the first with a single trial, trains `max_epochs`.
    SuccessiveHalving {
        /// The first rung's budget.
        min_epochs: usize,
        /// The last rung's budget.
        max_epochs: usize,
        /// The budget grows and the trials shrink by this factor per rung (at least 2).
        factor: usize,
    },
    /// Hyperband (Li et al. 2018), with Keras Tuner's parameter names: successive halving
    /// in `s_max + 1` brackets that trade the number of trials against their first
    /// budget, `s_max = floor(log_factor(max_epochs))`. Bracket `s` (from `s_max` down to
    /// 0) starts `n_s = ceil((s_max + 1) · factor^s / (s + 1))` trials; its rung `i`
    /// (from 0 to `s`) trains `floor(n_s / factor^i)` of them for
    /// `ceil(max_epochs / factor^(s - i))` epochs. With `max_epochs = 27, factor = 3`:
    /// 27 trials at 1, 3, 9, 27 epochs (27, 9, 3, 1 of them); 12 at 3, 9, 27 (12, 4, 1);
    /// 6 at 9, 27 (6, 2); 4 at 27: 49 trials. `hyperband_iterations` repeats the
    /// brackets with new trials (Keras Tuner's name). The trials are the sampler's
    /// first ones, in bracket order.
    Hyperband {
        /// The longest budget.
        max_epochs: usize,
        /// Reduction factor (at least 2; Keras Tuner's default is 3).
        factor: usize,
        /// Times the brackets are run (Keras Tuner's default is 1).
        hyperband_iterations: usize,
    },
}

impl Pruner {
    /// Hyperband with one iteration.
    pub fn hyperband(max_epochs: usize, factor: usize) -> Self {
        Pruner::Hyperband { max_epochs, factor, hyperband_iterations: 1 }
    }

    /// The brackets for a sampler of `trials` configurations (`None`: unbounded), in the
    /// order their trials are numbered.
    pub fn brackets(&self, trials: Option<usize>) -> Result<Vec<Bracket>, SearchError> {
        let bad = |setting, why: &str| Err(SearchError::BadSetting { setting, why: why.into() });
        let need_trials = |trials: Option<usize>| match trials {
            Some(n) if n > 0 => Ok(n),
            _ => Err(SearchError::BadSetting {
                setting: "max_trials",
                why: "set the number of trials (only Hyperband decides it)".into(),
            }),
        };
        match *self {
            Pruner::None { epochs: 0 } => bad("epochs", "a trial needs at least 1 epoch"),
            Pruner::None { epochs } => {
                Ok(std::vec![Bracket { rungs: std::vec![Rung { trials: need_trials(trials)?, epochs }] }])
            }
            Pruner::SuccessiveHalving { factor, .. } | Pruner::Hyperband { factor, .. } if factor < 2 => {
                bad("factor", "the reduction factor must be at least 2")
            }
            Pruner::SuccessiveHalving { min_epochs, max_epochs, factor } => {
                if min_epochs == 0 || min_epochs > max_epochs {
                    return bad("min_epochs", "successive halving needs 1 <= min_epochs <= max_epochs");
                }
                let (mut n, mut epochs) = (need_trials(trials)?, min_epochs);
                let mut rungs = std::vec![Rung { trials: n, epochs }];
                while epochs < max_epochs {
                    n = (n / factor).max(1);
                    // One trial left: it goes straight to the full budget.
                    epochs = if n == 1 { max_epochs } else { epochs.saturating_mul(factor).min(max_epochs) };
                    rungs.push(Rung { trials: n, epochs });
                }
                Ok(std::vec![Bracket { rungs }])
            }
            Pruner::Hyperband { max_epochs, factor, hyperband_iterations } => {
                if max_epochs == 0 || hyperband_iterations == 0 {
                    return bad("max_epochs", "Hyperband needs max_epochs and hyperband_iterations of at least 1");
                }
                let mut s_max = 0;
                while factor.saturating_pow(s_max + 1) <= max_epochs {
                    s_max += 1;
                }
                let mut brackets = Vec::new();
                for _ in 0..hyperband_iterations {
                    for s in (0..=s_max).rev() {
                        let n = ((s_max + 1) as usize * factor.pow(s)).div_ceil(s as usize + 1);
                        let rungs = (0..=s)
                            .map(|i| Rung { trials: n / factor.pow(i), epochs: max_epochs.div_ceil(factor.pow(s - i)) })
                            .collect();
                        brackets.push(Bracket { rungs });
                    }
                }
                let needed: usize = brackets.iter().map(|b| b.rungs[0].trials).sum();
                match trials {
                    Some(have) if have < needed => Err(SearchError::BadSetting {
                        setting: "max_trials",
                        why: format!("Hyperband needs {needed} configurations, the sampler has {have}"),
                    }),
                    _ => Ok(brackets),
                }
            }
        }
    }
}

/// One run of successive halving: its rungs, the first holding all its trials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bracket {
    /// The rungs, in order.
    pub rungs: Vec<Rung>,
}

/// A rung: how many trials train, and for how many epochs (from the start).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rung {
    /// Trials that train in this rung.
    pub trials: usize,
    /// Their budget.
    pub epochs: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(b: &[Bracket]) -> Vec<Vec<(usize, usize)>> {
        b.iter().map(|b| b.rungs.iter().map(|r| (r.trials, r.epochs)).collect()).collect()
    }

    #[test]
    fn hyperband_brackets_are_li_et_al_s() {
        let b = Pruner::hyperband(27, 3).brackets(None).unwrap();
        assert_eq!(
            shape(&b),
            [
                std::vec![(27, 1), (9, 3), (3, 9), (1, 27)],
                std::vec![(12, 3), (4, 9), (1, 27)],
                std::vec![(6, 9), (2, 27)],
                std::vec![(4, 27)]
            ]
        );
        // Li et al.'s table 1: max_epochs 81, factor 3.
        let b = Pruner::hyperband(81, 3).brackets(None).unwrap();
        let firsts: Vec<_> = b.iter().map(|b| (b.rungs[0].trials, b.rungs[0].epochs)).collect();
        assert_eq!(firsts, [(81, 1), (34, 3), (15, 9), (8, 27), (5, 81)]);
        assert!(Pruner::hyperband(27, 3).brackets(Some(10)).is_err());
        assert!(Pruner::hyperband(27, 1).brackets(None).is_err());
        let twice = Pruner::Hyperband { max_epochs: 9, factor: 3, hyperband_iterations: 2 }.brackets(None).unwrap();
        assert_eq!(twice.len(), 6);
    }

    #[test]
    fn successive_halving_rungs() {
        let p = Pruner::SuccessiveHalving { min_epochs: 2, max_epochs: 20, factor: 3 };
        assert_eq!(shape(&p.brackets(Some(10)).unwrap()), [std::vec![(10, 2), (3, 6), (1, 20)]]);
        assert!(p.brackets(None).is_err());
        assert!(Pruner::None { epochs: 0 }.brackets(Some(3)).is_err());
    }
}
