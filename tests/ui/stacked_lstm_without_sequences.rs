use staticnet::prelude::*;

network! {
    struct Stacked {
        input: [28, 28],
        lstm1: Lstm(64),
        lstm2: Lstm(32),
        head: Dense(10),
    }
}

fn main() {}
