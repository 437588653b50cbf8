//! `fit`, Keras's training loop: it trains exactly as the hand-written loop does, reports
//! losses and metrics per epoch, stops early, validates, and refuses bad set-ups.

use staticnet::prelude::*;
use staticnet::train::callbacks::{Callback, EarlyStopping, History, LambdaCallback, ReduceLROnPlateau};
use staticnet::train::metrics::{Accuracy, MeanSquaredError, R2Score};
use staticnet::train::{FitError, fit, train_epoch_loss};

network! {
    struct Blobs { input: [2], fc1: Dense(8), Tanh, fc2: Dense(3) }
}

network! {
    struct Line { input: [3], fc: Dense(1) }
}

/// Three clusters of 2-D points, `n` per class, in an order that mixes them.
fn blobs(n: usize, seed: u64) -> Dataset<2, usize> {
    let centres = [[0.0, 1.0], [1.0, -1.0], [-1.0, -0.5]];
    let (mut inputs, mut targets) = (Vec::new(), Vec::new());
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut noise = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    for i in 0..3 * n {
        let c = i % 3;
        inputs.push([centres[c][0] + 0.6 * noise(), centres[c][1] + 0.6 * noise()]);
        targets.push(c);
    }
    Dataset::new(inputs, targets).unwrap()
}

#[test]
fn fit_trains_exactly_as_the_hand_written_epoch_loop() {
    let data = blobs(20, 1);
    let (mut by_hand, mut by_fit) = (Model::<Blobs>::new(3), Model::<Blobs>::new(3));
    let (mut ws1, mut ws2) = (Workspace::<Blobs, 8>::new(), Workspace::<Blobs, 8>::new());
    let (mut sgd1, mut sgd2) = (Sgd::new(0.1), Sgd::new(0.1));
    let mut losses = Vec::new();
    for _ in 0..3 {
        losses.push(train_epoch_loss(&mut ws1, &mut by_hand, &data, &CrossEntropyLoss, &mut sgd1).unwrap());
    }
    let mut train = data.clone();
    let history = fit(&mut by_fit, &mut ws2, &mut sgd2, &CrossEntropyLoss)
        .epochs(3)
        .shuffle(false)
        .verbose(0)
        .run(&mut train)
        .unwrap();
    assert_eq!(by_fit.params.as_flat(), by_hand.params.as_flat(), "bit-identical parameters");
    let fit_losses: Vec<f64> = history.get("loss").into_iter().map(Option::unwrap).collect();
    assert_eq!(fit_losses, losses);
    assert_eq!(history.get("lr"), vec![Some(f64::from(0.1f32)); 3]);
    assert_eq!(history.len(), 3);
}

#[test]
fn fit_reports_metrics_and_validation_and_learns() {
    let (mut train, mut val) = (blobs(40, 2), blobs(20, 3));
    let mut model = Model::<Blobs>::new(0);
    let mut ws = Workspace::<Blobs, 16>::new();
    let mut adam = Adam::<Blobs>::new(0.05);
    let mut accuracy = Accuracy::new();
    let history = fit(&mut model, &mut ws, &mut adam, &CrossEntropyLoss)
        .epochs(30)
        .batch_size(10)
        .seed(7)
        .verbose(0)
        .metrics(&mut [&mut accuracy])
        .validation_data(&mut val)
        .validation_freq(2)
        .run(&mut train)
        .unwrap();
    assert_eq!(history.len(), 30);
    let val_loss = history.get("val_loss");
    // Every second epoch is validated (Keras's validation_freq).
    assert!(val_loss.iter().step_by(2).all(Option::is_none) && val_loss.iter().skip(1).step_by(2).all(Option::is_some));
    let loss = history.get("loss");
    assert!(loss[29].unwrap() < 0.5 * loss[0].unwrap(), "{loss:?}");
    assert!(history.get("val_accuracy")[29].unwrap() >= 0.9, "{:?}", history.get("val_accuracy"));
    assert!(history.get("accuracy")[29].unwrap() >= 0.9);
    // The validation loss is the mean loss over the validation data in evaluation mode.
    let last = history.get("val_loss")[29].unwrap();
    let check = staticnet::train::evaluate_loss(&mut ws, &model, &val, &CrossEntropyLoss).unwrap();
    assert!((last - check).abs() < 1e-6, "{last} vs {check}");
}

