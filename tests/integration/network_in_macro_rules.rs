//! `network!` works when another macro writes the declaration: the generated code's own
//! locals resolve whatever the hygiene of the layers' tokens.

use staticnet::prelude::*;

macro_rules! mlp {
    ($name:ident, $hidden:literal) => {
        network! {
            struct $name {
                input: [3],
                fc1: Dense($hidden),
                Relu,
                fc2: Dense(2),
            }
        }
    };
}

mlp!(Narrow, 4);
mlp!(Wide, 16);

#[test]
fn networks_declared_by_a_macro_train() {
    let mut model = Model::<Narrow>::new(0);
    let mut ws = Workspace::<Narrow, 2>::new();
    let loss = ws.train_step(&mut model, &[[1.0, 0.0, -1.0]; 2], &[0, 1], &CrossEntropyLoss, &mut Sgd::new(0.1));
    assert!(loss.unwrap().is_finite());
    assert_eq!(Wide::PARAMS, 3 * 16 + 16 + 16 * 2 + 2);
}
