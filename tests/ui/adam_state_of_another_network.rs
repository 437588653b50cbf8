use staticnet::prelude::*;

network! {
    struct Small {
        input: [4],
        fc: Dense(2),
    }
}

network! {
    struct Large {
        input: [4],
        fc: Dense(16),
        Relu,
        out: Dense(2),
    }
}

fn main() {
    let mut model = Model::<Small>::new(0);
    let mut ws = Workspace::<Small, 1>::new();
    let mut adam_for_large = Adam::<Large>::new(1e-3);
    let _ = ws.train_step(&mut model, &[[0.0; 4]], &[1], &CrossEntropyLoss, &mut adam_for_large);
    // Stepping the parameters directly is a type error too.
    let grads = *ws.grads();
    adam_for_large.step(&mut model.params, &grads);
}
