use staticnet::prelude::*;

network! {
    /// Fits 64 KiB with SGD at batch 1, but not with Adam at batch 16.
    #[budget(ram = 64 KiB, batch = 16, optimizer = Adam)]
    struct Digits {
        input: [64],
        fc1: Dense(64),
        Relu,
        fc2: Dense(10),
    }
}

fn main() {}