#[test]
fn early_stopping_ends_the_run_after_patience_epochs_without_improvement() {
    let (mut train, mut val) = (blobs(10, 4), blobs(10, 5));
    let mut model = Model::<Blobs>::new(0);
    let mut ws = Workspace::<Blobs, 8>::new();
    // A learning rate of 0: the validation loss never improves after the first epoch.
    let mut sgd = Sgd::new(0.0);
    let mut early = EarlyStopping::new("val_loss").patience(2);
    let history = fit(&mut model, &mut ws, &mut sgd, &CrossEntropyLoss)
        .epochs(20)
        .verbose(0)
        .validation_data(&mut val)
        .callbacks(&mut [&mut early])
        .run(&mut train)
        .unwrap();
    assert_eq!(history.len(), 3, "the best epoch, then two without improvement");
    assert_eq!(early.stopped_epoch(), Some(2));
}

#[test]
fn regression_reports_mse_and_r2() {
    let w = [0.5f32, -1.0, 2.0];
    let inputs: Vec<[f32; 3]> =
        (0..64).map(|i| [(i % 7) as f32 / 7.0, (i % 5) as f32 / 5.0, (i % 3) as f32 / 3.0]).collect();
    let targets: Vec<[f32; 1]> =
        inputs.iter().map(|x| [x.iter().zip(w).map(|(x, w)| x * w).sum::<f32>() + 0.3]).collect();
    let mut train = Dataset::new(inputs, targets).unwrap();
    let mut model = Model::<Line>::new(0);
    let mut ws = Workspace::<Line, 16>::new();
    let mut sgd = Sgd::new(0.3);
    let (mut mse, mut r2) = (MeanSquaredError::new(), R2Score::new());
    let history = fit(&mut model, &mut ws, &mut sgd, &MseLoss)
        .epochs(200)
        .verbose(0)
        .metrics(&mut [&mut mse, &mut r2])
        .run(&mut train)
        .unwrap();
    let last = history.logs().last().unwrap();
    // The training loss is the mean of the steps' MSE, the metric the MSE of the same outputs.
    assert!((last.get("loss").unwrap() - last.get("mse").unwrap()).abs() < 1e-6);
    assert!(last.get("r2").unwrap() > 0.999, "{:?}", last.get("r2"));
}

#[test]
fn bad_set_ups_and_bad_data_are_errors_that_leave_the_model_as_it_was() {
    let mut model = Model::<Blobs>::new(0);
    let before = model.params;
    let mut ws = Workspace::<Blobs, 8>::new();
    let mut sgd = Sgd::new(0.1);
    let mut train = blobs(5, 1);
    let err =
        fit(&mut model, &mut ws, &mut sgd, &CrossEntropyLoss).batch_size(9).verbose(0).run(&mut train).unwrap_err();
    assert_eq!(err.to_string(), "batch_size 9: it must be from 1 to the workspace's capacity, 8");
    let mut empty = Dataset::<2, usize>::new(vec![], vec![]).unwrap();
    let err = fit(&mut model, &mut ws, &mut sgd, &CrossEntropyLoss).verbose(0).run(&mut empty).unwrap_err();
    assert_eq!(err.to_string(), "the training data have no samples");
    // A label out of range, and a NaN: found before the first step, named by position.
    let mut bad = blobs(4, 1);
    bad.targets[9] = 3;
    let err = fit(&mut model, &mut ws, &mut sgd, &CrossEntropyLoss).verbose(0).run(&mut bad).unwrap_err();
    assert_eq!(err.to_string(), "training data: target row 9 is class 3, out of range for 3 classes");
    let (mut nan, mut val) = (blobs(4, 1), blobs(4, 2));
    val.inputs[10][1] = f32::NAN;
    let err = fit(&mut model, &mut ws, &mut sgd, &CrossEntropyLoss)
        .verbose(0)
        .validation_data(&mut val)
        .run(&mut nan)
        .unwrap_err();
    assert!(matches!(err, FitError::Data { validation: true, error: Error::NonFiniteInput { row: 10, index: 1, .. } }));
    assert_eq!(model.params.as_flat(), before.as_flat(), "nothing trained");
    // A step that fails mid-run (finite inputs whose loss overflows): named by epoch and
    // batch, the parameters those of the batch before.
    let inputs: Vec<[f32; 3]> = (0..16).map(|i| if i == 9 { [3e38; 3] } else { [0.1 * i as f32; 3] }).collect();
    let mut huge = Dataset::new(inputs, vec![[1.0f32]; 16]).unwrap();
    let mut line = Model::<Line>::new(0);
    let mut ws = Workspace::<Line, 8>::new();
    let mut first_only = line.clone();
    ws.train_step(&mut first_only, &huge.inputs[..8], &huge.targets[..8], &MseLoss, &mut Sgd::new(0.1)).unwrap();
    let err =
        fit(&mut line, &mut ws, &mut Sgd::new(0.1), &MseLoss).shuffle(false).verbose(0).run(&mut huge).unwrap_err();
    assert!(matches!(err, FitError::Step { epoch: 0, batch: 1, validation: false, .. }), "{err:?}");
    assert!(err.to_string().starts_with("epoch 1, batch 2: "), "{err}");
    assert_eq!(line.params.as_flat(), first_only.params.as_flat());
}

