//! A training step and an inference call allocate nothing: checked with a counting global
//! allocator over 20 steps of a 784-128-10 network at batch 32 (5 with each optimizer,
//! unfused and fused), after setup; so does an epoch of augmented batches, and an ensemble's forward pass. The
//! step counts are small because the test profile compiles without optimisation (a fast
//! cold build): the first step of each optimizer is where a lazy allocation would show, and
//! later steps repeat it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use staticnet::prelude::*;

struct Counting;

thread_local! {
    /// Counting is per thread, so tests running in parallel and the harness's own threads
    /// don't interfere.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    static BYTES: Cell<usize> = const { Cell::new(0) };
}

fn record(size: usize) {
    if COUNTING.with(Cell::get) {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
        BYTES.with(|b| b.set(b.get() + size));
    }
}

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns (allocations, bytes) it made on this thread.
fn count<R>(f: impl FnOnce() -> R) -> (usize, usize, R) {
    // The first product reads STATICNET_KERNEL (which `.ci/run` sets for other tests): a
    // one-time allocation of its value, made here rather than in whichever test is first.
    staticnet::gemm::Kernel::active();
    ALLOCATIONS.with(|a| a.set(0));
    BYTES.with(|b| b.set(0));
    COUNTING.with(|c| c.set(true));
    let r = f();
    COUNTING.with(|c| c.set(false));
    (ALLOCATIONS.with(Cell::get), BYTES.with(Cell::get), r)
}

network! {
    struct Mlp {
        input: [784],
        fc1: Dense(128, init = HeUniform),
        act1: Relu,
        fc2: Dense(10),
    }
}

fn batch(step: usize) -> ([[f32; 784]; 32], [usize; 32]) {
    let mut x = [[0.0f32; 784]; 32];
    let mut y = [0usize; 32];
    for (r, (row, label)) in x.iter_mut().zip(&mut y).enumerate() {
        *label = (r + step) % 10;
        for (i, v) in row.iter_mut().enumerate() {
            *v = (((i * 7 + r * 13 + step) % 17) as f32) / 17.0;
        }
    }
    (x, y)
}

#[test]
fn counting_allocator_sees_setup() {
    // The counter works: building a boxed model is an allocation.
    let (allocations, bytes, _model) = count(|| Model::<Mlp>::new_boxed(0));
    assert!(allocations >= 1 && bytes >= Mlp::PARAM_BYTES, "{allocations} allocations, {bytes} bytes");
}

#[test]
fn training_steps_and_inference_allocate_nothing() {
    let mut model = Model::<Mlp>::new_boxed(0);
    let mut ws = Workspace::<Mlp, 32>::new_boxed();
    let mut one = Workspace::<Mlp, 1>::new_boxed();
    let mut sgd = Sgd::new(0.05);
    let batches: Vec<_> = (0..20).map(batch).collect();

    let (allocations, bytes, losses) = count(|| {
        let mut losses = [0.0f32; 20];
        for ((x, y), loss) in batches.iter().zip(&mut losses) {
            *loss = ws.train_step(&mut model, x, y, &CrossEntropyLoss, &mut sgd).unwrap();
        }
        losses
    });
    assert_eq!((allocations, bytes), (0, 0), "training allocated");
    assert!(losses[19] < losses[0], "the steps did train: {} -> {}", losses[0], losses[19]);

    let (allocations, bytes, class) = count(|| argmax(one.predict(&model, &batches[0].0[0])));
    assert_eq!((allocations, bytes), (0, 0), "single-sample inference allocated");
    assert!(class < 10);

    let (allocations, bytes, _) = count(|| ws.forward(&model, &batches[1].0[..7], Mode::Eval).map(|out| out.len()));
    assert_eq!((allocations, bytes), (0, 0), "partial-batch inference allocated");
}

/// 5 steps with `optimizer`, which must allocate nothing after construction.
fn steps_allocate_nothing<O: Optimizer<Mlp>>(name: &str, mut optimizer: Box<O>) {
    let mut model = Model::<Mlp>::new_boxed(0);
    let mut ws = Workspace::<Mlp, 32>::new_boxed();
    let batches: Vec<_> = (0..5).map(batch).collect();
    let (allocations, bytes, last) = count(|| {
        let mut last = 0.0;
        for (x, y) in &batches {
            last = ws.train_step(&mut model, x, y, &CrossEntropyLoss, optimizer.as_mut()).unwrap();
        }
        last
    });
    assert_eq!((allocations, bytes), (0, 0), "{name} allocated");
    assert!(last.is_finite(), "{name}: loss {last}");
}

