//! Finite-difference checks of the deep-network layers (convolution, pooling, reshaping,
//! batch norm, dropout), and the behaviour of dropout's random masks and of the modes.
//!
//! With a random upstream gradient `g` and `L = sum(y * g)`, the analytic `dx` and
//! parameter gradients from `backward` must match central differences of `L` computed with
//! `forward` alone (`common::check_gradients`).

use crate::common;

use common::{FiniteDiff, check_gradients, run_layer, zeroed_cache};
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use staticnet_core::flat::{flatten, flatten_mut};
use staticnet_core::layers::{
    AvgPool1d, AvgPool2d, BatchCount, BatchNorm1d, BatchNorm2d, BatchNormParams, BatchNormState, Conv1d, Conv2d,
    Dropout, DropoutCache, Flatten, GlobalAvgPool, MaxPool1d, MaxPool2d,
};
use staticnet_core::{Flat, Forward, Layer, Mode};

/// Smooth (or piecewise linear, away from the kinks) functions: a step of 1e-2 keeps the f32
/// rounding of the differences small, and the truncation error (eps² f'''/6) is ~1e-5.
const SMOOTH: FiniteDiff = FiniteDiff { eps: 1e-2, rtol: 1e-2, atol: 1e-3 };
/// Max pooling: inputs are at least 0.05 apart, so a step of 1e-3 never changes a maximum.
const POOL: FiniteDiff = FiniteDiff { eps: 1e-3, rtol: 1e-2, atol: 1e-3 };

/// `rows` samples of uniform values in [-3, 3].
fn random_batch<T: Flat>(rng: &mut SmallRng, rows: usize) -> Vec<T> {
    let mut batch = vec![T::zeroed(); rows];
    flatten_mut(&mut batch).iter_mut().for_each(|v| *v = rng.random_range(-3.0..=3.0));
    batch
}

/// `rows` samples whose values are all distinct and at least 0.05 apart (a shuffled
/// ramp), so that no pooling window has a tie and no finite-difference step changes a maximum.
fn distinct_batch<T: Flat>(rng: &mut SmallRng, rows: usize) -> Vec<T> {
    let mut batch = vec![T::zeroed(); rows];
    let values = flatten_mut(&mut batch);
    let n = values.len();
    values.iter_mut().enumerate().for_each(|(i, v)| *v = (i as f32 - n as f32 / 2.0) * 0.05);
    values.shuffle(rng);
    batch
}

/// Upstream gradients in [-1, 1].
fn random_grad<T: Flat>(rng: &mut SmallRng, rows: usize) -> Vec<T> {
    let mut g = vec![T::zeroed(); rows];
    flatten_mut(&mut g).iter_mut().for_each(|v| *v = rng.random_range(-1.0..=1.0));
    g
}

// ---------------------------------------------------------------- convolution

/// A `Conv2d` with random (PyTorch-default) parameters, checked on `rows` of `CAP` images.
fn check_conv<
    const C: usize,
    const H: usize,
    const W: usize,
    const OC: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const OH: usize,
    const OW: usize,
    const CAP: usize,
>(
    rows: usize,
    seed: u64,
) {
    let layer = Conv2d::<C, H, W, OC, KH, KW, SH, SW, PH, PW, OH, OW>::default();
    let mut params = <Conv2d<C, H, W, OC, KH, KW, SH, SW, PH, PW, OH, OW> as Forward>::Params::zeroed();
    let mut rng = SmallRng::seed_from_u64(seed);
    layer.init(&mut params, &mut (), &mut rng);
    let x = random_batch(&mut rng, rows);
    let g = random_grad(&mut rng, rows);
    let what =
        format!("Conv2d {C}->{OC} {KH}x{KW} stride {SH}x{SW} padding {PH}x{PW} on {H}x{W} ({rows} of {CAP} rows)");
    check_gradients::<_, CAP>(&what, &layer, &params, &(), Mode::Train, &x, &g, SMOOTH, &|_| {});
}

