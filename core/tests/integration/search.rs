//! Hyperparameter search with scripted objectives (no training): grids enumerate exactly
//! the grid, successive halving and Hyperband keep the right trials per rung, log-uniform
//! draws stay in their bounds and spread evenly over the decades, cross-validation
//! averages the folds, and mistakes are errors that name them.

use std::collections::BTreeSet;
use std::sync::Mutex;

use proptest::prelude::*;
use staticnet_core::data::KFold;
use staticnet_core::search::{
    GridSearch, Pruner, RandomSearch, Sampler, SearchError, SearchSpace, TrialStatus, Tuner, Value,
};
use staticnet_core::train::callbacks::{History, MonitorMode};

type Result<T> = std::result::Result<T, SearchError>;

#[test]
fn grid_search_enumerates_exactly_the_cartesian_product() {
    let space = SearchSpace::new().log_float("lr", 1e-3, 1e-1).choice("arch", ["narrow", "wide"]).int("layers", 1, 2);
    let grid = GridSearch::new(space).points(3);
    assert_eq!(grid.configurations(), Some(12));
    let seen = Mutex::new(Vec::new());
    let results = Tuner::new(grid, Pruner::None { epochs: 1 })
        .threads(2)
        .verbose(0)
        .run(|trial| {
            let p = trial.params();
            seen.lock().unwrap().push((p.get_f64("lr")?.to_bits(), p.get_str("arch")?, p.get_i64("layers")?));
            trial.report(trial.index() as f64);
            Ok::<_, SearchError>(History::new())
        })
        .unwrap();
    let mut expected = BTreeSet::new();
    for decade in [-3, -2, -1] {
        for arch in ["narrow", "wide"] {
            for layers in [1, 2] {
                expected.insert((decade, arch, layers));
            }
        }
    }
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.len(), 12, "each combination once");
    // The learning rates are 1e-3, 1e-2, 1e-1 up to rounding.
    let lrs: Vec<f64> = seen.iter().map(|s| f64::from_bits(s.0)).collect();
    assert!(lrs.iter().all(|lr| (lr.log10() - lr.log10().round()).abs() < 1e-9), "{lrs:?}");
    let got: BTreeSet<_> = seen.iter().map(|&(lr, a, l)| (f64::from_bits(lr).log10().round() as i64, a, l)).collect();
    assert_eq!(got, expected);
    // The first dimension varies slowest, the last fastest.
    let order: Vec<_> = results.trials.iter().map(|t| t.params.get_i64("layers").unwrap()).collect();
    assert_eq!(order, [1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2]);
    assert_eq!(results.trials[2].params.get("arch").unwrap(), Value::Str("wide"));
    // Minimising the trial index: trial 0 is the best.
    assert_eq!(results.best().index, 0);
}

