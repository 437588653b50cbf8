//! Weight penalties (finite-difference checks of their gradients), the max-norm
//! constraint during training, and gradient clipping with PyTorch's semantics.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use staticnet_core::layers::{Dense, DenseParams};
use staticnet_core::loss::{Loss, MseLoss};
use staticnet_core::optim::{Optimizer, Sgd};
use staticnet_core::regularize::{
    L1, L1L2, L2, Regularizer, Weights, clip_grad_norm, clip_grad_value, l1_penalty, l2_penalty, max_norm,
};
use staticnet_core::{Flat, GradMode, Layer, Mode};

type Params = DenseParams<4, 3>;

/// Weights drawn from `U(-1, 1)` but at least `margin` away from 0 (for L1's kink).
fn random_params(seed: u64, margin: f32) -> Params {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut p = Params::zeroed();
    for v in p.as_flat_mut() {
        let magnitude = rng.random_range(margin..1.0);
        *v = if rng.random::<bool>() { magnitude } else { -magnitude };
    }
    p
}

/// Central differences of `penalty` on every weight and bias, against the gradient that
/// `apply` adds. The penalties are quadratic (L2) or, at least `2h` away from 0, linear
/// (L1) in each weight, so the central difference is exact up to f32 rounding of the
/// penalty (~1e-8 over `2h = 0.02`): a tolerance of 1e-4 is ample.
fn check_gradient(reg: &impl Regularizer, seed: u64) {
    let params = random_params(seed, 0.05);
    let mut grads = Params::zeroed();
    grads.as_flat_mut().fill(0.25); // `apply` adds to what is there
    let value = reg.apply(&params, &mut grads);
    assert!((value - reg.penalty(params.weights())).abs() <= 1e-6 * value.abs().max(1.0));
    let h = 0.01f32;
    for i in 0..Params::LEN {
        let at = |delta: f32| {
            let mut p = params;
            p.as_flat_mut()[i] += delta;
            reg.penalty(p.weights()) as f64
        };
        let numeric = (at(h) - at(-h)) / (2.0 * h as f64);
        let analytic = grads.as_flat()[i] as f64 - 0.25;
        assert!((numeric - analytic).abs() <= 1e-4, "value {i}: numeric {numeric}, analytic {analytic}");
        if i >= 12 {
            assert_eq!(analytic, 0.0, "biases are exempt");
        }
    }
}

#[test]
fn penalty_gradients_match_finite_differences() {
    for seed in 0..5 {
        check_gradient(&L2(0.3), seed);
        check_gradient(&L1(0.3), seed);
        check_gradient(&L1L2 { l1: 0.2, l2: 0.7 }, seed);
    }
}

#[test]
fn penalty_values_follow_keras() {
    let params = random_params(7, 0.0);
    let w = params.weights();
    let sq: f64 = w.iter().map(|&v| (v as f64).powi(2)).sum();
    let abs: f64 = w.iter().map(|&v| (v as f64).abs()).sum();
    let close = |a: f32, e: f64| (a as f64 - e).abs() <= 1e-6 * e.abs();

    let mut g2 = Params::zeroed();
    assert!(close(l2_penalty(&params, &mut g2, 0.01), 0.01 * sq));
    for (g, &w) in g2.weight.as_flat().iter().zip(params.weight.as_flat()) {
        assert_eq!(*g, 2.0 * 0.01 * w);
    }
    let mut g1 = Params::zeroed();
    assert!(close(l1_penalty(&params, &mut g1, 0.01), 0.01 * abs));
    for (g, &w) in g1.weight.as_flat().iter().zip(params.weight.as_flat()) {
        assert_eq!(*g, 0.01 * w.signum());
    }
    assert_eq!((g1.bias, g2.bias), ([0.0; 3], [0.0; 3]));
    let both = L1L2 { l1: 0.01, l2: 0.02 }.penalty(w);
    assert!(close(both, 0.01 * abs + 0.02 * sq));
}

#[test]
fn l1_subgradient_at_zero_is_zero() {
    let params = DenseParams::<2, 1> { weight: [[0.0, -0.0]], bias: [5.0] };
    let mut grads = DenseParams::<2, 1>::zeroed();
    assert_eq!(l1_penalty(&params, &mut grads, 1.0), 0.0);
    assert_eq!(grads.weight, [[0.0, 0.0]]);
}