#[test]
fn conv2d_gradients() {
    check_conv::<1, 5, 6, 2, 3, 3, 1, 1, 0, 0, 3, 4, 2>(2, 1); // no padding
    check_conv::<2, 6, 5, 3, 3, 3, 2, 2, 1, 1, 3, 3, 3>(3, 2); // stride 2, padding 1
    check_conv::<3, 7, 6, 2, 3, 2, 2, 1, 1, 0, 4, 5, 2>(1, 3); // rectangular kernel, stride, padding
    check_conv::<2, 4, 4, 5, 1, 1, 1, 1, 0, 0, 4, 4, 2>(2, 4); // 1x1 kernel, 5 output channels (4 + 1)
    check_conv::<1, 8, 8, 3, 3, 3, 1, 1, 1, 1, 8, 8, 2>(2, 5); // 64 pixels: full-width strips
    check_conv::<2, 6, 6, 6, 5, 5, 1, 1, 2, 2, 6, 6, 1>(1, 6); // 5x5 kernel, 36 pixels: strips and a tail
    check_conv::<1, 7, 8, 2, 2, 4, 3, 3, 1, 2, 3, 3, 2>(2, 7); // stride 3, padding 2 > kernel/2
    check_conv::<3, 5, 5, 4, 5, 5, 2, 2, 2, 2, 3, 3, 4>(3, 8); // 50 weights per channel, odd sizes
}

/// A `Conv1d` with random (PyTorch-default) parameters, checked on `rows` of `CAP` signals.
fn check_conv1d<
    const C: usize,
    const L: usize,
    const OC: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    const D: usize,
    const OL: usize,
    const CAP: usize,
>(
    rows: usize,
    seed: u64,
) {
    let layer = Conv1d::<C, L, OC, K, S, P, D, OL>::default();
    let mut params = <Conv1d<C, L, OC, K, S, P, D, OL> as Forward>::Params::zeroed();
    let mut rng = SmallRng::seed_from_u64(seed);
    layer.init(&mut params, &mut (), &mut rng);
    let x = random_batch(&mut rng, rows);
    let g = random_grad(&mut rng, rows);
    let what = format!("Conv1d {C}->{OC} k {K} stride {S} padding {P} dilation {D} on {L} ({rows} of {CAP} rows)");
    check_gradients::<_, CAP>(&what, &layer, &params, &(), Mode::Train, &x, &g, SMOOTH, &|_| {});
}

#[test]
fn conv1d_gradients() {
    check_conv1d::<2, 9, 3, 3, 1, 0, 1, 7, 2>(2, 31); // plain
    check_conv1d::<3, 13, 2, 5, 2, 2, 1, 7, 3>(2, 32); // stride 2, padding 2
    check_conv1d::<2, 11, 3, 3, 1, 2, 2, 11, 1>(1, 33); // dilation 2, "same" length
    check_conv1d::<1, 12, 4, 4, 3, 1, 1, 4, 2>(2, 34); // stride 3, kernel 4
    check_conv1d::<2, 10, 2, 3, 2, 4, 3, 6, 2>(2, 35); // padding wider than the dilated reach
}

// ---------------------------------------------------------------- pooling and reshaping

#[test]
fn max_pool_gradients() {
    fn check<L: Layer<Params = (), State = ()>, const CAP: usize>(what: &str, layer: L, rows: usize, seed: u64) {
        let mut rng = SmallRng::seed_from_u64(seed);
        let x = distinct_batch(&mut rng, rows);
        let g = random_grad(&mut rng, rows);
        check_gradients::<_, CAP>(what, &layer, &(), &(), Mode::Train, &x, &g, POOL, &|_| {});
    }
    check::<_, 2>("MaxPool2d 2x2 stride 2", MaxPool2d::<2, 6, 6, 2, 2, 2, 2, 0, 0, 3, 3>, 2, 11);
    check::<_, 3>("MaxPool2d 3x3 stride 2 (overlapping)", MaxPool2d::<2, 7, 7, 3, 3, 2, 2, 0, 0, 3, 3>, 2, 12);
    check::<_, 1>("MaxPool2d 3x3 stride 2 padding 1", MaxPool2d::<1, 6, 6, 3, 3, 2, 2, 1, 1, 3, 3>, 1, 13);
    check::<_, 2>("MaxPool2d 2x3 stride 1x2 padding 1", MaxPool2d::<3, 5, 6, 2, 3, 1, 2, 1, 1, 6, 3>, 2, 14);
    check::<_, 2>("MaxPool1d 3 stride 2 padding 1", MaxPool1d::<2, 9, 3, 2, 1, 5>, 2, 15);
}