#[test]
fn validation_split_holds_out_the_last_samples_as_keras_does() {
    // 60 samples, 0.25 validate: the first 45 train, the last 15 validate, exactly as
    // training on the first 45 with the last 15 as validation data.
    let data = blobs(20, 6);
    let (head, tail) =
        (data.select(&(0..45).collect::<Vec<_>>()).unwrap(), data.select(&(45..60).collect::<Vec<_>>()).unwrap());
    let (mut split_model, mut explicit_model) = (Model::<Blobs>::new(1), Model::<Blobs>::new(1));
    let mut ws = Workspace::<Blobs, 8>::new();
    let run = |model: &mut Model<Blobs>,
               ws: &mut Workspace<Blobs, 8>,
               train: &mut Dataset<2, usize>,
               val: Option<&mut Dataset<2, usize>>| {
        let mut sgd = Sgd::new(0.1);
        let setup = fit(model, ws, &mut sgd, &CrossEntropyLoss).epochs(3).seed(4).verbose(0);
        match val {
            Some(val) => setup.validation_data(val).run(train),
            None => setup.validation_split(0.25).run(train),
        }
        .unwrap()
    };
    let mut train = data.clone();
    let by_split = run(&mut split_model, &mut ws, &mut train, None);
    assert_eq!(train, data, "the source keeps its order: only the training part is shuffled, in an order of its own");
    let (mut head_train, mut tail_val) = (head, tail);
    let explicit = run(&mut explicit_model, &mut ws, &mut head_train, Some(&mut tail_val));
    assert!(by_split.get("val_loss").iter().all(Option::is_some));
    assert_eq!(by_split.get("val_loss"), explicit.get("val_loss"), "the same validation data");
    assert_eq!(by_split.get("loss"), explicit.get("loss"), "the same training data, shuffled the same way");
    assert_eq!(split_model.params.as_flat(), explicit_model.params.as_flat());
}

#[test]
fn a_validation_split_that_leaves_a_side_empty_is_an_error() {
    let mut model = Model::<Blobs>::new(0);
    let before = model.params;
    let mut ws = Workspace::<Blobs, 8>::new();
    let mut sgd = Sgd::new(0.1);
    let mut train = blobs(20, 1);
    for fraction in [0.0, 1.0, -0.2, 1.5, f64::NAN, 0.99, 1e-17] {
        let err = fit(&mut model, &mut ws, &mut sgd, &CrossEntropyLoss)
            .verbose(0)
            .validation_split(fraction)
            .run(&mut train)
            .unwrap_err();
        assert!(matches!(err, FitError::ValidationSplit { samples: 60, .. }), "{fraction}: {err:?}");
        assert_eq!(
            err.to_string(),
            format!(
                "validation_split {fraction} of 60 samples: it must be between 0 and 1 (exclusive) and leave at least one training and one validation sample"
            )
        );
    }
    let mut val = blobs(2, 2);
    let err = fit(&mut model, &mut ws, &mut sgd, &CrossEntropyLoss)
        .verbose(0)
        .validation_data(&mut val)
        .validation_split(0.2)
        .run(&mut train)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "validation_split cannot be used with validation_data: pass the validation samples as validation_data"
    );
    // A NaN among the held-out samples is named by its row in the source, and trains nothing.
    let mut nan = blobs(20, 1);
    nan.inputs[55][0] = f32::NAN;
    let err = fit(&mut model, &mut ws, &mut sgd, &CrossEntropyLoss)
        .verbose(0)
        .validation_split(0.2)
        .run(&mut nan)
        .unwrap_err();
    assert!(
        matches!(err, FitError::Data { validation: true, error: Error::NonFiniteInput { row: 55, index: 0, .. } }),
        "{err:?}"
    );
    let mut buffers = staticnet::train::BatchBuffers::<2, usize, 8>::default();
    let err = fit(&mut model, &mut ws, &mut sgd, &CrossEntropyLoss)
        .validation_split(0.2)
        .run_in(&mut train, &mut buffers, &mut staticnet::train::callbacks::History::new())
        .unwrap_err();
    assert!(matches!(err, FitError::ValidationSplitWith { with: "run_in" }), "{err:?}");
    assert_eq!(model.params.as_flat(), before.as_flat(), "nothing trained");
}

