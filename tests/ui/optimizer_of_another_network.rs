use staticnet::prelude::*;

network! {
    struct Small {
        input: [4],
        fc: Dense(2),
    }
}

network! {
    struct Other {
        input: [4],
        fc: Dense(2),
    }
}

fn main() {
    let mut model = Model::<Small>::new(0);
    let mut ws = Workspace::<Small, 1>::new();
    let mut sgd_for_other: Sgd<Other> = Sgd::new(0.1);
    let _ = ws.train_step(&mut model, &[[0.0; 4]], &[1], &CrossEntropyLoss, &mut sgd_for_other);
}