#[test]
fn avg_pool_gradients() {
    fn check<L: Layer<Params = (), State = ()>, const CAP: usize>(what: &str, layer: L, rows: usize, seed: u64) {
        let mut rng = SmallRng::seed_from_u64(seed);
        let x = random_batch(&mut rng, rows);
        let g = random_grad(&mut rng, rows);
        check_gradients::<_, CAP>(what, &layer, &(), &(), Mode::Train, &x, &g, SMOOTH, &|_| {});
    }
    check::<_, 2>("AvgPool2d 2x2 stride 2", AvgPool2d::<2, 6, 6, 2, 2, 2, 2, 0, 0, 3, 3>, 2, 21);
    check::<_, 2>("AvgPool2d 2x2 stride 2 on 7x5", AvgPool2d::<1, 7, 5, 2, 2, 2, 2, 0, 0, 3, 2>, 1, 22);
    check::<_, 1>("AvgPool2d 3x3 stride 2 padding 1", AvgPool2d::<2, 6, 6, 3, 3, 2, 2, 1, 1, 3, 3>, 1, 23);
    check::<_, 3>("AvgPool2d 2x3 stride 1x2 padding 1", AvgPool2d::<3, 5, 6, 2, 3, 1, 2, 1, 1, 6, 3>, 3, 24);
    check::<_, 2>("AvgPool1d 2 stride 1 padding 1", AvgPool1d::<3, 6, 2, 1, 1, 7>, 2, 25);
}

#[test]
fn flatten_and_global_avg_pool_gradients() {
    let mut rng = SmallRng::seed_from_u64(31);
    let x = random_batch::<[[[f32; 3]; 2]; 2]>(&mut rng, 3);
    let g = random_grad::<[f32; 12]>(&mut rng, 3);
    let flatten_layer = Flatten::<[[[f32; 3]; 2]; 2], 12>::default();
    check_gradients::<_, 4>("Flatten", &flatten_layer, &(), &(), Mode::Train, &x, &g, SMOOTH, &|_| {});
    let y = common::forward::<_, 4>(&flatten_layer, &(), &x);
    assert_eq!(flatten(&y), flatten(&x), "Flatten is a row-major copy");

    let x = random_batch::<[[[f32; 5]; 4]; 3]>(&mut rng, 2);
    let g = random_grad::<[f32; 3]>(&mut rng, 2);
    let pool = GlobalAvgPool::<3, 4, 5>;
    check_gradients::<_, 2>("GlobalAvgPool", &pool, &(), &(), Mode::Train, &x, &g, SMOOTH, &|_| {});
    let y = common::forward::<_, 2>(&pool, &(), &x);
    let mean = x[1][2].as_flattened().iter().sum::<f32>() / 20.0;
    assert!((y[1][2] - mean).abs() < 1e-6, "GlobalAvgPool: {} is not the mean {mean}", y[1][2]);
}

// ---------------------------------------------------------------- batch norm

