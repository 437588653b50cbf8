use staticnet::prelude::*;

network! {
    struct Mlp {
        input: [784],
        fc1: Dense(128),
        act1: Relu,
        fc2: Dense(64, 10),
    }
}

fn main() {}
