//! The MNIST CNN, declared once for `examples/mnist_cnn.rs`, `examples/quantize.rs` and the
//! int8 firmware (`examples/embedded/src/bin/mnist_int8.rs`, whose exported `CnnInt8`
//! compiles only against this declaration).

use staticnet::prelude::*;

network! {
    /// conv 8 -> pool -> conv 16 -> pool -> dense 64 -> dropout -> dense 10, with batch
    /// norm after each convolution (folded into it by `Cnn::quantize`).
    pub struct Cnn {
        input: [1, 28, 28],
        conv1: Conv2d(8, kernel_size = 3, padding = 1, init = HeUniform),
        bn1: BatchNorm,
        Relu,
        pool1: MaxPool2d(2),
        conv2: Conv2d(16, kernel_size = 3, padding = 1, init = HeUniform),
        bn2: BatchNorm,
        Relu,
        pool2: MaxPool2d(2),
        flat: Flatten,
        fc1: Dense(64, init = HeUniform),
        Relu,
        drop: Dropout(0.3),
        fc2: Dense(10),
    }
}
