//! PyTorch's spellings of the built-in layers compile, and name the same fields as ours.

use staticnet::prelude::*;

network! {
    struct Torch {
        input: [1, 8, 8],
        BatchNorm2d,
        Conv2d(4, kernel_size = 3),
        ReLU,
        MaxPool2d(2),
        Flatten,
        Linear(36, 16),
        BatchNorm1d(momentum = 0.2),
        LeakyReLU(0.1),
        PReLU,
        ELU(alpha = 0.5),
        SELU,
        SiLU,
        GELU(approximate = "tanh"),
        Linear(4),
        Softmax,
    }
}

#[test]
fn pytorch_spellings_build_the_same_layers() {
    let model = Model::<Torch>::new(0);
    let _: &staticnet::layers::Relu<[[[f32; 6]; 6]; 4]> = &model.net.relu_3;
    let _: &staticnet::layers::LeakyRelu<[f32; 16]> = &model.net.leaky_relu_8;
    let _: &staticnet::layers::Prelu<[f32; 16]> = &model.net.prelu_9;
    let _: &staticnet::layers::Gelu<[f32; 16]> = &model.net.gelu_13;
    let mut ws = Workspace::<Torch, 2>::new();
    let out = ws.forward(&model, &[[[[0.5; 8]; 8]; 1]; 2], Mode::Eval).unwrap();
    assert!((out[0].iter().sum::<f32>() - 1.0).abs() < 1e-5);
}
