//! Agreement with PyTorch (and Keras' closed forms): every case of
//! `tests/reference/schedules.json`, all 60 learning rates of each.
//!
//! Tolerance: `|a - e| <= 1e-6 |e|`, purely relative. The rates are far below 1 (down to
//! 4e-7 for `OneCycle`), so the design's `1e-5 · max(1, |e|)` would be an absolute 1e-5
//! and pass almost anything; our schedules compute in f64 like PyTorch and round once to
//! f32 (a relative 6e-8), so 1e-6 leaves a margin of 16.

use crate::common;

use common::{Case, check_every_case, get, num, nums};
use staticnet_core::layers::Dense;
use staticnet_core::optim::{Momentum, Optimizer};
use staticnet_core::schedule::{
    Anneal, Constant, CosineAnnealingWarmRestarts, Exponential, MultiStepLr, OneCycle, Piecewise, PlateauMode, Power,
    ReduceLrOnPlateau, Schedule, StepLr, ThresholdMode,
};

const RTOL: f64 = 1e-6;

fn input(case: &Case, key: &str) -> f64 {
    num(get(case, &case.inputs, key))
}

fn count(case: &Case, key: &str) -> usize {
    get(case, &case.inputs, key).as_u64().unwrap_or_else(|| panic!("{}: {key} is not a count", case.name)) as usize
}

fn assert_values(what: &str, actual: &[f32], expected: &[f64]) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths");
    let bad: Vec<String> = actual
        .iter()
        .zip(expected)
        .enumerate()
        .filter(|&(_, (&a, &e))| !common::close_rel(a as f64, e, RTOL, 0.0))
        .map(|(t, (a, e))| format!("t={t}: got {a:e}, expected {e:e}"))
        .collect();
    assert!(bad.is_empty(), "{what}: {} of {} differ:\n  {}", bad.len(), actual.len(), bad.join("\n  "));
}

/// The 60 rates of a stateless schedule against `expected.lrs`.
fn check_lrs(case: &Case, schedule: &impl Schedule) {
    let expected = nums(get(case, &case.expected, "lrs"));
    assert_eq!(expected.len(), count(case, "num_steps"));
    let actual: Vec<f32> = (0..expected.len()).map(|t| schedule.lr(t)).collect();
    assert_values(&format!("{}: lrs", case.name), &actual, &expected);
}

fn check_one_cycle(case: &Case) {
    let anneal = match get(case, &case.inputs, "anneal_strategy").as_str() {
        Some("cos") => Anneal::Cos,
        Some("linear") => Anneal::Linear,
        other => panic!("{}: unknown anneal_strategy {other:?}", case.name),
    };
    assert_eq!(case.inputs["cycle_momentum"].as_bool(), Some(true));
    let schedule = OneCycle::new(input(case, "max_lr"), count(case, "total_steps"))
        .pct_start(input(case, "pct_start"))
        .anneal(anneal)
        .div_factor(input(case, "div_factor"))
        .final_div_factor(input(case, "final_div_factor"))
        .three_phase(case.inputs["three_phase"].as_bool().expect("three_phase"))
        .momentum_range(input(case, "base_momentum"), input(case, "max_momentum"));
    check_lrs(case, &schedule);
    let momentum = nums(get(case, &case.expected, "momentum"));
    let ours: Vec<f32> = (0..momentum.len()).map(|t| schedule.momentum(t)).collect();
    assert_values(&format!("{}: momentum", case.name), &ours, &momentum);
    assert!((schedule.initial_lr() - num(&case.expected["initial_lr"])).abs() <= 1e-15);
    assert!((schedule.min_lr() - num(&case.expected["min_lr"])).abs() <= 1e-18);
    let ends = nums(get(case, &case.expected, "phase_end_steps"));
    let (ours, n) = schedule.phase_ends();
    assert_eq!(&ours[..n], &ends[..], "{}: phase ends", case.name);
}