/// `epochs` of Adam on `blobs(15, 8)` with a quarter held out, from `initial_epoch`.
fn plateau_run<'a>(
    ws: &'a mut Workspace<Blobs, 8>,
    model: &'a mut Model<Blobs>,
    adam: &'a mut Adam<Blobs>,
    callbacks: &'a mut [&'a mut dyn Callback<Blobs>],
    epochs: (usize, usize),
) -> History {
    let mut data = blobs(15, 8);
    fit(model, ws, adam, &CrossEntropyLoss)
        .initial_epoch(epochs.0)
        .epochs(epochs.1)
        .seed(5)
        .verbose(0)
        .validation_split(0.25)
        .callbacks(callbacks)
        .run(&mut data)
        .unwrap()
}

#[test]
fn a_run_resumed_from_a_checkpoint_stops_and_reduces_where_the_uninterrupted_run_does() {
    use staticnet::train::{Checkpoint, Progress};
    let early = || EarlyStopping::new("val_loss").min_delta(0.02).patience(4).restore_best_weights(true);
    let plateau = || ReduceLROnPlateau::new("val_loss").patience(1).factor(0.5).min_delta(0.02);
    let fresh = |seed| (Model::<Blobs>::new(seed), Adam::<Blobs>::new(0.05), early(), plateau());
    let (mut model, mut adam, mut stop, mut cut) = fresh(2);
    let whole = plateau_run(&mut Workspace::new(), &mut model, &mut adam, &mut [&mut stop, &mut cut], (0, 60));
    let stopped = stop.stopped_epoch().expect("the uninterrupted run stops early");
    let lrs: Vec<f64> = whole.get("lr").into_iter().map(Option::unwrap).collect();
    assert!(lrs.last() < lrs.first(), "the rate was cut: {lrs:?}");
    // Interrupted two epochs before it stopped, with wait and the plateau counters
    // running: the checkpoint holds the weights as they were at the interruption (the
    // first callback copies them before early stopping restores the best ones).
    let cut_at = stopped - 1;
    assert!(stop.best_epoch() < cut_at, "the best epoch is before the interruption");
    let (mut first, mut adam1, mut stop1, mut cut1) = fresh(2);
    let mut at_interruption = first.params;
    let mut keep = LambdaCallback::new().with_train_end(|_, run| {
        at_interruption = run.model.params;
        Ok(())
    });
    plateau_run(&mut Workspace::new(), &mut first, &mut adam1, &mut [&mut keep, &mut stop1, &mut cut1], (0, cut_at));
    drop(keep);
    assert_eq!(stop1.stopped_epoch(), None);
    first.params = at_interruption;
    let mut ws = Workspace::<Blobs, 8>::new();
    let mut progress = Progress { epoch: cut_at as u64, step: 0 };
    let bytes = Checkpoint::new(&mut first, &mut ws, &mut adam1, &mut progress)
        .with("early_stopping", &mut stop1)
        .with("reduce_lr", &mut cut1)
        .to_bytes()
        .unwrap();
    // A new process: fresh model, optimizer and callbacks, all restored from the bytes.
    let resume = |with_callbacks: bool| {
        let (mut model, mut adam, mut stop, mut cut) = fresh(9);
        let (mut ws, mut progress) = (Workspace::<Blobs, 8>::new(), Progress::default());
        Checkpoint::new(&mut model, &mut ws, &mut adam, &mut progress)
            .with("early_stopping", &mut stop)
            .with("reduce_lr", &mut cut)
            .load_bytes(&bytes, std::path::Path::new("run.ckpt"))
            .unwrap();
        assert_eq!(progress.epoch as usize, cut_at);
        if !with_callbacks {
            (stop, cut) = (early(), plateau());
        }
        let callbacks: &mut [&mut dyn Callback<Blobs>] = &mut [&mut stop, &mut cut];
        let history = plateau_run(&mut ws, &mut model, &mut adam, callbacks, (progress.epoch as usize, 60));
        (model, history, stop.stopped_epoch(), stop.restored_epoch())
    };
    let (resumed, rest, stopped_again, restored) = resume(true);
    assert_eq!(stopped_again, Some(stopped), "stops at the same epoch");
    assert_eq!(restored, stop.restored_epoch(), "restores the same best epoch");
    assert_eq!(rest.get("lr"), whole.get("lr")[cut_at..].to_vec(), "the same rates");
    assert_eq!(rest.get("val_loss"), whole.get("val_loss")[cut_at..].to_vec());
    assert_eq!(resumed.params.as_flat(), model.params.as_flat(), "bit-identical final weights");
    // The same resumption with the callbacks starting afresh stops elsewhere.
    assert_ne!(resume(false).2, Some(stopped));
}

