use staticnet::prelude::*;

network! {
    struct Net {
        input: [64],
        fc: Dense(64),
        block: Residual {
            fc1: Dense(32),
            Relu,
        },
        head: Dense(10),
    }
}

fn main() {}