fn check_plateau(case: &Case) {
    let mode = match case.inputs["mode"].as_str() {
        Some("min") => PlateauMode::Min,
        Some("max") => PlateauMode::Max,
        other => panic!("{}: unknown mode {other:?}", case.name),
    };
    let threshold_mode = match case.inputs["threshold_mode"].as_str() {
        Some("rel") => ThresholdMode::Rel,
        Some("abs") => ThresholdMode::Abs,
        other => panic!("{}: unknown threshold_mode {other:?}", case.name),
    };
    let mut plateau = ReduceLrOnPlateau::new(input(case, "lr0"))
        .mode(mode)
        .factor(input(case, "factor"))
        .patience(count(case, "patience") as u32)
        .threshold(input(case, "threshold"), threshold_mode)
        .cooldown(count(case, "cooldown") as u32)
        .min_lr(input(case, "min_lr"))
        .eps(input(case, "eps"));
    let losses = nums(get(case, &case.inputs, "val_losses"));
    let e = &case.expected;
    let (lrs, after) = (nums(&e["lrs"]), nums(&e["lr_after_step"]));
    let (bad, cooldown, best) =
        (nums(&e["num_bad_epochs_after_step"]), nums(&e["cooldown_counter_after_step"]), nums(&e["best_after_step"]));
    let (mut ours_before, mut ours_after) = (vec![], vec![]);
    for (t, &loss) in losses.iter().enumerate() {
        // The reference losses are f32 values (stored as f64).
        assert_eq!(loss as f32 as f64, loss, "{}: loss {t} is not an f32", case.name);
        ours_before.push(plateau.lr());
        ours_after.push(plateau.observe(loss as f32));
        assert_eq!(plateau.num_bad_epochs() as f64, bad[t], "{}: num_bad_epochs after {t}", case.name);
        assert_eq!(plateau.cooldown_counter() as f64, cooldown[t], "{}: cooldown after {t}", case.name);
        assert_eq!(plateau.best(), best[t], "{}: best after {t}", case.name);
    }
    assert_values(&format!("{}: lrs", case.name), &ours_before, &lrs);
    assert_values(&format!("{}: lr_after_step", case.name), &ours_after, &after);
    assert_eq!(ours_after.last().map(|&l| l as f64), Some(input(case, "min_lr") as f32 as f64), "reaches min_lr");
}

#[test]
fn every_schedule_case_matches_the_reference() {
    let n = check_every_case("schedules.json", |case| match case.name.as_str() {
        name if name.starts_with("power_") => {
            let s = Power::new(input(case, "lr0"), input(case, "s")).power(input(case, "c"));
            check_lrs(case, &s);
        }
        name if name.starts_with("exponential_decay_") => {
            let s = Exponential::new(input(case, "lr0"), input(case, "s")).decay_rate(input(case, "decay_rate"));
            check_lrs(case, &s);
        }
        "torch_exponential_lr_gamma0.95" => {
            check_lrs(case, &Exponential::per_step(input(case, "lr0"), input(case, "gamma")));
        }
        "torch_step_lr_10_gamma0.5" => {
            let s = StepLr::new(input(case, "lr0"), count(case, "step_size")).gamma(input(case, "gamma"));
            check_lrs(case, &s);
        }
        "torch_multistep_lr_gamma0.1" => {
            let m = nums(get(case, &case.inputs, "milestones"));
            let milestones: [usize; 3] = core::array::from_fn(|i| m[i] as usize);
            assert_eq!(m.len(), 3);
            let s = MultiStepLr::new(input(case, "lr0"), milestones).gamma(input(case, "gamma"));
            check_lrs(case, &s);
            // The same schedule written as explicit pieces.
            let (lr0, g) = (input(case, "lr0"), input(case, "gamma"));
            let pieces = Piecewise::new(lr0, [(15, lr0 * g), (30, lr0 * g * g), (45, lr0 * g * g * g)]);
            check_lrs(case, &pieces);
        }
        name if name.starts_with("torch_onecycle_") => check_one_cycle(case),
        name if name.starts_with("torch_cosine_warm_restarts_") => {
            let s = CosineAnnealingWarmRestarts::new(input(case, "lr0"), count(case, "T_0"))
                .t_mult(count(case, "T_mult"))
                .eta_min(input(case, "eta_min"));
            check_lrs(case, &s);
        }
        "torch_reduce_lr_on_plateau" => check_plateau(case),
        other => panic!("no test for schedule case {other}"),
    });
    assert_eq!(n, 13);
}

