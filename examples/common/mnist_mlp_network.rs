//! The MNIST MLP, declared once for `examples/mnist.rs` and `examples/quantize.rs`.

use staticnet::prelude::*;

network! {
    /// A two-layer perceptron for 28x28 digits.
    pub struct Mlp {
        input: [784],
        fc1: Dense(128, init = HeUniform),
        act1: Relu,
        fc2: Dense(10),
    }
}
