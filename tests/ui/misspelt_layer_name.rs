use staticnet::prelude::*;

network! {
    struct Mlp {
        input: [4],
        fc1: Dense(8),
        act: Relu2,
        fc2: Dense(2),
    }
}

fn main() {
    let model = Model::<Mlp>::new(0);
    println!("{:?}", model.net);
}