/// Random `γ` (away from 0), `β`, and running statistics.
fn batch_norm_setup<const C: usize>(rng: &mut SmallRng) -> (BatchNormParams<C>, BatchNormState<C>) {
    let params = BatchNormParams {
        weight: core::array::from_fn(|_| rng.random_range(0.5..1.5) * if rng.random_bool(0.5) { 1.0 } else { -1.0 }),
        bias: core::array::from_fn(|_| rng.random_range(-1.0..1.0)),
    };
    let state = BatchNormState {
        running_mean: core::array::from_fn(|_| rng.random_range(-1.0..1.0)),
        running_var: core::array::from_fn(|_| rng.random_range(0.5..2.0)),
        num_batches_tracked: BatchCount::new(7).unwrap(),
    };
    (params, state)
}

fn check_batch_norm<L, const C: usize, const CAP: usize>(what: &str, layer: &L, rows: usize, seed: u64)
where
    L: Layer<Params = BatchNormParams<C>, State = BatchNormState<C>>,
{
    let mut rng = SmallRng::seed_from_u64(seed);
    let (params, state) = batch_norm_setup::<C>(&mut rng);
    let x = random_batch(&mut rng, rows);
    let g = random_grad(&mut rng, rows);
    for mode in [Mode::Train, Mode::Eval, Mode::McDropout] {
        let what = format!("{what}, {mode:?} ({rows} of {CAP} rows)");
        check_gradients::<_, CAP>(&what, layer, &params, &state, mode, &x, &g, SMOOTH, &|_| {});
    }
}

#[test]
fn batch_norm_gradients() {
    check_batch_norm::<_, 5, 8>("BatchNorm1d<5>", &BatchNorm1d::<5>::default(), 6, 41);
    check_batch_norm::<_, 3, 4>("BatchNorm1d<3>", &BatchNorm1d::<3>::default(), 2, 42);
    check_batch_norm::<_, 3, 3>("BatchNorm2d<3, 3, 4>", &BatchNorm2d::<3, 3, 4>::default(), 3, 43);
    check_batch_norm::<_, 2, 4>("BatchNorm2d<2, 2, 2>", &BatchNorm2d::<2, 2, 2>::default(), 1, 44);
}

#[test]
fn batch_norm_init_and_running_statistics() {
    let layer = BatchNorm2d::<2, 2, 2> { momentum: 0.25, eps: 1e-5 };
    // `Model` zero-fills the state and then calls `init`.
    let mut params = BatchNormParams::<2>::zeroed();
    let mut state = BatchNormState::<2>::zeroed();
    layer.init(&mut params, &mut state, &mut SmallRng::seed_from_u64(0));
    assert_eq!(params, BatchNormParams { weight: [1.0; 2], bias: [0.0; 2] });
    let zero = BatchCount::default();
    assert_eq!(state, BatchNormState { running_mean: [0.0; 2], running_var: [1.0; 2], num_batches_tracked: zero });
    assert_eq!(zero.get(), 0);

    // Channel 0 holds 1..=8 over two images, channel 1 a constant.
    let x = [[[[1.0, 2.0], [3.0, 4.0]], [[5.0; 2]; 2]], [[[5.0, 6.0], [7.0, 8.0]], [[5.0; 2]; 2]]];
    let run = run_layer::<_, 2>(&layer, &params, &state, Mode::Train, &x, &x, &|_| {});
    let (mean, biased) = (4.5, 5.25);
    assert_eq!(run.cache.mean, [mean, 5.0]);
    assert_eq!(run.cache.var, [biased, 0.0]);
    let unbiased = biased * 8.0 / 7.0;
    assert_eq!(run.state.running_mean, [0.25 * mean, 0.25 * 5.0]);
    assert!((run.state.running_var[0] - (0.75 + 0.25 * unbiased)).abs() < 1e-6);
    assert_eq!(run.state.running_var[1], 0.75);
    assert_eq!(run.state.num_batches_tracked.get(), 1, "one training pass counted, as PyTorch");
    // The constant channel normalises to β = 0.
    assert!(run.y.iter().all(|image| image[1].as_flattened().iter().all(|&v| v == 0.0)));

    // One value per channel: the running variance is left unchanged instead of dividing by 0.
    let single = BatchNorm1d::<2>::default();
    let run = run_layer::<_, 4>(&single, &params, &state, Mode::Train, &[[3.0, -1.0]], &[[1.0, 1.0]], &|_| {});
    assert_eq!(run.state.running_var, [1.0, 1.0]);
    assert!((run.state.running_mean[0] - 0.3).abs() < 1e-7 && (run.state.running_mean[1] + 0.1).abs() < 1e-7);
    assert!(run.y.iter().flatten().chain(run.dx.iter().flatten()).all(|v| v.is_finite()));
}

