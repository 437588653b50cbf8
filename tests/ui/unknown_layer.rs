use staticnet::prelude::*;

network! {
    struct Mlp {
        input: [4],
        fc1: Dense(8),
        act: Rleu(),
        fc2: Dense(2),
    }
}

fn main() {}
