use staticnet::prelude::*;

network! {
    struct Cnn {
        input: [3, 6, 6],
        pool1: AvgPool2d(2),
        pool2: MaxPool2d(kernel_size = 4, stride = 1),
    }
}

fn main() {}