#[test]
fn every_optimizer_steps_without_allocating() {
    steps_allocate_nothing("sgd", Box::new(Sgd::new(0.05).weight_decay(1e-4)));
    steps_allocate_nothing("momentum", Momentum::new_boxed(0.05, 0.9));
    let mut nesterov = Momentum::new_boxed(0.05, 0.9);
    nesterov.nesterov = true;
    steps_allocate_nothing("nesterov", nesterov);
    steps_allocate_nothing("adagrad", Adagrad::new_boxed(0.01));
    steps_allocate_nothing("rmsprop", RmsProp::<Mlp, WithBuffer, WithBuffer>::new_boxed(1e-3));
    steps_allocate_nothing("adam", Adam::<Mlp>::new_boxed(1e-3));
    steps_allocate_nothing("amsgrad", AmsGrad::new_boxed(1e-3));
    steps_allocate_nothing("adamax", Adamax::new_boxed(2e-3));
    steps_allocate_nothing("nadam", NAdam::new_boxed(2e-3));
    steps_allocate_nothing("adamw", AdamW::<Mlp>::new_boxed(1e-3));
}

/// 5 fused steps with `optimizer` (`FusedWorkspace::train_step`), which must allocate
/// nothing after construction.
fn fused_steps_allocate_nothing<O: ElementwiseOptimizer<Mlp>>(name: &str, mut optimizer: Box<O>) {
    let mut model = Model::<Mlp>::new_boxed(0);
    let mut ws = FusedWorkspace::<Mlp, 32>::new_boxed();
    let batches: Vec<_> = (0..5).map(batch).collect();
    let (allocations, bytes, losses) = count(|| {
        let mut losses = [0.0f32; 5];
        for ((x, y), loss) in batches.iter().zip(&mut losses) {
            *loss = ws.train_step(&mut model, x, y, &CrossEntropyLoss, optimizer.as_mut()).unwrap();
        }
        losses
    });
    assert_eq!((allocations, bytes), (0, 0), "fused {name} allocated");
    assert!(losses.iter().all(|l| l.is_finite()), "fused {name}: {losses:?}");
}

#[test]
fn fused_steps_allocate_nothing_with_every_kind_of_optimizer() {
    fused_steps_allocate_nothing("sgd", Box::new(Sgd::new(0.05)));
    fused_steps_allocate_nothing("momentum", Momentum::new_boxed(0.05, 0.9));
    fused_steps_allocate_nothing("adagrad", Adagrad::new_boxed(0.01));
    fused_steps_allocate_nothing("rmsprop", RmsProp::<Mlp, WithBuffer, WithBuffer>::new_boxed(1e-3));
    fused_steps_allocate_nothing("adam", Adam::<Mlp>::new_boxed(1e-3));
    fused_steps_allocate_nothing("adamax", Adamax::new_boxed(2e-3));
    fused_steps_allocate_nothing("nadam", NAdam::new_boxed(2e-3));
}

network! {
    /// A CNN with batch norm and dropout.
    struct Cnn {
        input: [1, 12, 12],
        conv1: Conv2d(4, kernel_size = 3, padding = 1),
        bn1: BatchNorm,
        Relu,
        pool1: MaxPool2d(2),
        conv2: Conv2d(8, kernel_size = 3),
        pool2: AvgPool2d(2),
        flat: Flatten,
        fc1: Dense(16),
        bn2: BatchNorm,
        Relu,
        drop: Dropout(0.25),
        fc2: Dense(10),
    }
}

#[test]
fn a_cnn_with_batch_norm_and_dropout_trains_and_infers_without_allocating() {
    let mut model = Model::<Cnn>::new_boxed(0);
    let mut ws = Workspace::<Cnn, 8>::new_boxed();
    let mut one = Workspace::<Cnn, 1>::new_boxed();
    let mut adam = Adam::<Cnn>::new_boxed(1e-3);
    let images: Vec<[[[f32; 12]; 12]; 1]> =
        (0..8).map(|r| [core::array::from_fn(|i| core::array::from_fn(|j| ((i * j + r) % 7) as f32 / 7.0))]).collect();
    let labels: Vec<usize> = (0..8).map(|r| r % 10).collect();
    let (mut mean, mut std) = ([[0.0f32; 10]; 8], [[0.0f32; 10]; 8]);
    let (allocations, bytes, loss) = count(|| {
        let mut loss = 0.0;
        for _ in 0..100 {
            loss = ws.train_step(&mut model, &images, &labels, &CrossEntropyLoss, adam.as_mut()).unwrap();
        }
        argmax(one.predict(&model, &images[0]));
        ws.mc_dropout(&model, &images, 10, |_| {}, &mut mean, &mut std).unwrap();
        loss
    });
    assert_eq!((allocations, bytes), (0, 0), "the CNN allocated");
    assert!(loss.is_finite() && loss < 1.0, "loss {loss}");
    assert!(std.iter().flatten().any(|&s| s > 0.0), "MC dropout passes differ");
}

