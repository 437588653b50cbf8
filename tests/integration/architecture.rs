//! The inference/training split, the training memory plan, gradient accumulation and the
//! workspaces' own dropout streams (issue 8).

use staticnet::prelude::*;

network! {
    /// The README's MNIST MLP.
    struct Mlp {
        input: [784],
        fc1: Dense(128),
        Relu,
        drop: Dropout(0.2),
        fc2: Dense(10),
    }
}

network! {
    /// The CNN of `examples/mnist_cnn.rs`.
    struct Cnn {
        input: [1, 28, 28],
        conv1: Conv2d(8, kernel_size = 3, padding = 1),
        bn1: BatchNorm,
        Relu,
        pool1: MaxPool2d(2),
        conv2: Conv2d(16, kernel_size = 3, padding = 1),
        bn2: BatchNorm,
        Relu,
        pool2: MaxPool2d(2),
        flat: Flatten,
        fc1: Dense(64),
        Relu,
        drop: Dropout(0.3),
        fc2: Dense(10),
    }
}

network! {
    /// Every layer whose training path differs from inference, without batch norm (whose
    /// batch statistics make half batches differ from the whole).
    struct Small {
        input: [1, 6, 6],
        conv: Conv2d(3, kernel_size = 3, padding = 1),
        Relu,
        pool: MaxPool2d(2),
        flat: Flatten,
        fc1: Dense(8),
        Tanh,
        fc2: Dense(3),
    }
}

fn inputs<const N: usize, const R: usize>(seed: u32) -> [[f32; N]; R] {
    core::array::from_fn(|r| core::array::from_fn(|i| (((r * 131 + i * 71) as u32 ^ seed) % 97) as f32 / 97.0 - 0.4))
}

#[test]
fn inference_needs_activations_only_and_agrees_with_evaluation() {
    // 784-128-10 at batch 1: two activation buffers and the output, under 8 KiB.
    const { assert!(InferenceWorkspace::<Mlp, 1>::BYTES <= 8 * 1024) };
    const { assert!(Workspace::<Mlp, 1>::BYTES > 400_000) };
    println!(
        "784-128-10 at batch 1: inference {} B, training {} B",
        InferenceWorkspace::<Mlp, 1>::BYTES,
        Workspace::<Mlp, 1>::BYTES
    );

    let model = Model::<Mlp>::new(3);
    let x: [[f32; 784]; 5] = inputs(1);
    let mut training = Workspace::<Mlp, 5>::new_boxed();
    let mut inference = InferenceWorkspace::<Mlp, 5>::new();
    let want = training.forward(&model, &x, Mode::Eval).unwrap().to_vec();
    assert_eq!(inference.forward(&model, &x).unwrap(), &want[..]);
    assert_eq!(inference.predict(&model, &x[2]), &want[2]);

    let mut model = Model::<Cnn>::new_boxed(4);
    // Running statistics away from their initial values, so that evaluation uses them.
    let images: [[[[f32; 28]; 28]; 1]; 4] =
        core::array::from_fn(|r| [core::array::from_fn(|i| inputs::<28, 28>(r as u32)[i])]);
    let mut ws = Workspace::<Cnn, 4>::new_boxed();
    ws.compute_gradients(&mut model, &images, &[1, 2, 3, 4], &CrossEntropyLoss).unwrap();
    let want = ws.forward(&model, &images, Mode::Eval).unwrap().to_vec();
    let mut inference = InferenceWorkspace::<Cnn, 4>::new_boxed();
    assert_eq!(inference.forward(&model, &images).unwrap(), &want[..]);
}

#[test]
fn training_memory_shrinks() {
    // Per row, the activations kept (conv1 6272, bn1 6272 with its ReLU in place, pool1
    // 1568, conv2 3136, bn2 3136 likewise, pool2 784 with Flatten as a view, fc1 64 with
    // its ReLU in place, dropout 64), two gradient buffers 6272 wide, and the output and
    // its gradient (10 each). The layers' caches and the parameter gradients are as before.
    let now = Workspace::<Cnn, 32>::BYTES;
    let plan = 32 * 4 * (6272 + 6272 + 1568 + 3136 + 3136 + 784 + 64 + 64 + 2 * 6272 + 2 * 10);
    let unchanged = now - plan;
    // Before the plan: an activation and a gradient buffer for each of the 12 inner layer
    // outputs (31,556 values a row), and the output and its gradient.
    let before = 32 * 4 * (2 * (3 * 6272 + 1568 + 3 * 3136 + 2 * 784 + 3 * 64) + 2 * 10) + unchanged;
    println!(
        "CNN workspace at batch 32: {now} B, {before} B before ({:.1}% less)",
        100.0 * (1.0 - now as f64 / before as f64)
    );
    assert!((now as f64) < 0.6 * before as f64, "{now} vs {before}");
}

#[test]
fn two_accumulated_half_batches_equal_the_whole_batch() {
    let model = Model::<Small>::new(5);
    let x: [[[[f32; 6]; 6]; 1]; 8] =
        core::array::from_fn(|r| [core::array::from_fn(|i| inputs::<6, 6>(r as u32 + 9)[i])]);
    let y = [0, 1, 2, 0, 1, 2, 2, 1];

    let mut whole = Workspace::<Small, 8>::new();
    let (mut m, loss) = (model.clone(), CrossEntropyLoss);
    whole.compute_gradients(&mut m, &x, &y, &loss).unwrap();

    let mut halves = Workspace::<Small, 4>::new();
    let mut m = model.clone();
    halves.compute_gradients(&mut m, &x[..4], &y[..4], &loss).unwrap();
    halves.accumulate_gradients(&mut m, &x[4..], &y[4..], &loss).unwrap();
    halves.scale_gradients(0.5);

    for (i, (a, b)) in halves.grads().as_flat().iter().zip(whole.grads().as_flat()).enumerate() {
        assert!((a - b).abs() <= 1e-6 * (1.0 + b.abs()), "gradient {i}: {a} accumulated vs {b} whole");
    }
}

#[test]
fn workspaces_seeded_apart_draw_independent_dropout_masks() {
    let model = Model::<Mlp>::new(1);
    let x: [[f32; 784]; 2] = inputs(3);
    let masks = |seed: Option<u64>| {
        let mut ws = Workspace::<Mlp, 2>::new_boxed();
        if let Some(seed) = seed {
            ws.seed(&model, seed);
        }
        ws.forward(&model, &x, Mode::Train).unwrap().to_vec()
    };
    let (fresh, zero, one, one_again) = (masks(None), masks(Some(0)), masks(Some(1)), masks(Some(1)));
    assert_eq!(fresh, zero, "a fresh workspace draws as if seeded with 0");
    assert_eq!(one, one_again, "a seed reproduces its masks");
    assert_ne!(zero, one, "different seeds draw different masks");
}
