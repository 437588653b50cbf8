//! Callbacks driven through their hooks with scripted logs, as a training loop would:
//! early stopping stops at the epoch Keras stops at (Keras's own test cases) and restores
//! the best weights; the learning-rate callbacks set the optimizer's rate; TerminateOnNaN
//! stops a diverging run; the CSV log and the history agree; ModelCheckpoint saves the
//! best epochs.

use staticnet::layers::Dense;
use staticnet::prelude::*;
use staticnet::schedule::StepLr;
use staticnet::train::callbacks::{
    Callback, CallbackError, Control, CsvLogger, EarlyStopping, History, Key, LearningRateScheduler, Logs,
    ModelCheckpoint, MonitorMode, ReduceLROnPlateau, TerminateOnNaN,
};

type Net = Dense<1, 1>;

/// Runs `callback` over one value of `monitor` per epoch, as a loop would, with the model's
/// weight set to the epoch number before each epoch ends (Keras's `DummyModel`). Returns
/// the epochs trained and the final weight.
fn drive(callback: &mut impl Callback<Net>, monitor: &'static str, values: &[f64]) -> (usize, f32) {
    let (mut model, mut sgd) = (Model::<Net>::new(0), Sgd::new(0.1));
    let mut run = Control::new(&mut model, &mut sgd);
    callback.on_train_begin(&mut run).unwrap();
    let mut logs = Logs::new();
    let mut trained = 0;
    for (epoch, &value) in values.iter().enumerate() {
        trained += 1;
        callback.on_epoch_begin(epoch, &mut run).unwrap();
        run.model.params.weight = [[epoch as f32]];
        logs.clear();
        let name = monitor.strip_prefix("val_").unwrap_or(monitor);
        logs.insert(Key { name, validation: name != monitor }, value).unwrap();
        callback.on_epoch_end(epoch, &mut logs, &mut run).unwrap();
        if run.stopped() {
            break;
        }
    }
    callback.on_train_end(&logs, &mut run).unwrap();
    (trained, model.params.weight[0][0])
}

#[test]
fn early_stopping_stops_where_keras_does_for_each_patience() {
    // Keras's test_EarlyStopping_patience: stopped_epoch == max(patience, 1) + 2.
    let losses = [10.0, 9.0, 8.0, 9.0, 8.9, 8.8, 8.7, 8.6, 8.5];
    for patience in 0..4 {
        let mut stopper = EarlyStopping::<Net>::new("loss").patience(patience);
        drive(&mut stopper, "loss", &losses);
        assert_eq!(stopper.stopped_epoch(), Some(patience.max(1) + 2), "patience {patience}");
        assert_eq!((stopper.best(), stopper.best_epoch()), (Some(8.0), 2));
    }
    // Improving every epoch: never stops.
    let mut stopper = EarlyStopping::<Net>::new("loss").patience(1);
    assert_eq!(drive(&mut stopper, "loss", &[5.0, 4.0, 3.0, 2.0]).0, 4);
    assert_eq!(stopper.stopped_epoch(), None);
}

#[test]
fn early_stopping_restores_the_best_weights_and_respects_the_baseline() {
    // Keras's test_EarlyStopping_final_weights_when_restoring_model_weights.
    let mut stopper = EarlyStopping::<Net>::new("val_loss").patience(2).restore_best_weights(true);
    let (trained, weight) = drive(&mut stopper, "val_loss", &[0.2, 0.15, 0.1, 0.11, 0.12]);
    assert_eq!((trained, weight), (5, 2.0), "stopped at epoch 4, weights of epoch 2");
    assert_eq!(stopper.restored_epoch(), Some(2));
    // No epoch beats the baseline: 5 epochs, the weights of the best (epoch 2).
    let mut stopper = EarlyStopping::<Net>::new("val_loss").patience(5).baseline(0.5).restore_best_weights(true);
    let (trained, weight) = drive(&mut stopper, "val_loss", &[0.9, 0.8, 0.7, 0.71, 0.72, 0.73]);
    assert_eq!((trained, weight), (5, 2.0));
    // Without restoring, the model keeps the last epoch's weights.
    let mut stopper = EarlyStopping::<Net>::new("val_loss").patience(2);
    assert_eq!(drive(&mut stopper, "val_loss", &[0.2, 0.15, 0.1, 0.11, 0.12]), (5, 4.0));
    assert_eq!(stopper.restored_epoch(), None);
}

