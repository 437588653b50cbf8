use staticnet::prelude::*;

network! {
    struct Mlp {
        input: [784],
        fc1: Dense(128),
        Relu,
        fc2: Dense(10),
    }
}

fn main() {
    let model = Model::<Mlp>::new_boxed(0);
    let mut ws = Workspace::<Mlp, 32>::new_boxed();
    let batch = [[0.0f32; 100]; 32];
    let _ = ws.forward(&model, &batch, Mode::Eval);
}
