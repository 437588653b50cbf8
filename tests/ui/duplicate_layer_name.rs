use staticnet::prelude::*;

network! {
    struct Mlp {
        input: [4],
        fc: Dense(8),
        act: Relu,
        fc: Dense(2),
    }
}

fn main() {}
