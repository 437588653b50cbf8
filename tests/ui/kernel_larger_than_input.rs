use staticnet::prelude::*;

network! {
    struct Cnn {
        input: [1, 8, 8],
        conv1: Conv2d(4, kernel_size = 3),
        pool1: MaxPool2d(2),
        conv2: Conv2d(8, kernel_size = 5),
    }
}

fn main() {}
