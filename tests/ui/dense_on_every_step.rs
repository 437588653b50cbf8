use staticnet::prelude::*;

network! {
    struct Rows {
        input: [28, 28],
        gru: Gru(16, return_sequences = true),
        head: Dense(10),
    }
}

fn main() {}
