//! XOR, the smallest problem a linear model cannot solve, trained to 100% accuracy.

use staticnet::prelude::*;

network! {
    /// 2-8-1 perceptron with a sigmoid output.
    struct Xor {
        input: [2],
        hidden: Dense(8, init = XavierUniform),
        Tanh,
        out: Dense(1),
    }
}

#[test]
fn xor_trains_to_full_accuracy() {
    let inputs = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
    let targets = [[0.0], [1.0], [1.0], [0.0]];
    let mut model = Model::<Xor>::new(1);
    let mut ws = Workspace::<Xor, 4>::new();
    let mut sgd = Sgd::new(0.5);
    let mut loss = f32::INFINITY;
    for _ in 0..2000 {
        loss = ws.train_step(&mut model, &inputs, &targets, &BceWithLogitsLoss, &mut sgd).unwrap();
    }
    assert!(loss < 0.05, "loss {loss}");
    let outputs = ws.forward(&model, &inputs, Mode::Eval).unwrap();
    for (out, target) in outputs.iter().zip(&targets) {
        assert_eq!(out[0] > 0.0, target[0] > 0.5, "output {out:?} for target {target:?}");
    }
    assert_eq!(Xor::PARAMS, 2 * 8 + 8 + 8 + 1);
}