#[test]
fn inference_workspaces_and_gradient_accumulation_allocate_nothing() {
    let mut model = Model::<Mlp>::new_boxed(0);
    let mut ws = Workspace::<Mlp, 32>::new_boxed();
    let mut sgd = Sgd::new(0.05);
    let mut one = InferenceWorkspace::<Mlp, 1>::new();
    let mut many = InferenceWorkspace::<Mlp, 32>::new_boxed();
    let cnn_model = Model::<Cnn>::new_boxed(1);
    let mut cnn = InferenceWorkspace::<Cnn, 8>::new_boxed();
    let images: Vec<[[[f32; 12]; 12]; 1]> =
        (0..8).map(|r| [core::array::from_fn(|i| core::array::from_fn(|j| ((i + j * r) % 5) as f32 / 5.0))]).collect();
    let batches: Vec<_> = (0..4).map(batch).collect();
    let (allocations, bytes, outputs) = count(|| {
        // An effective batch of 128 from four micro-batches of 32, then one step.
        ws.compute_gradients(&mut model, &batches[0].0, &batches[0].1, &CrossEntropyLoss).unwrap();
        for (x, y) in &batches[1..] {
            ws.accumulate_gradients(&mut model, x, y, &CrossEntropyLoss).unwrap();
        }
        ws.scale_gradients(0.25);
        ws.apply_gradients(&mut model, &mut sgd);
        ws.seed(&model, 7);
        let class = argmax(one.predict(&model, &batches[0].0[0]));
        let rows = many.forward(&model, &batches[1].0[..9]).unwrap().len();
        let images_out = cnn.forward(&cnn_model, &images).unwrap().len();
        (class, rows, images_out)
    });
    assert_eq!((allocations, bytes), (0, 0), "inference or accumulation allocated");
    assert!(outputs.0 < 10);
    assert_eq!((outputs.1, outputs.2), (9, 8));
}

#[test]
fn ensemble_inference_allocates_nothing() {
    use staticnet::ensemble::Ensemble;
    let mut ensemble = Ensemble::<Mlp, 3>::new_boxed([0, 1, 2], Voting::Soft);
    let mut ws = InferenceWorkspace::<Mlp, 4>::new_boxed();
    let (x, _) = batch(0);
    let (mut mean, mut std) = ([[0.0f32; 10]; 4], [[0.0f32; 10]; 4]);
    let (allocations, bytes, class) = count(|| {
        ensemble.forward(&mut ws, &x[..4], &mut mean, &mut std).unwrap();
        ensemble.voting = Voting::Hard;
        ensemble.predict(&mut ws, &x[0]).class()
    });
    assert_eq!((allocations, bytes), (0, 0), "ensemble inference allocated");
    assert!(class < 10 && std.iter().flatten().any(|&s| s > 0.0), "members differ");
}

#[test]
fn an_epoch_of_augmented_batches_allocates_nothing() {
    use staticnet::augment::{
        Augmenter, Cutout, GaussianNoise, RandomCrop, RandomHorizontalFlip, RandomRotation, RandomTranslation,
    };
    use staticnet::train::train_epoch_augmented;

    let mut model = Model::<Mlp>::new_boxed(0);
    let mut ws = Workspace::<Mlp, 32>::new_boxed();
    let mut sgd = Sgd::new(0.05);
    let mut data = Dataset::<784>::default();
    for step in 0..3 {
        let (x, y) = batch(step);
        data.inputs.extend_from_slice(&x);
        data.targets.extend_from_slice(&y);
    }
    data.inputs.truncate(90); // a shorter last batch too
    data.targets.truncate(90);
    let pipeline = (
        RandomTranslation { height_factor: 0.1, width_factor: 0.1, fill: 0.0 },
        RandomCrop { padding: 2, fill: 0.0 },
        RandomRotation { degrees: 10.0, fill: 0.0 },
        RandomHorizontalFlip { p: 0.5 },
        Cutout { size: 6, fill: 0.0 },
        GaussianNoise { std: 0.05 },
    );
    let mut augmenter = Box::new(Augmenter::<_, 1, 28, 28>::new(pipeline, 7));
    let mut buffer = vec![[0.0f32; 784]; 32];
    let before = data.clone();
    let (allocations, bytes, stats) = count(|| {
        data.shuffle(3);
        train_epoch_augmented(&mut ws, &mut model, &data, &CrossEntropyLoss, &mut sgd, &mut augmenter, &mut buffer)
            .unwrap()
    });
    assert_eq!((allocations, bytes), (0, 0), "an augmented epoch allocated");
    assert!(stats.loss.is_finite());
    let mut pairs: Vec<_> = data.inputs.iter().zip(&data.targets).map(|(x, &y)| (x.to_vec(), y)).collect();
    let mut original: Vec<_> = before.inputs.iter().zip(&before.targets).map(|(x, &y)| (x.to_vec(), y)).collect();
    pairs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    original.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert!(pairs == original, "the data set itself is only shuffled, not augmented");
}

