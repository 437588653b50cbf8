use staticnet::prelude::*;

network! {
    /// Fused, Adam at batch 16 still needs more than 48 KiB: the parameters and the two
    /// moments alone are 57,720 bytes.
    #[budget(ram = 48 KiB, batch = 16, optimizer = Adam, fused)]
    struct Digits {
        input: [64],
        fc1: Dense(64),
        Relu,
        fc2: Dense(10),
    }
}

fn main() {}
