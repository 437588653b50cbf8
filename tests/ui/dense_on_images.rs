use staticnet::prelude::*;

network! {
    struct Cnn {
        input: [1, 28, 28],
        conv1: Conv2d(8, kernel_size = 3),
        fc: Dense(10),
    }
}

fn main() {}