/// A small regression trained with a large learning rate, so the weights grow past the
/// bound, with the max-norm constraint applied after every step.
#[test]
fn max_norm_holds_after_every_training_step() {
    const C: f32 = 0.5;
    let layer = Dense::<4, 3>::default();
    let mut rng = SmallRng::seed_from_u64(1);
    let x: [[f32; 4]; 8] = core::array::from_fn(|_| core::array::from_fn(|_| rng.random_range(-1.0..1.0)));
    // Targets need weights of norm ~3 per row: the constraint binds.
    let y: [[f32; 3]; 8] = core::array::from_fn(|r| core::array::from_fn(|j| 3.0 * x[r][j] - 1.5 * x[r][3]));
    let mut params = Params::zeroed();
    let mut opt = Sgd::<Dense<4, 3>>::new(0.5);
    let mut rescaled_steps = 0;
    for _ in 0..50 {
        let mut out = [[0.0f32; 3]; 8];
        layer.forward::<8>(&params, &(), &x, &mut out, &mut (), Mode::Train);
        let mut dout = [[0.0f32; 3]; 8];
        MseLoss.loss_and_grad(&out, &y, &mut dout).unwrap();
        let mut grads = Params::zeroed();
        layer.backward::<8>(&params, &x, &out, &dout, &mut (), None, &mut grads, GradMode::Overwrite);
        opt.step(&mut params, &grads);
        let before = params.weight;
        max_norm(&mut params.weight, C);
        for (row, old) in params.weight.iter().zip(&before) {
            let norm = row.iter().map(|w| w * w).sum::<f32>().sqrt();
            let old_norm = old.iter().map(|w| w * w).sum::<f32>().sqrt();
            assert!(norm <= C * (1.0 + 1e-6), "row norm {norm} exceeds {C}");
            if old_norm <= C {
                assert_eq!(row, old, "rows within the bound are untouched");
            } else {
                rescaled_steps += 1;
                assert!((norm - C).abs() <= 1e-6, "an exceeding row is scaled to the bound, got {norm}");
                // Direction kept.
                for (a, b) in row.iter().zip(old) {
                    assert!((a / C - b / old_norm).abs() <= 1e-6);
                }
            }
        }
    }
    assert!(rescaled_steps > 20, "the constraint should bind in this loop ({rescaled_steps} rescaled rows)");
}

#[test]
fn clip_grad_norm_follows_pytorch() {
    // Norm 5 clipped to 1: coefficient 1 / (5 + 1e-6).
    let mut g = [3.0f32, 4.0];
    assert_eq!(clip_grad_norm(&mut g, 1.0), 5.0);
    let coef = 1.0 / (5.0 + 1e-6f32);
    assert_eq!(g, [3.0 * coef, 4.0 * coef]);
    // Below the bound: unchanged, bit for bit.
    let mut g = [0.3f32, -0.4, 0.0];
    assert!((clip_grad_norm(&mut g, 1.0) - 0.5).abs() < 1e-7);
    assert_eq!(g, [0.3, -0.4, 0.0]);
    // Zero gradient: norm 0, nothing to do.
    let mut g = [0.0f32; 5];
    assert_eq!(clip_grad_norm(&mut g, 1.0), 0.0);
    assert_eq!(g, [0.0; 5]);
    // Many values (several lanes and a remainder): the norm of 1..=21, then scaled to 2.
    let mut g: Vec<f32> = (1..=21).map(|i| i as f32).collect();
    let expected = ((1..=21).map(|i| (i * i) as f64).sum::<f64>()).sqrt();
    let norm = clip_grad_norm(&mut g, 2.0);
    assert!((norm as f64 - expected).abs() <= 1e-6 * expected);
    let after = g.iter().map(|v| (v * v) as f64).sum::<f64>().sqrt();
    assert!((after - 2.0).abs() < 1e-5);
    // A NaN anywhere makes the norm NaN and, as in PyTorch, every value NaN.
    let mut g = [1.0f32, f32::NAN, 2.0];
    assert!(clip_grad_norm(&mut g, 1.0).is_nan());
    assert!(g.iter().all(|v| v.is_nan()));
    // Empty input.
    assert_eq!(clip_grad_norm(&mut [], 1.0), 0.0);
}

#[test]
fn clip_grad_value_clamps_and_keeps_nan() {
    let mut g = [-3.0f32, -0.5, 0.0, 0.5, 3.0, f32::NAN, f32::INFINITY];
    clip_grad_value(&mut g, 1.0);
    assert_eq!(&g[..5], &[-1.0, -0.5, 0.0, 0.5, 1.0]);
    assert!(g[5].is_nan());
    assert_eq!(g[6], 1.0);
}

#[test]
fn regularizers_act_on_a_network_gradient_block() {
    // Whole-block clipping of a layer's gradient, as a training loop would do.
    let params = random_params(3, 0.0);
    let mut grads = random_params(4, 0.0);
    let penalty = L2(1e-3).apply(&params, &mut grads);
    assert!(penalty > 0.0);
    let norm = clip_grad_norm(grads.as_flat_mut(), 0.1);
    assert!(norm > 0.1);
    let after = grads.as_flat().iter().map(|v| v * v).sum::<f32>().sqrt();
    assert!((after - 0.1).abs() < 1e-6);
    assert_eq!(<Dense<4, 3> as Layer>::PARAMS, 15);
}