#[test]
fn batch_norm_uses_running_statistics_outside_training() {
    let mut rng = SmallRng::seed_from_u64(45);
    let (params, state) = batch_norm_setup::<4>(&mut rng);
    let layer = BatchNorm1d::<4>::default();
    let x = random_batch::<[f32; 4]>(&mut rng, 5);
    let eval = run_layer::<_, 8>(&layer, &params, &state, Mode::Eval, &x, &x, &|_| {});
    let mc = run_layer::<_, 8>(&layer, &params, &state, Mode::McDropout, &x, &x, &|_| {});
    assert_eq!(flatten(&eval.y), flatten(&mc.y), "McDropout normalises as Eval does");
    assert!(!eval.cache.training && !mc.cache.training);
    for (row, y) in x.iter().zip(&eval.y) {
        for c in 0..4 {
            let want = params.weight[c] * (row[c] - state.running_mean[c]) / (state.running_var[c] + 1e-5).sqrt()
                + params.bias[c];
            assert!((y[c] - want).abs() < 1e-5, "{} vs {want}", y[c]);
        }
    }
}

// ---------------------------------------------------------------- dropout

type Features = [f32; 6];
type Image = [[[f32; 3]; 2]; 2];

#[test]
fn dropout_gradients() {
    let mut rng = SmallRng::seed_from_u64(51);
    let x = random_batch::<Features>(&mut rng, 5);
    let g = random_grad::<Features>(&mut rng, 5);
    let mask: [Features; 8] = core::array::from_fn(|_| core::array::from_fn(|_| rng.random_range(0..2) as f32));
    let layer = Dropout::<Features>::new(0.3, 9);
    let fixed = |cache: &mut DropoutCache<Features, 8>| {
        cache.set_mask(mask);
    };
    check_gradients::<_, 8>("Dropout(0.3), fixed mask", &layer, &(), &(), Mode::Train, &x, &g, SMOOTH, &fixed);
    check_gradients::<_, 8>("Dropout(0.3), eval", &layer, &(), &(), Mode::Eval, &x, &g, SMOOTH, &|_| {});
    // The mask drawn from the layer's seed: the same for every pass from a fresh cache.
    check_gradients::<_, 8>("Dropout(0.3), drawn mask", &layer, &(), &(), Mode::Train, &x, &g, SMOOTH, &|_| {});

    let x = random_batch::<Image>(&mut rng, 3);
    let g = random_grad::<Image>(&mut rng, 3);
    let layer = Dropout::<Image>::new(0.5, 10);
    check_gradients::<_, 4>("Dropout(0.5) on images", &layer, &(), &(), Mode::Train, &x, &g, SMOOTH, &|_| {});
}

/// Runs `passes` forward passes of `layer` in `mode` on `x`, keeping one cache (as a
/// workspace does), and returns the outputs.
fn passes<S: Flat, const B: usize>(layer: &Dropout<S>, x: &[S], mode: Mode, passes: usize) -> Vec<Vec<S>> {
    let mut cache = zeroed_cache::<Dropout<S>, B>();
    (0..passes)
        .map(|_| {
            let mut y = vec![S::zeroed(); x.len()];
            layer.forward::<B>(&(), &(), x, &mut y, &mut cache, mode);
            y
        })
        .collect()
}