network! {
    struct Small { input: [64], fc1: Dense(32), Relu, fc2: Dense(10) }
}

/// `fit` allocates per run (its buffers, the validation workspace) and per epoch (the
/// history's record), never per step: four times the samples, the same allocations.
#[test]
fn fit_allocates_per_run_and_epoch_not_per_step() {
    use staticnet::train::callbacks::EarlyStopping;
    use staticnet::train::fit;
    use staticnet::train::metrics::Accuracy;
    let data = |samples: usize| {
        let inputs: Vec<[f32; 64]> =
            (0..samples).map(|i| std::array::from_fn(|j| ((i * 7 + j * 3) % 11) as f32 / 11.0)).collect();
        let targets: Vec<usize> = (0..samples).map(|i| i % 10).collect();
        Dataset::new(inputs, targets).unwrap()
    };
    let run = |samples: usize| {
        let (mut train, mut val) = (data(samples), data(32));
        let mut model = Model::<Small>::new(0);
        let mut ws = Workspace::<Small, 16>::new();
        let mut adam = Adam::<Small>::new(0.01);
        let mut accuracy = Accuracy::new();
        let mut early = EarlyStopping::new("val_loss").patience(10);
        let (allocations, _, history) = count(|| {
            fit(&mut model, &mut ws, &mut adam, &CrossEntropyLoss)
                .epochs(3)
                .verbose(0)
                .metrics(&mut [&mut accuracy])
                .callbacks(&mut [&mut early])
                .validation_data(&mut val)
                .run(&mut train)
                .unwrap()
        });
        assert_eq!(history.len(), 3);
        allocations
    };
    let (few, many) = (run(64), run(256));
    assert_eq!(few, many, "{few} allocations for 4 steps an epoch, {many} for 16");
    assert!(few > 0, "the run allocates its buffers");
}

network! {
    /// Stacked recurrent layers: a bidirectional GRU passing on every step (`[12, 2·4]`), an
    /// LSTM, a head.
    struct Recurrent2 {
        input: [12, 4],
        gru: Gru(4, return_sequences = true, bidirectional = true),
        lstm: Lstm(6),
        head: Dense(3),
    }
}

#[test]
fn recurrent_training_and_streaming_allocate_nothing() {
    use staticnet::layers::{LastStep, Lstm, Recurrent};
    let mut model = Model::<Recurrent2>::new_boxed(0);
    let mut ws = Workspace::<Recurrent2, 8>::new_boxed();
    let mut adam = Adam::<Recurrent2>::new_boxed(1e-2);
    let x: Vec<[[f32; 4]; 12]> = (0..8)
        .map(|r| core::array::from_fn(|t| core::array::from_fn(|f| ((t * 3 + f + r) % 5) as f32 / 5.0 - 0.4)))
        .collect();
    let labels: Vec<usize> = (0..8).map(|r| r % 3).collect();
    // The trained LSTM, stepped one input at a time with its state in `carry`.
    let stream = Lstm::<1, 8, 6, LastStep>::default();
    let mut carry = <Lstm<1, 8, 6, LastStep> as Recurrent>::Carry::zeroed();
    let (allocations, bytes, (first, last)) = count(|| {
        let first = ws.train_step(&mut model, &x, &labels, &CrossEntropyLoss, adam.as_mut()).unwrap();
        let mut last = first;
        for _ in 0..30 {
            last = ws.train_step(&mut model, &x, &labels, &CrossEntropyLoss, adam.as_mut()).unwrap();
        }
        stream.reset(&mut carry);
        for t in 0..12 {
            stream.step(&model.params.lstm, &mut carry, &[t as f32 / 12.0; 8]);
        }
        (first, last)
    });
    assert_eq!((allocations, bytes), (0, 0), "recurrent training or streaming allocated");
    assert!(last < first, "the steps did train: {first} -> {last}");
    assert!(carry.h.iter().any(|&h| h != 0.0), "the stream moved");
}