#[test]
fn early_stopping_min_delta_mode_and_start_from_epoch() {
    let losses = [1.0, 0.95, 0.92, 0.91, 0.90];
    // 0.95 is not 0.05 better than 1.0 (Keras: monitor_op(x - min_delta, best)).
    let mut stopper = EarlyStopping::<Net>::new("loss").patience(1).min_delta(0.05);
    drive(&mut stopper, "loss", &losses);
    assert_eq!(stopper.stopped_epoch(), Some(1));
    let mut stopper = EarlyStopping::<Net>::new("loss").patience(1).min_delta(-0.04); // |min_delta|
    drive(&mut stopper, "loss", &losses);
    assert_eq!(stopper.stopped_epoch(), Some(2));
    // Accuracies rise: `auto` watches them as `max`, and `min` would stop at once.
    let accuracy = [0.5, 0.6, 0.7, 0.65, 0.66, 0.64];
    let mut stopper = EarlyStopping::<Net>::new("val_accuracy").patience(2);
    drive(&mut stopper, "val_accuracy", &accuracy);
    assert_eq!((stopper.stopped_epoch(), stopper.best_epoch()), (Some(4), 2));
    let mut stopper = EarlyStopping::<Net>::new("val_accuracy").patience(2).mode(MonitorMode::Min);
    drive(&mut stopper, "val_accuracy", &accuracy);
    assert_eq!(stopper.stopped_epoch(), Some(2));
    // A flat curve: stops `patience` epochs after the first watched one.
    let flat = [1.0; 10];
    let mut stopper = EarlyStopping::<Net>::new("loss").patience(2);
    drive(&mut stopper, "loss", &flat);
    assert_eq!(stopper.stopped_epoch(), Some(2));
    let mut stopper = EarlyStopping::<Net>::new("loss").patience(2).start_from_epoch(3);
    drive(&mut stopper, "loss", &flat);
    assert_eq!((stopper.stopped_epoch(), stopper.best_epoch()), (Some(5), 3));
}

#[test]
fn a_monitor_missing_from_the_logs_is_an_error() {
    let (mut model, mut sgd) = (Model::<Net>::new(0), Sgd::new(0.1));
    let mut run = Control::new(&mut model, &mut sgd);
    let mut logs = Logs::new();
    logs.set("loss", 1.0).unwrap();
    let mut stopper = EarlyStopping::<Net>::default();
    let err = stopper.on_epoch_end(0, &mut logs, &mut run).unwrap_err();
    assert!(matches!(err, CallbackError::MissingLog { .. }));
    assert_eq!(err.to_string(), "EarlyStopping monitors `val_loss`, which the logs do not have");
}

#[test]
fn reduce_lr_on_plateau_cuts_the_optimizer_rate_and_logs_it() {
    let (mut model, mut sgd) = (Model::<Net>::new(0), Sgd::new(0.1));
    let mut run = Control::new(&mut model, &mut sgd);
    let mut plateau = ReduceLROnPlateau::new("val_loss").patience(1).factor(0.5);
    Callback::<Net>::on_train_begin(&mut plateau, &mut run).unwrap();
    let mut rates = Vec::new();
    for (epoch, value) in [1.0, 0.9, 0.9, 0.9, 0.9, 0.8].into_iter().enumerate() {
        let mut logs = Logs::new();
        logs.set_validation("loss", value).unwrap();
        plateau.on_epoch_end(epoch, &mut logs, &mut run).unwrap();
        assert_eq!(logs.get("lr"), Some(f64::from(run.learning_rate())));
        rates.push(run.learning_rate());
    }
    // Cut once 2 epochs (> patience) passed without improvement, PyTorch's rule.
    assert_eq!(rates, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05]);
}