#[test]
fn dropout_drops_a_fraction_p_and_rescales_the_rest() {
    for p in [0.5f32, 0.2, 0.9] {
        let layer = Dropout::<[f32; 1000]>::new(p, 3);
        let x = vec![[2.0f32; 1000]; 10];
        let outputs = passes::<_, 10>(&layer, &x, Mode::Train, 10);
        let values: Vec<f32> = outputs.iter().flat_map(|y| flatten(y).to_vec()).collect();
        let kept = values.iter().filter(|&&v| v != 0.0).count();
        let dropped = values.len() - kept;
        // 100 000 draws: the standard deviation of the fraction is at most 0.0016.
        let fraction = dropped as f32 / values.len() as f32;
        assert!((fraction - p).abs() < 0.01, "p = {p}: dropped {fraction}");
        let scaled = 2.0 / (1.0 - p);
        assert!(values.iter().all(|&v| v == 0.0 || (v - scaled).abs() < 1e-5), "p = {p}: kept values are x / (1 - p)");
    }
}

#[test]
fn dropout_edge_probabilities() {
    let x = vec![[1.5f32; 64]; 4];
    let keep_all = passes::<_, 4>(&Dropout::<[f32; 64]>::new(0.0, 1), &x, Mode::Train, 3);
    assert!(keep_all.iter().all(|y| flatten(y) == flatten(&x)), "p = 0 keeps everything unscaled");
    let drop_all = passes::<_, 4>(&Dropout::<[f32; 64]>::new(1.0, 1), &x, Mode::Train, 3);
    assert!(drop_all.iter().all(|y| flatten(y).iter().all(|&v| v == 0.0)), "p = 1 drops everything, no NaN");
}

#[test]
fn dropout_seeds_give_different_reproducible_masks() {
    let x = vec![[1.0f32; 256]; 2];
    let mask = |seed: u64| passes::<_, 2>(&Dropout::<[f32; 256]>::new(0.5, seed), &x, Mode::Train, 2);
    assert_eq!(flatten(&mask(1)[0]), flatten(&mask(1)[0]), "the same seed gives the same stream");
    assert_ne!(flatten(&mask(1)[0]), flatten(&mask(2)[0]), "different seeds give different masks");
    let (a, b) = (mask(1), mask(2));
    // Independent streams agree on about half the elements, not shifted copies of each other.
    let agree = flatten(&a[1]).iter().zip(flatten(&b[1])).filter(|(x, y)| x == y).count();
    assert!((180..=332).contains(&agree), "seeds 1 and 2 agree on {agree} of 512");
    assert_ne!(flatten(&a[0]), flatten(&a[1]), "each pass draws a new mask");
    assert_ne!(flatten(&a[1]), flatten(&b[0]), "seed 2 is not seed 1 one pass later");
}

#[test]
fn mc_dropout_samples_while_eval_is_deterministic() {
    let mut rng = SmallRng::seed_from_u64(52);
    let x = random_batch::<Features>(&mut rng, 4);
    let layer = Dropout::<Features>::new(0.5, 11);
    let eval = passes::<_, 4>(&layer, &x, Mode::Eval, 3);
    assert!(eval.iter().all(|y| flatten(y) == flatten(&x)), "Eval is the identity");
    let mc = passes::<_, 4>(&layer, &x, Mode::McDropout, 3);
    assert_ne!(flatten(&mc[0]), flatten(&mc[1]), "McDropout draws a new mask every pass");
    assert_ne!(flatten(&mc[1]), flatten(&mc[2]), "McDropout draws a new mask every pass");
    assert_ne!(flatten(&mc[0]), flatten(&x), "McDropout drops");

    // Backward after a McDropout pass goes through the same mask.
    let g = random_grad::<Features>(&mut rng, 4);
    let run = run_layer::<_, 4>(&layer, &(), &(), Mode::McDropout, &x, &g, &|_| {});
    assert!(run.cache.was_active());
    for (((dx, g), y), x) in flatten(&run.dx).iter().zip(flatten(&g)).zip(flatten(&run.y)).zip(flatten(&x)) {
        let kept = *y != 0.0 || *x == 0.0;
        assert_eq!(*dx, if kept { g * 2.0 } else { 0.0 });
    }
}
