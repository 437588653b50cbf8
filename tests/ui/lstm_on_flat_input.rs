use staticnet::prelude::*;

network! {
    struct Rows {
        input: [784],
        lstm: Lstm(64),
        head: Dense(10),
    }
}

fn main() {}