/// A scripted objective: trial `i` reports `i / 2` (pairs tie) after every epoch, less
/// a little per epoch; it records which budgets each trial ran with.
fn scripted(
    calls: &Mutex<Vec<(usize, usize)>>,
) -> impl Fn(&mut staticnet_core::search::Trial<'_>) -> Result<History> + Sync + '_ {
    move |trial| {
        calls.lock().unwrap().push((trial.index(), trial.epochs()));
        for epoch in 0..trial.epochs() {
            if trial.report((trial.index() / 2) as f64 - 0.001 * epoch as f64) {
                break;
            }
        }
        Ok(History::new())
    }
}

#[test]
fn successive_halving_keeps_the_best_third_per_rung_ties_to_the_lower_index() {
    let calls = Mutex::new(Vec::new());
    let space = SearchSpace::new().float("x", 0.0, 1.0);
    let pruner = Pruner::SuccessiveHalving { min_epochs: 1, max_epochs: 9, factor: 3 };
    let results = Tuner::new(RandomSearch::new(space, 3).max_trials(27), pruner)
        .objective("val_loss", MonitorMode::Min)
        .threads(2)
        .verbose(0)
        .run(scripted(&calls))
        .unwrap();
    let calls = calls.into_inner().unwrap();
    let at = |e: usize| calls.iter().filter(|c| c.1 == e).map(|c| c.0).collect::<BTreeSet<_>>();
    assert_eq!(at(1), (0..27).collect());
    // Scores 0, 0, 1, 1, ..., 4, 4: the best 9 are trials 0 to 8 (8 beats 9 on the tie).
    assert_eq!(at(3), (0..9).collect());
    assert_eq!(at(9), (0..3).collect());
    assert_eq!(calls.len(), 27 + 9 + 3);
    let status = |i: usize| results.trials[i].status;
    assert_eq!(
        (status(0), status(2), status(3), status(8), status(9)),
        (
            TrialStatus::Complete,
            TrialStatus::Complete,
            TrialStatus::Pruned { epochs: 3 },
            TrialStatus::Pruned { epochs: 3 },
            TrialStatus::Pruned { epochs: 1 }
        )
    );
    assert_eq!(results.trials[1].values.len(), 9);
    assert_eq!(results.trials[20].values.len(), 1);
    // The best value over the epochs: the last one here, 0 - 0.008.
    assert_eq!((results.best().index, results.best().score), (0, -0.008));
    // Maximising instead keeps the other end.
    let calls = Mutex::new(Vec::new());
    let space = SearchSpace::new().float("x", 0.0, 1.0);
    let results = Tuner::new(RandomSearch::new(space, 3).max_trials(27), pruner)
        .objective("val_accuracy", MonitorMode::Auto)
        .threads(1)
        .verbose(0)
        .run(scripted(&calls))
        .unwrap();
    assert_eq!(results.best().index, 26);
}

#[test]
fn hyperband_runs_each_bracket_s_rungs() {
    let calls = Mutex::new(Vec::new());
    let tuner = Tuner::new(RandomSearch::new(SearchSpace::new().float("x", 0.0, 1.0), 0), Pruner::hyperband(9, 3))
        .threads(2)
        .verbose(0);
    let brackets = tuner.brackets().unwrap();
    let results = tuner.run(scripted(&calls)).unwrap();
    let calls = calls.into_inner().unwrap();
    // Brackets: 9 trials at 1, 3, 9 epochs (9, 3, 1); 5 at 3, 9 (5, 1); 3 at 9.
    let runs: usize = brackets.iter().flat_map(|b| b.rungs.iter().map(|r| r.trials)).sum();
    assert_eq!((results.trials.len(), calls.len(), runs), (17, 9 + 3 + 1 + 5 + 1 + 3, 22));
    let mut per_bracket: Vec<Vec<(usize, usize)>> = vec![Vec::new(); 3];
    for t in &results.trials {
        per_bracket[t.bracket].push((t.index, t.epochs));
    }
    assert_eq!(per_bracket[0].iter().filter(|t| t.1 == 9).map(|t| t.0).collect::<Vec<_>>(), [0]);
    assert_eq!(per_bracket[1].iter().filter(|t| t.1 == 9).map(|t| t.0).collect::<Vec<_>>(), [9]);
    assert_eq!(per_bracket[2].iter().map(|t| t.1).collect::<Vec<_>>(), [9, 9, 9]);
}

#[test]
fn cross_validation_averages_the_folds_per_epoch() {
    let folds: Vec<_> = KFold::new(9, 3, None, 0).unwrap().collect();
    let results = Tuner::new(GridSearch::new(SearchSpace::new().choice("c", [1.0, 2.0])), Pruner::None { epochs: 2 })
        .folds(folds)
        .verbose(0)
        .run(|trial| {
            let (k, split) = trial.fold().expect("a fold");
            assert_eq!(split.test.len(), 3);
            let c = trial.params().get_f64("c")?;
            trial.report(c * k as f64);
            trial.report(c * k as f64 + 1.0);
            Ok::<_, SearchError>(History::new())
        })
        .unwrap();
    // Folds 0, 1, 2: the mean of c·k is c.
    assert_eq!(results.trials[1].values, [2.0, 3.0]);
    assert_eq!(results.trials[1].histories.len(), 3);
}

#[test]
fn mistakes_are_errors_that_name_them() {
    let run = |space: SearchSpace| {
        Tuner::new(RandomSearch::new(space, 0).max_trials(2), Pruner::None { epochs: 1 }).verbose(0).run(|trial| {
            trial.params().get_f32("lr")?;
            trial.report(0.0);
            Ok::<_, SearchError>(History::new())
        })
    };
    assert_eq!(run(SearchSpace::new()).unwrap_err().to_string(), "the search space has no dimensions");
    let e = run(SearchSpace::new().log_float("lr", -1.0, 1.0)).unwrap_err().to_string();
    assert_eq!(e, "dimension `lr`: bounds [-1, 1]: a log scale needs low > 0");
    let e = run(SearchSpace::new().float("rate", 0.0, 1.0)).unwrap_err().to_string();
    assert_eq!(e, "trial 0: no parameter `lr` in the search space (it has `rate`)");
    let e = run(SearchSpace::new().choice("lr", ["fast"])).unwrap_err().to_string();
    assert_eq!(e, "trial 0: parameter `lr` is the string \"fast\", not a float");
    let silent = Tuner::new(GridSearch::new(SearchSpace::new().int("n", 1, 2)), Pruner::None { epochs: 1 })
        .verbose(0)
        .run(|_| Ok::<_, SearchError>(History::new()));
    assert!(matches!(silent, Err(SearchError::NoReports { trial: 0, objective: "val_loss" })));
    let unbounded = Tuner::new(RandomSearch::new(SearchSpace::new().int("n", 1, 2), 0), Pruner::None { epochs: 1 })
        .run(|_| Ok::<_, SearchError>(History::new()));
    assert_eq!(unbounded.unwrap_err().to_string(), "max_trials: set the number of trials (only Hyperband decides it)");
}

#[test]
fn log_uniform_draws_spread_evenly_over_the_decades() {
    let sampler = RandomSearch::new(SearchSpace::new().log_float("lr", 1e-4, 1.0).log_int("width", 1, 1000), 5);
    let mut decades = [0usize; 4];
    let mut width_decades = [0usize; 3];
    const N: usize = 4000;
    for i in 0..N {
        let p = sampler.params(i);
        let lr = p.get_f64("lr").unwrap();
        decades[((-lr.log10()).floor() as usize).min(3)] += 1;
        let w = p.get_usize("width").unwrap();
        width_decades[(w as f64).log10().floor().min(2.0) as usize] += 1;
    }
    // 1,000 expected per decade; a binomial standard deviation is about 27.
    assert!(decades.iter().all(|&n| (850..1150).contains(&n)), "{decades:?}");
    // Integers 1-9, 10-99, 100-1000: each about a third (rounding skews the first a little).
    assert!(width_decades.iter().all(|&n| (1150..1550).contains(&n)), "{width_decades:?}");
}

proptest! {
    #[test]
    fn log_uniform_and_integer_draws_stay_in_their_bounds(
        low in 1e-8f64..10.0,
        ratio in 1.0f64..1e8,
        ilow in 1i64..50,
        span in 0i64..1000,
        seed in any::<u64>(),
        trial in 0usize..1000,
    ) {
        let high = low * ratio;
        let space = SearchSpace::new()
            .log_float("a", low, high)
            .float("b", -low, high)
            .log_int("c", ilow, ilow + span)
            .int("d", -ilow, ilow + span);
        let p = RandomSearch::new(space, seed).params(trial);
        let (a, b) = (p.get_f64("a").unwrap(), p.get_f64("b").unwrap());
        let (c, d) = (p.get_i64("c").unwrap(), p.get_i64("d").unwrap());
        prop_assert!((low..=high).contains(&a), "{a} outside [{low}, {high}]");
        prop_assert!((-low..=high).contains(&b));
        prop_assert!((ilow..=ilow + span).contains(&c) && (-ilow..=ilow + span).contains(&d));
    }
}

#[test]
fn a_panicking_trial_is_an_error_and_the_search_ends() {
    let results = Tuner::new(GridSearch::new(SearchSpace::new().int("n", 0, 5)).points(6), Pruner::None { epochs: 1 })
        .threads(2)
        .verbose(0)
        .run(|trial| {
            if trial.index() == 3 {
                panic!("trial three fails");
            }
            trial.report(0.0);
            Ok::<_, SearchError>(History::new())
        });
    assert_eq!(results.unwrap_err().to_string(), "trial 3: panicked: trial three fails");
}
