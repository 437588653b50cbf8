use staticnet::prelude::*;

network! {
    struct Net {
        input: [4],
        fc: Dense(3, l2 = -0.1),
    }
}

network! {
    struct Net2 {
        input: [4],
        fc: Dense(3, max_norm = 0),
    }
}

fn main() {}