#[test]
fn learning_rate_scheduler_sets_the_rate_per_epoch_or_per_step() {
    let (mut model, mut sgd) = (Model::<Net>::new(0), Sgd::new(1.0));
    let mut run = Control::new(&mut model, &mut sgd);
    let mut per_epoch = LearningRateScheduler::per_epoch(StepLr::new(0.1, 2).gamma(0.5));
    let mut per_step = LearningRateScheduler::per_step(StepLr::new(0.1, 3).gamma(0.1)).starting_at(2);
    let (mut epochs, mut steps) = (Vec::new(), Vec::new());
    for epoch in 0..4 {
        Callback::<Net>::on_epoch_begin(&mut per_epoch, epoch, &mut run).unwrap();
        epochs.push(run.learning_rate());
        Callback::<Net>::on_train_batch_begin(&mut per_step, 0, &mut run).unwrap();
        steps.push(run.learning_rate());
    }
    assert_eq!(epochs, [0.1, 0.1, 0.05, 0.05]);
    assert!((steps[0] - 0.1).abs() < 1e-9 && (steps[1] - 0.01).abs() < 1e-9, "{steps:?}");
}

#[test]
fn terminate_on_nan_stops_a_diverging_run() {
    // SGD on `w` for `(w x - y)^2` with a learning rate past stability: the loss grows
    // by a constant factor per step until it overflows to infinity.
    let (mut model, mut sgd) = (Model::<Net>::new(0), Sgd::new(10.0));
    model.params.weight = [[1.0]];
    let mut run = Control::new(&mut model, &mut sgd);
    let mut nan = TerminateOnNaN::new();
    let mut batches = 0;
    for batch in 0..1000 {
        let w = run.model.params.weight[0][0];
        let loss = (w * 2.0 - 1.0).powi(2);
        run.model.params.weight[0][0] = w - run.learning_rate() * 2.0 * (w * 2.0 - 1.0) * 2.0;
        let mut logs = Logs::new();
        logs.set("loss", f64::from(loss)).unwrap();
        Callback::<Net>::on_train_batch_end(&mut nan, batch, &logs, &mut run).unwrap();
        batches += 1;
        if run.stopped() {
            break;
        }
    }
    assert!(batches < 1000 && nan.batch() == Some(batches - 1), "stopped after batch {:?}", nan.batch());
}

