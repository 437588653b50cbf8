//! Per-layer regularisation declared in `network!`: L1/L2 penalties (biases exempt) added
//! to the loss and its gradient, and max-norm constraints held after every step.

use staticnet::prelude::*;

network! {
    struct Penalised {
        input: [3],
        fc1: Dense(4, l1 = 0.01, l2 = 0.02),
        Tanh,
        fc2: Dense(2, l2 = 0.05),
    }
}

network! {
    struct Constrained {
        input: [5],
        fc1: Dense(8, max_norm = 0.5, init = Normal(1.0)),
        Relu,
        fc2: Dense(3),
    }
}

const X: [[f32; 3]; 4] = [[0.5, -1.0, 0.3], [1.2, 0.4, -0.7], [-0.2, 0.9, 0.8], [0.0, -0.5, 1.5]];
const Y: [[f32; 2]; 4] = [[0.1, -0.2], [0.5, 0.3], [-0.4, 0.2], [0.0, 1.0]];

fn total_loss(model: &mut Model<Penalised>) -> f64 {
    let mut ws = Workspace::<Penalised, 4>::new();
    ws.compute_gradients(model, &X, &Y, &MseLoss).unwrap() as f64
}

#[test]
fn penalties_are_added_to_the_loss_and_exempt_biases() {
    let mut model = Model::<Penalised>::new(1);
    let mut ws = Workspace::<Penalised, 4>::new();
    let with_penalty = ws.compute_gradients(&mut model, &X, &Y, &MseLoss).unwrap();
    let data_loss = MseLoss.loss(ws.outputs(), &Y).unwrap();
    let w1 = model.params.fc1.weight.as_flat();
    let w2 = model.params.fc2.weight.as_flat();
    let expected = 0.01 * w1.iter().map(|w| w.abs()).sum::<f32>()
        + 0.02 * w1.iter().map(|w| w * w).sum::<f32>()
        + 0.05 * w2.iter().map(|w| w * w).sum::<f32>();
    assert!((with_penalty - data_loss - expected).abs() < 1e-6, "{with_penalty} - {data_loss} vs {expected}");

    // Changing a bias changes only the data term: its gradient carries no penalty.
    let mut plain = Model::<Penalised>::new(1);
    plain.net.fc1.kernel_regularizer = staticnet::regularize::L1L2 { l1: 0.0, l2: 0.0 };
    plain.net.fc2.kernel_regularizer = staticnet::regularize::L1L2 { l1: 0.0, l2: 0.0 };
    let mut plain_ws = Workspace::<Penalised, 4>::new();
    plain_ws.compute_gradients(&mut plain, &X, &Y, &MseLoss).unwrap();
    assert_eq!(ws.grads().fc1.bias, plain_ws.grads().fc1.bias);
    assert_eq!(ws.grads().fc2.bias, plain_ws.grads().fc2.bias);
    assert_ne!(ws.grads().fc1.weight, plain_ws.grads().fc1.weight);
}

#[test]
fn penalty_gradients_match_finite_differences() {
    let mut model = Model::<Penalised>::new(2);
    // Keep weights away from 0, where the L1 term has its kink.
    for w in model.params.fc1.weight.as_flat_mut() {
        if w.abs() < 0.05 {
            *w += 0.1;
        }
    }
    let mut ws = Workspace::<Penalised, 4>::new();
    ws.compute_gradients(&mut model, &X, &Y, &MseLoss).unwrap();
    let grads = *ws.grads();
    let eps = 1e-3f32;
    for i in 0..Penalised::PARAMS {
        let (mut plus, mut minus) = (model.clone(), model.clone());
        plus.params.as_flat_mut()[i] += eps;
        minus.params.as_flat_mut()[i] -= eps;
        let numeric = (total_loss(&mut plus) - total_loss(&mut minus)) / (2.0 * eps as f64);
        let analytic = grads.as_flat()[i] as f64;
        assert!((numeric - analytic).abs() < 1e-3 + 1e-2 * numeric.abs(), "param {i}: {analytic} vs {numeric}");
    }
}

#[test]
fn max_norm_holds_after_every_step() {
    let mut model = Model::<Constrained>::new(3);
    let norms = |m: &Model<Constrained>| m.params.fc1.weight.map(|row| row.iter().map(|w| w * w).sum::<f32>().sqrt());
    assert!(norms(&model).iter().any(|&n| n > 0.5), "the initial weights exceed the bound, so the test binds");
    let mut ws = Workspace::<Constrained, 4>::new();
    let mut sgd = Sgd::new(0.5);
    let x = [
        [1.0, -2.0, 0.5, 3.0, -1.0],
        [0.3, 0.1, -0.9, 2.0, 1.5],
        [-1.0, 1.0, 1.0, -1.0, 0.0],
        [2.0, 0.0, -2.0, 1.0, 1.0],
    ];
    for step in 0..50 {
        ws.train_step(&mut model, &x, &[0, 1, 2, step % 3], &CrossEntropyLoss, &mut sgd).unwrap();
        for (unit, n) in norms(&model).iter().enumerate() {
            assert!(*n <= 0.5 + 1e-5, "step {step}: unit {unit} has norm {n}");
        }
    }
}