#[test]
fn keras_closed_forms() {
    // Staircase forms floor t/s.
    let p = Power::new(0.1, 10.0).staircase(true);
    assert_eq!((p.lr(9), p.lr(10), p.lr(19)), (0.1, 0.05, 0.05));
    let e = Exponential::new(0.1, 10.0).decay_rate(0.5).staircase(true);
    assert_eq!((e.lr(9), e.lr(10), e.lr(25)), (0.1, 0.05, 0.025));
    assert_eq!(Constant::new(0.01).lr(1_000_000), 0.01);
    // Piecewise changes at the boundary itself.
    let pw = Piecewise::new(1.0, [(100, 0.5), (110, 0.1)]);
    assert_eq!((pw.lr(99), pw.lr(100), pw.lr(109), pw.lr(110), pw.lr(usize::MAX)), (1.0, 0.5, 0.5, 0.1, 0.1));
    // A duplicated milestone drops twice, as in PyTorch.
    assert!((MultiStepLr::new(1.0, [5, 5]).lr(5) - 0.01).abs() < 1e-9);
}

#[test]
fn one_cycle_beyond_its_end_stays_at_the_final_rate() {
    let s = OneCycle::new(0.1, 60);
    assert!((s.lr(59) as f64 - s.min_lr()).abs() < 1e-12);
    assert_eq!(s.lr(60), s.lr(59));
    assert_eq!(s.lr(1_000_000), s.lr(59));
    assert!((s.momentum(17) - 0.85).abs() < 1e-7 && (s.momentum(59) - 0.95).abs() < 1e-7);
}

#[test]
fn warm_restarts_position_and_degenerate_periods() {
    let s = CosineAnnealingWarmRestarts::new(1.0, 5).t_mult(2);
    // Cycles of 5, 10, 20: restarts at 5, 15, 35.
    assert_eq!(s.position(4), (4, 5));
    assert_eq!(s.position(5), (0, 10));
    assert_eq!(s.position(14), (9, 10));
    assert_eq!(s.position(35), (0, 40));
    assert_eq!(s.lr(35), 1.0);
    // A period of 0 is taken as 1: the rate stays at its maximum, without dividing by 0.
    assert_eq!(CosineAnnealingWarmRestarts::new(1.0, 0).lr(7), 1.0);
    assert_eq!(StepLr::new(1.0, 0).gamma(0.5).lr(2), 0.25);
    // A huge t terminates (cycle lengths saturate instead of overflowing).
    let _ = CosineAnnealingWarmRestarts::new(1.0, 1).t_mult(3).lr(usize::MAX);
}

#[test]
fn plateau_in_max_mode_with_absolute_threshold() {
    let mut p =
        ReduceLrOnPlateau::new(1.0).mode(PlateauMode::Max).patience(1).threshold(0.1, ThresholdMode::Abs).factor(0.5);
    assert_eq!(p.observe(0.5), 1.0); // first value is an improvement over -inf
    assert_eq!(p.observe(0.55), 1.0); // +0.05 is below the threshold: bad 1
    assert_eq!(p.observe(0.58), 0.5); // bad 2 > patience 1: halve
    assert_eq!(p.num_bad_epochs(), 0);
    assert_eq!(p.observe(0.7), 0.5); // +0.2 over best 0.5: improvement
    assert_eq!(p.best(), 0.699999988079071); // the f32 metric, exactly
    assert_eq!(p.observe(f32::NAN), 0.5); // NaN is never better
    assert_eq!(p.num_bad_epochs(), 1);
}

#[test]
fn schedules_drive_an_optimizer() {
    let mut opt = Momentum::<Dense<3, 2>>::new(1.0, 0.9);
    let schedule = OneCycle::new(0.1, 100);
    for t in 0..100 {
        schedule.apply(&mut opt, t);
        assert_eq!(opt.learning_rate(), schedule.lr(t));
        opt.momentum = schedule.momentum(t);
    }
    let mut plateau = ReduceLrOnPlateau::new(0.1).patience(0);
    plateau.observe_and_apply(1.0, &mut opt);
    plateau.observe_and_apply(1.0, &mut opt);
    assert!((opt.learning_rate() - 0.01).abs() < 1e-9);
}
