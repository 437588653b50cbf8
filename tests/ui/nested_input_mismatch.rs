use staticnet::prelude::*;

network! {
    /// A block that takes 100 features.
    pub struct Head {
        input: [100],
        fc: Dense(10),
    }
}

network! {
    struct Outer {
        input: [784],
        fc1: Dense(128),
        Relu,
        head: Head,
    }
}

fn main() {}