network! {
    /// A CNN with an int8 form: batch norm folded, ReLUs fused, pooling and flattening.
    struct QuantizableCnn {
        input: [1, 12, 12],
        conv1: Conv2d(4, kernel_size = 3, padding = 1),
        bn1: BatchNorm,
        Relu,
        pool1: MaxPool2d(2),
        flat: Flatten,
        fc1: Dense(16),
        Relu,
        fc2: Dense(10),
    }
}

#[test]
fn quantizing_and_int8_inference_allocate_nothing() {
    use staticnet::quantize::QuantizedNetwork;
    let mlp = Model::<Mlp>::new_boxed(1);
    let cnn = Model::<QuantizableCnn>::new_boxed(2);
    let rows: Vec<[f32; 784]> = (0..4).map(|r| core::array::from_fn(|i| ((i * 7 + r) % 13) as f32 / 13.0)).collect();
    let images: Vec<[[[f32; 12]; 12]; 1]> =
        (0..4).map(|r| [core::array::from_fn(|i| core::array::from_fn(|j| ((i * j + r) % 7) as f32 / 7.0))]).collect();
    let mut mlp_scratch: Box<MlpInt8Scratch> = staticnet::flat::boxed_zeroed();
    let mut cnn_scratch: Box<QuantizableCnnInt8Scratch> = staticnet::flat::boxed_zeroed();
    let (allocations, bytes, predicted) = count(|| {
        let mlp_int8 = Mlp::quantize(&mlp, &rows).unwrap();
        let cnn_int8 = QuantizableCnn::quantize(&cnn, &images).unwrap();
        let mut predicted = 0;
        for (row, image) in rows.iter().zip(&images) {
            predicted += argmax(&mlp_int8.predict(row, &mut mlp_scratch));
            predicted += argmax(&cnn_int8.predict(image, &mut cnn_scratch));
        }
        predicted
    });
    assert_eq!((allocations, bytes), (0, 0), "quantizing or int8 inference allocated");
    std::hint::black_box(predicted);
}

network! {
    /// A frozen convolution and dense layer (weights from tests/data at compile time) under
    /// a trainable head, and a frozen layer between two trainable ones.
    struct Frozen {
        input: [1, 6, 6],
        #[frozen(weights = "data/frozen_base.safetensors")]
        conv: Conv2d(2, 3),
        Relu,
        Flatten,
        #[frozen(weights = "data/frozen_base.safetensors")]
        fc1: Dense(8),
        Tanh,
        mid: Dense(6),
        Tanh,
        #[frozen(weights = "data/frozen_parts.safetensors", name = "mid")]
        fc2: Dense(5),
        head: Dense(3),
    }
}

#[test]
fn frozen_layers_train_without_allocating() {
    let mut model = Model::<Frozen>::new_boxed(0);
    let mut ws = Workspace::<Frozen, 4>::new_boxed();
    let mut fused = FusedWorkspace::<Frozen, 4>::new_boxed();
    let mut adam = Adam::<Frozen>::new_boxed(1e-2);
    let images: Vec<[[[f32; 6]; 6]; 1]> =
        (0..4).map(|r| [core::array::from_fn(|i| core::array::from_fn(|j| ((i * j + r) % 5) as f32 / 5.0))]).collect();
    let labels = [0usize, 1, 2, 1];
    let (allocations, bytes, losses) = count(|| {
        let first = ws.train_step(&mut model, &images, &labels, &CrossEntropyLoss, adam.as_mut()).unwrap();
        let mut last = first;
        for _ in 0..50 {
            last = ws.train_step(&mut model, &images, &labels, &CrossEntropyLoss, adam.as_mut()).unwrap();
            fused.train_step(&mut model, &images, &labels, &CrossEntropyLoss, adam.as_mut()).unwrap();
        }
        (first, last)
    });
    assert_eq!((allocations, bytes), (0, 0), "training with frozen layers allocated");
    assert!(losses.1 < losses.0, "loss {} -> {}", losses.0, losses.1);
}