/// Parameters, loss history and accuracy history after 3 epochs of `fit` on `threads`.
fn fit_on(threads: usize) -> (Vec<f32>, Vec<f64>, Vec<f64>) {
    let mut train = blobs(40, 2);
    let mut model = Model::<Blobs>::new(5);
    let mut ws = Workspace::<Blobs, 24>::new();
    let mut adam = Adam::<Blobs>::new(1e-2);
    let mut accuracy = Accuracy::new();
    let history = fit(&mut model, &mut ws, &mut adam, &CrossEntropyLoss)
        .epochs(3)
        .seed(9)
        .threads(threads)
        .metrics(&mut [&mut accuracy])
        .verbose(0)
        .run(&mut train)
        .unwrap();
    let values = |key: &str| history.get(key).into_iter().map(Option::unwrap).collect();
    (model.params.as_flat().to_vec(), values("loss"), values("accuracy"))
}

#[test]
fn fit_on_several_threads_repeats_and_agrees_with_one_thread_within_rounding() {
    let (one, one_loss, one_accuracy) = fit_on(1);
    let (two, two_loss, two_accuracy) = fit_on(3);
    assert_eq!(fit_on(3).0, two, "three threads repeat bit for bit");
    assert_ne!(one, two, "shards summed separately round differently");
    for (a, b) in two.iter().zip(&one) {
        assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{a} vs {b}");
    }
    for (a, b) in two_loss.iter().zip(&one_loss) {
        assert!((a - b).abs() <= 1e-5 * b.abs(), "epoch loss {a} vs {b}");
    }
    // The metrics see every row's output, in order, from the shards.
    assert_eq!(two_accuracy, one_accuracy);
    // The blobs network is small: the default keeps it on one thread, bit for bit.
    assert_eq!(fit_on(0).0, one);
}

#[test]
fn fit_with_a_fused_workspace_trains_bit_for_bit_as_with_a_workspace() {
    let (mut train, mut val) = (blobs(30, 4), blobs(10, 5));
    let (mut unfused, mut fused) = (Model::<Blobs>::new(2), Model::<Blobs>::new(2));
    let (mut ws, mut fws) = (Workspace::<Blobs, 8>::new(), FusedWorkspace::<Blobs, 8>::new());
    let (mut adam, mut fused_adam) = (Adam::<Blobs>::new(0.05), Adam::<Blobs>::new(0.05));
    let (mut accuracy, mut fused_accuracy) = (Accuracy::new(), Accuracy::new());
    let history = fit(&mut unfused, &mut ws, &mut adam, &CrossEntropyLoss)
        .epochs(4)
        .seed(3)
        .verbose(0)
        .metrics(&mut [&mut accuracy])
        .validation_data(&mut val)
        .run(&mut train.clone())
        .unwrap();
    let fused_history = fit(&mut fused, &mut fws, &mut fused_adam, &CrossEntropyLoss)
        .epochs(4)
        .seed(3)
        .verbose(0)
        .metrics(&mut [&mut fused_accuracy])
        .validation_data(&mut val)
        .run(&mut train)
        .unwrap();
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(fused.params.as_flat()), bits(unfused.params.as_flat()));
    for key in ["loss", "accuracy", "val_loss", "val_accuracy"] {
        assert_eq!(fused_history.get(key), history.get(key), "{key}");
        assert!(history.get(key).iter().all(Option::is_some), "{key} is logged");
    }
}

#[test]
fn a_fused_workspace_trains_on_one_thread_and_refuses_more() {
    let mut train = blobs(10, 3);
    let mut model = Model::<Blobs>::new(1);
    let mut ws = FusedWorkspace::<Blobs, 8>::new();
    let mut sgd = Sgd::new(0.1);
    let error =
        fit(&mut model, &mut ws, &mut sgd, &CrossEntropyLoss).threads(2).verbose(0).run(&mut train).unwrap_err();
    assert!(matches!(error, FitError::FusedThreads { threads: 2 }), "{error}");
    assert!(error.to_string().starts_with("threads(2) with a FusedWorkspace"), "{error}");
    assert_eq!(model.params.as_flat(), Model::<Blobs>::new(1).params.as_flat(), "nothing trained");
    fit(&mut model, &mut ws, &mut sgd, &CrossEntropyLoss).threads(1).verbose(0).run(&mut train).unwrap();
}
