use staticnet::prelude::*;

network! {
    struct Cnn {
        input: [1, 28, 28],
        conv1: Conv2d(8, kernel_size = 3, padding = 1),
        Relu,
        pool1: MaxPool2d(2),
        flat: Flatten,
        fc: Dense(1000, 10),
    }
}

fn main() {}
