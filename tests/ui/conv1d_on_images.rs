use staticnet::prelude::*;

network! {
    struct Spectra {
        input: [1, 28, 28],
        conv: Conv1d(8, kernel_size = 3),
        Flatten,
        head: Dense(10),
    }
}

fn main() {}
