//! Data-parallel training (`ParallelWorkspace`): against one thread, repeatable bit for
//! bit, errors with rows numbered in the whole batch and the model unchanged, batch norm
//! following the first shard.

use staticnet::prelude::*;

network! {
    struct Mlp { input: [12], fc1: Dense(16), Relu, drop: Dropout(0.0), fc2: Dense(5) }
}

network! {
    struct Normed { input: [6], fc1: Dense(8), bn: BatchNorm, Relu, fc2: Dense(3) }
}

const ROWS: usize = 24;

fn data(step: usize) -> (Vec<[f32; 12]>, Vec<usize>) {
    let x = (0..ROWS).map(|r| core::array::from_fn(|i| (((r + step) * 7 + i * 5) % 13) as f32 / 6.5 - 1.0)).collect();
    let y = (0..ROWS).map(|r| (r * 3 + step) % 5).collect();
    (x, y)
}

/// Parameters after `steps` Adam steps on `threads` threads (0: a plain `Workspace`).
fn trained(threads: usize, steps: usize) -> Vec<f32> {
    let mut model = Model::<Mlp>::new_boxed(3);
    let mut adam = Adam::<Mlp>::new_boxed(1e-2);
    let mut single = Workspace::<Mlp, ROWS>::new_boxed();
    let mut parallel = (threads > 0).then(|| ParallelWorkspace::<Mlp, ROWS>::new_boxed(threads).unwrap());
    for step in 0..steps {
        let (x, y) = data(step);
        let loss = match parallel.as_mut() {
            Some(ws) => ws.train_step(&mut model, &x, &y, &CrossEntropyLoss, &mut *adam),
            None => single.train_step(&mut model, &x, &y, &CrossEntropyLoss, &mut *adam),
        };
        assert!(loss.unwrap().is_finite());
    }
    model.params.as_flat().to_vec()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn one_shard_is_the_single_thread_step_bit_for_bit() {
    assert_eq!(bits(&trained(1, 6)), bits(&trained(0, 6)));
}

#[test]
fn several_threads_repeat_bit_for_bit_and_stay_within_rounding_of_one() {
    let one = trained(0, 6);
    for threads in [2, 3, 5] {
        let first = trained(threads, 6);
        assert_eq!(bits(&first), bits(&trained(threads, 6)), "{threads} threads are not repeatable");
        assert_ne!(bits(&first), bits(&one), "{threads} shards summed differently should round differently");
        for (i, (a, b)) in first.iter().zip(&one).enumerate() {
            assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{threads} threads, parameter {i}: {a} vs {b}");
        }
    }
}

#[test]
fn the_gradient_of_a_batch_is_the_row_weighted_sum_of_its_shards() {
    // 24 rows on 5 threads: shards of 5, 5, 5, 5, 4 rows, weighted 5/24 and 4/24.
    let mut model = Model::<Mlp>::new_boxed(1);
    let (x, y) = data(0);
    let mut parallel = ParallelWorkspace::<Mlp, ROWS>::new_boxed(5).unwrap();
    let loss = parallel.compute_gradients(&mut model, &x, &y, &CrossEntropyLoss).unwrap();
    let mut single = Workspace::<Mlp, ROWS>::new_boxed();
    let want = single.compute_gradients(&mut model, &x, &y, &CrossEntropyLoss).unwrap();
    assert!((loss - want).abs() < 1e-6, "{loss} vs {want}");
    for (a, b) in parallel.grads().as_flat().iter().zip(single.grads().as_flat()) {
        assert!((a - b).abs() <= 1e-6 * (1.0 + b.abs()), "{a} vs {b}");
    }
    // Outputs come back in row order.
    assert_eq!(bits(parallel.outputs().as_flattened()), bits(single.outputs().as_flattened()));
}

#[test]
fn fewer_rows_than_threads_use_fewer_shards() {
    let mut model = Model::<Mlp>::new_boxed(1);
    let (x, y) = data(0);
    let mut parallel = ParallelWorkspace::<Mlp, ROWS>::new_boxed(4).unwrap();
    let mut single = Workspace::<Mlp, ROWS>::new_boxed();
    parallel.compute_gradients(&mut model, &x[..2], &y[..2], &CrossEntropyLoss).unwrap();
    single.compute_gradients(&mut model, &x[..2], &y[..2], &CrossEntropyLoss).unwrap();
    assert_eq!(parallel.outputs().len(), 2);
    for (a, b) in parallel.grads().as_flat().iter().zip(single.grads().as_flat()) {
        assert!((a - b).abs() <= 1e-6 * (1.0 + b.abs()), "{a} vs {b}");
    }
}

#[test]
fn bad_input_in_a_later_shard_is_an_error_naming_its_row_in_the_batch() {
    let mut model = Model::<Mlp>::new_boxed(1);
    let mut adam = Adam::<Mlp>::new_boxed(1e-2);
    let mut ws = ParallelWorkspace::<Mlp, ROWS>::new_boxed(3).unwrap();
    let (mut x, mut y) = data(0);
    ws.train_step(&mut model, &x, &y, &CrossEntropyLoss, &mut *adam).unwrap();
    let before = (bits(model.params.as_flat()), bits(adam.exp_avg().as_flat()), adam.steps());
    let unchanged = |model: &Model<Mlp>, adam: &Adam<Mlp>| {
        assert_eq!((bits(model.params.as_flat()), bits(adam.exp_avg().as_flat()), adam.steps()), before);
    };

    x[19][4] = f32::NAN;
    let error = ws.train_step(&mut model, &x, &y, &CrossEntropyLoss, &mut *adam).unwrap_err();
    assert!(matches!(error, Error::NonFiniteInput { row: 19, index: 4, .. }), "{error}");
    unchanged(&model, &adam);

    x[19][4] = 0.0;
    y[17] = 5;
    let error = ws.train_step(&mut model, &x, &y, &CrossEntropyLoss, &mut *adam).unwrap_err();
    assert!(matches!(error, Error::ClassOutOfRange { row: 17, class: 5, classes: 5 }), "{error}");
    unchanged(&model, &adam);

    let error = ws.train_step(&mut model, &x[..0], &y[..0], &CrossEntropyLoss, &mut *adam).unwrap_err();
    assert_eq!(error, Error::EmptyBatch);
    let error = ws.train_step(&mut model, &x, &y[..3], &CrossEntropyLoss, &mut *adam).unwrap_err();
    assert_eq!(error, Error::TargetCount { outputs: ROWS, targets: 3 });
    unchanged(&model, &adam);
}

#[test]
fn batch_norm_running_statistics_follow_the_first_shard() {
    let x: Vec<[f32; 6]> = (0..8).map(|r| core::array::from_fn(|i| ((r * 5 + i * 3) % 7) as f32 - 3.0)).collect();
    let y: Vec<usize> = (0..8).map(|r| r % 3).collect();
    let mut parallel_model = Model::<Normed>::new_boxed(2);
    let mut first_shard_model = Model::<Normed>::new_boxed(2);
    let mut parallel = ParallelWorkspace::<Normed, 8>::new_boxed(2).unwrap();
    let mut single = Workspace::<Normed, 8>::new_boxed();
    parallel.compute_gradients(&mut parallel_model, &x, &y, &CrossEntropyLoss).unwrap();
    single.compute_gradients(&mut first_shard_model, &x[..4], &y[..4], &CrossEntropyLoss).unwrap();
    assert_eq!(bits(parallel_model.state.as_flat()), bits(first_shard_model.state.as_flat()));
    assert_ne!(bits(parallel_model.state.as_flat()), bits(Model::<Normed>::new_boxed(2).state.as_flat()));
}

#[test]
fn auto_threads_keep_small_networks_on_one_thread() {
    assert_eq!(staticnet::parallel::default_threads::<Mlp, ROWS>(), 1);
    assert_eq!(ParallelWorkspace::<Mlp, ROWS>::new_boxed(0).unwrap().threads(), 1);
    // More threads than rows are cut to the batch capacity.
    assert_eq!(ParallelWorkspace::<Mlp, 2>::new_boxed(8).unwrap().threads(), 2);
}

/// `threads` Adam-family steps (or any optimizer `make` builds) taken by
/// `ParallelWorkspace::train_step`, which splits the optimizer step over the threads,
/// against the same gradients stepped whole on this thread: the same bits, parameters and
/// state.
fn split_step_is_one_step<O: Optimizer<Mlp>>(threads: usize, make: impl Fn() -> O, state: impl Fn(&O) -> Vec<f32>) {
    let mut parallel = ParallelWorkspace::<Mlp, ROWS>::new_boxed(threads).unwrap();
    let (mut split_model, mut whole_model) = (Model::<Mlp>::new_boxed(4), Model::<Mlp>::new_boxed(4));
    let (mut split, mut whole) = (make(), make());
    for step in 0..5 {
        let (x, y) = data(step);
        parallel.compute_gradients(&mut whole_model, &x, &y, &CrossEntropyLoss).unwrap();
        let grads = *parallel.grads();
        whole.step(&mut whole_model.params, &grads);
        parallel.train_step(&mut split_model, &x, &y, &CrossEntropyLoss, &mut split).unwrap();
        assert_eq!(bits(split_model.params.as_flat()), bits(whole_model.params.as_flat()), "step {step}");
        assert_eq!(bits(&state(&split)), bits(&state(&whole)), "step {step}");
    }
}

#[test]
fn the_optimizer_step_split_over_threads_is_one_step_bit_for_bit() {
    let adam_state =
        |o: &AmsGrad<Mlp>| [o.exp_avg().as_flat(), o.exp_avg_sq().as_flat(), o.max_exp_avg_sq().as_flat()].concat();
    for threads in [2, 3, 5] {
        split_step_is_one_step(threads, || AmsGrad::<Mlp>::new(1e-2).weight_decay(0.1), adam_state);
        split_step_is_one_step(threads, || Adam::<Mlp>::new(1e-2), |o| o.exp_avg_sq().as_flat().to_vec());
        split_step_is_one_step(threads, || AdamW::<Mlp>::new(1e-2), |o| o.exp_avg().as_flat().to_vec());
        split_step_is_one_step(
            threads,
            || RmsProp::<Mlp, WithBuffer, WithBuffer>::new(1e-2).momentum(0.5),
            |o| [o.square_avg().as_flat(), o.momentum_buffer().as_flat(), o.grad_avg().as_flat()].concat(),
        );
        split_step_is_one_step(
            threads,
            || Momentum::<Mlp>::new_nesterov(0.1, 0.9),
            |o| o.momentum_buffer().as_flat().to_vec(),
        );
        split_step_is_one_step(threads, || NAdam::<Mlp>::new(1e-2), |o| o.exp_avg().as_flat().to_vec());
        split_step_is_one_step(threads, || Adamax::<Mlp>::new(1e-2), |o| o.exp_inf().as_flat().to_vec());
        split_step_is_one_step(threads, || Adagrad::<Mlp>::new(1e-2), |o| o.sum().as_flat().to_vec());
        split_step_is_one_step(threads, || Sgd::<Mlp>::new(1e-2), |_| Vec::new());
    }
}

/// An optimizer of the user's that keeps `begin_step_in_parts`' default (it steps whole).
struct HalfSgd(Sgd<Mlp>);

impl Optimizer<Mlp> for HalfSgd {
    fn step(&mut self, params: &mut <Mlp as staticnet::Forward>::Params, grads: &<Mlp as staticnet::Forward>::Params) {
        let half = self.0.lr / 2.0;
        for (p, g) in params.as_flat_mut().iter_mut().zip(grads.as_flat()) {
            *p -= half * g;
        }
    }
    fn learning_rate(&self) -> f32 {
        self.0.lr
    }
    fn set_learning_rate(&mut self, lr: f32) {
        self.0.lr = lr;
    }
    fn visit_state(&mut self, _visitor: &mut dyn staticnet::state::StateVisitor) {}
}

#[test]
fn an_optimizer_that_only_steps_whole_trains_on_the_calling_thread() {
    split_step_is_one_step(3, || HalfSgd(Sgd::new(0.2)), |_| Vec::new());
    split_step_is_one_step(3, || Sgd::<Mlp>::new(0.1), |_| Vec::new());
}
