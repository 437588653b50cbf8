use staticnet::prelude::*;

network! {
    struct Net {
        input: [4],
        fc1: Dense(8) Relu,
        fc2: Dense(2),
    }
}

fn main() {
    let model = Model::<Net>::new(0);
    let mut ws = Workspace::<Net, 1>::new();
    let _ = ws.forward(&model, &[[0.0; 4]], Mode::Eval);
}