#[test]
fn the_csv_log_and_the_history_agree() {
    let dir = std::env::temp_dir().join(format!("staticnet-callbacks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("log.csv");
    let (mut history, mut csv) = (History::new(), CsvLogger::new(&path));
    let (mut model, mut sgd) = (Model::<Net>::new(0), Sgd::new(0.1));
    let mut run = Control::new(&mut model, &mut sgd);
    let script = [(0.9, 0.5, 0.95), (0.7, 0.6, 0.8), (0.55, 0.75, 0.7)];
    Callback::<Net>::on_train_begin(&mut history, &mut run).unwrap();
    Callback::<Net>::on_train_begin(&mut csv, &mut run).unwrap();
    let mut logs = Logs::new();
    for (epoch, &(loss, accuracy, val_loss)) in script.iter().enumerate() {
        Callback::<Net>::on_epoch_begin(&mut history, epoch, &mut run).unwrap();
        logs.clear();
        logs.set("loss", loss).unwrap();
        logs.set("accuracy", accuracy).unwrap();
        logs.set_validation("loss", val_loss).unwrap();
        history.on_epoch_end(epoch, &mut logs, &mut run).unwrap();
        csv.on_epoch_end(epoch, &mut logs, &mut run).unwrap();
    }
    Callback::<Net>::on_train_end(&mut csv, &logs, &mut run).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "epoch,loss,accuracy,val_loss");
    assert_eq!(lines.len(), 4);
    for (name, column) in [("loss", 1), ("accuracy", 2), ("val_loss", 3)] {
        let from_csv: Vec<f64> =
            lines[1..].iter().map(|l| l.split(',').nth(column).unwrap().parse().unwrap()).collect();
        let from_history: Vec<f64> = history.get(name).into_iter().map(Option::unwrap).collect();
        assert_eq!(from_csv, from_history, "{name}");
    }
    assert_eq!(history.epochs().collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(history.times().len(), 3);
    // Appending continues under the same header.
    let mut more = CsvLogger::new(&path).append(true);
    Callback::<Net>::on_train_begin(&mut more, &mut run).unwrap();
    more.on_epoch_end(3, &mut logs, &mut run).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 5);
    assert_eq!(text.lines().last().unwrap(), "3,0.55,0.75,0.7");
}

#[test]
fn model_checkpoint_saves_the_best_epochs_under_the_pattern() {
    let dir = std::env::temp_dir().join(format!("staticnet-model-checkpoint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pattern = format!("{}/m-{{epoch:02d}}.safetensors", dir.display());
    let mut checkpoint = ModelCheckpoint::new(pattern).save_best_only(true);
    assert_eq!(checkpoint.path_for(0), dir.join("m-01.safetensors"));
    drive(&mut checkpoint, "val_loss", &[0.5, 0.4, 0.45, 0.3]);
    let saved = |e: usize| dir.join(format!("m-{e:02}.safetensors")).exists();
    assert_eq!([1, 2, 3, 4].map(saved), [true, true, false, true]);
    let mut best = Model::<Net>::new(5);
    best.load(dir.join("m-04.safetensors")).unwrap();
    assert_eq!(best.params.weight, [[3.0]], "the model as it was at epoch 4");
    assert_eq!(checkpoint.last_saved(), Some(dir.join("m-04.safetensors").as_path()));
    let mut every = ModelCheckpoint::new(format!("{}/every-{{epoch}}.safetensors", dir.display()));
    drive(&mut every, "val_loss", &[0.5, 0.6]);
    assert!(dir.join("every-1.safetensors").exists() && dir.join("every-2.safetensors").exists());
}

#[test]
fn a_per_step_scheduler_resumes_from_a_checkpoint() {
    use staticnet::train::{Checkpoint, Progress};
    let schedule = StepLr::new(0.1, 3).gamma(0.1);
    let (mut model, mut ws, mut sgd, mut progress) =
        (Model::<Net>::new(0), Workspace::<Net, 1>::new(), Sgd::new(1.0), Progress::default());
    let mut scheduler = LearningRateScheduler::per_step(schedule);
    let mut run = Control::new(&mut model, &mut sgd);
    for batch in 0..4 {
        Callback::<Net>::on_train_batch_begin(&mut scheduler, batch, &mut run).unwrap();
    }
    let bytes =
        Checkpoint::new(&mut model, &mut ws, &mut sgd, &mut progress).with("lr", &mut scheduler).to_bytes().unwrap();
    let mut resumed = LearningRateScheduler::per_step(schedule);
    let (mut model2, mut sgd2) = (Model::<Net>::new(1), Sgd::new(1.0));
    Checkpoint::new(&mut model2, &mut ws, &mut sgd2, &mut progress)
        .with("lr", &mut resumed)
        .load_bytes(&bytes, std::path::Path::new("lr.ckpt"))
        .unwrap();
    let mut run = Control::new(&mut model2, &mut sgd2);
    Callback::<Net>::on_train_batch_begin(&mut resumed, 0, &mut run).unwrap();
    assert!((run.learning_rate() - 0.01).abs() < 1e-9, "step 4 of the run, not step 0: {}", run.learning_rate());
}

/// A loop holds its callbacks as `&mut [&mut dyn Callback<N>]` (no allocation, so also on
/// the firmware): every hook reaches every callback in order, and one that stops ends the run.
#[test]
fn callbacks_run_as_a_list_of_trait_objects() {
    let mut early = EarlyStopping::<Net>::new("loss").patience(1);
    let mut history = History::new();
    let mut nan = TerminateOnNaN::new();
    let callbacks: &mut [&mut dyn Callback<Net>] = &mut [&mut early, &mut history, &mut nan];
    let (mut model, mut sgd) = (Model::<Net>::new(0), Sgd::new(0.1));
    let mut run = Control::new(&mut model, &mut sgd);
    let mut logs = Logs::new();
    let mut epochs = 0;
    for (epoch, loss) in [1.0, 0.5, 0.6, 0.7, 0.8].into_iter().enumerate() {
        for callback in callbacks.iter_mut() {
            callback.on_epoch_begin(epoch, &mut run).unwrap();
        }
        logs.clear();
        logs.set("loss", loss).unwrap();
        for callback in callbacks.iter_mut() {
            callback.on_epoch_end(epoch, &mut logs, &mut run).unwrap();
        }
        epochs += 1;
        if run.stopped() {
            break;
        }
    }
    assert_eq!(epochs, 3, "stopped one epoch after the best (patience 1)");
    assert_eq!(history.len(), 3);
    assert_eq!(early.stopped_epoch(), Some(2));
}
