use staticnet::prelude::*;

network! {
    /// Its lowest layer is frozen, so it keeps no gradient for its input.
    pub struct Features {
        input: [8],
        #[frozen(weights = "../data/frozen_base.safetensors", name = "head")]
        fc1: Dense(3),
        Relu,
        head: Dense(3),
    }
}

network! {
    struct Outer {
        input: [4],
        fc0: Dense(8),
        features: Features,
        out: Dense(2),
    }
}

fn main() {}
