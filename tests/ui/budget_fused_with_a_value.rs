use staticnet::prelude::*;

network! {
    /// `fused` is a flag, not a key with a value.
    #[budget(ram = 64 KiB, fused = true)]
    struct Digits {
        input: [64],
        fc1: Dense(32),
        Relu,
        fc2: Dense(10),
    }
}

fn main() {
    let _ = FusedWorkspace::<Digits, 1>::new();
}
