use staticnet::prelude::*;

network! {
    struct Wave {
        input: [2, 16],
        conv1: Conv1d(4, kernel_size = 5, dilation = 2), // spans 9 of 16: [4, 8]
        conv2: Conv1d(4, kernel_size = 5, dilation = 2), // spans 9 of 8
        Flatten,
        head: Dense(2),
    }
}

fn main() {}
