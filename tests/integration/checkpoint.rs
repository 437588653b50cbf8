//! Training checkpoints: 2N steps in one go equal N steps, a checkpoint written to disk,
//! a load into a fresh model, workspace, optimizer and schedule, and N more, bit for bit,
//! with dropout, batch norm, Adam and a plateau schedule. A checkpoint of another network,
//! optimizer or version, or a truncated or corrupt file, is a one-line error that changes
//! nothing.

use staticnet::optim::{AdamW, Optimizer};
use staticnet::prelude::*;
use staticnet::schedule::ReduceLrOnPlateau;
use staticnet::state::StateVisitor;
use staticnet::train::{Checkpoint, CheckpointError, Progress};
use std::path::{Path, PathBuf};

network! {
    struct Net {
        input: [5],
        fc1: Dense(8),
        bn: BatchNorm,
        Relu,
        drop: Dropout(0.4),
        fc2: Dense(3),
    }
}

network! {
    /// The names of `Net`, another hidden width.
    struct Wider {
        input: [5],
        fc1: Dense(9),
        bn: BatchNorm,
        Relu,
        drop: Dropout(0.4),
        fc2: Dense(3),
    }
}

const STEPS_PER_EPOCH: u64 = 3;

fn temp_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("staticnet-checkpoint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn batch(step: u64) -> ([[f32; 5]; 4], [usize; 4]) {
    let s = step as usize;
    let x = core::array::from_fn(|r| core::array::from_fn(|i| ((s * 7 + r * 3 + i) % 11) as f32 / 5.0 - 1.0));
    (x, core::array::from_fn(|r| (s + r) % 3))
}

/// A run: the model, its workspace, Adam, a plateau schedule observed every epoch, and
/// where it is.
struct Run {
    model: Model<Net>,
    ws: Workspace<Net, 4>,
    adam: Adam<Net>,
    plateau: ReduceLrOnPlateau,
    progress: Progress,
    epoch_loss: f32,
}

impl Run {
    fn new(seed: u64) -> Self {
        let model = Model::<Net>::new(seed);
        let mut ws = Workspace::new();
        ws.seed(&model, 11);
        let plateau = ReduceLrOnPlateau::new(0.05).patience(0).factor(0.5);
        Run { model, ws, adam: Adam::new(0.05), plateau, progress: Progress::default(), epoch_loss: 0.0 }
    }

    fn steps(&mut self, n: u64) {
        for _ in 0..n {
            let (x, y) = batch(self.progress.step);
            let loss = self.ws.train_step(&mut self.model, &x, &y, &CrossEntropyLoss, &mut self.adam).unwrap();
            self.epoch_loss += loss;
            self.progress.step += 1;
            if self.progress.step.is_multiple_of(STEPS_PER_EPOCH) {
                // Rising on purpose every other epoch, so that the plateau cuts the rate.
                let metric = self.epoch_loss + (self.progress.epoch % 2) as f32;
                self.plateau.observe_and_apply(metric, &mut self.adam);
                self.progress.epoch += 1;
                self.epoch_loss = 0.0;
            }
        }
    }

    fn checkpoint(&mut self) -> Checkpoint<'_, Net, Adam<Net>, 4> {
        Checkpoint::new(&mut self.model, &mut self.ws, &mut self.adam, &mut self.progress)
            .with("schedule", &mut self.plateau)
    }

    /// Every value a checkpoint holds: its data section (the metadata's order varies).
    fn values(&mut self) -> Vec<u8> {
        let bytes = self.checkpoint().to_bytes().unwrap();
        bytes[8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize..].to_vec()
    }

    /// Everything that must not change on a failed load.
    fn snapshot(&mut self) -> (Vec<f32>, Vec<f32>, Vec<u8>, Progress) {
        (self.model.params.as_flat().to_vec(), self.model.state.as_flat().to_vec(), self.values(), self.progress)
    }
}

#[test]
fn a_checkpoint_resumes_bit_for_bit_with_dropout_adam_and_a_schedule() {
    let n = 10;
    let mut straight = Run::new(1);
    straight.steps(2 * n);
    assert!(straight.plateau.lr() < 0.05, "the schedule moved: {}", straight.plateau.lr());

    let mut first = Run::new(1);
    first.steps(n);
    let path = temp_file("resume.ckpt");
    first.checkpoint().save(&path).unwrap();
    // Carried over by hand, as a resumed program would (not state the checkpoint holds).
    let partial_loss = first.epoch_loss;

    let mut resumed = Run::new(99);
    resumed.ws = Workspace::new(); // unseeded: the checkpoint restores the streams
    resumed.checkpoint().load(&path).unwrap();
    resumed.epoch_loss = partial_loss;
    assert_eq!(resumed.progress, Progress { epoch: n / STEPS_PER_EPOCH, step: n });
    assert_eq!(resumed.adam.learning_rate(), first.adam.learning_rate());
    resumed.steps(n);

    assert_eq!(resumed.model.params.as_flat(), straight.model.params.as_flat(), "parameters bit for bit");
    assert_eq!(resumed.model.state.as_flat(), straight.model.state.as_flat(), "running statistics");
    assert_eq!(resumed.plateau, straight.plateau);
    assert_eq!(resumed.progress, straight.progress);
    assert_eq!(resumed.values(), straight.values(), "optimizer state, streams and all");

    // Without the dropout streams the masks differ, and so do the parameters.
    let mut reseeded = Run::new(99);
    reseeded.checkpoint().load(&path).unwrap();
    reseeded.ws.seed(&reseeded.model, 11);
    reseeded.epoch_loss = partial_loss;
    reseeded.steps(n);
    assert_ne!(reseeded.model.params.as_flat(), straight.model.params.as_flat());
}

/// Loads `bytes` into a trained run and checks that the error is `want` and nothing moved.
fn refused(run: &mut Run, bytes: &[u8], want: &str) -> CheckpointError {
    let before = run.snapshot();
    let err = run.checkpoint().load_bytes(bytes, Path::new("run.ckpt")).unwrap_err();
    assert_eq!(err.to_string(), want);
    assert_eq!(run.snapshot(), before, "a refused checkpoint changes nothing");
    err
}

#[test]
fn checkpoints_of_another_network_optimizer_or_version_are_refused() {
    let mut run = Run::new(1);
    run.steps(4);
    let bytes = run.checkpoint().to_bytes().unwrap();
    let mut target = Run::new(2);
    target.steps(2);

    // Another network with the same tensor names.
    let mut wider = Model::<Wider>::new(0);
    let (mut ws, mut adam, mut progress) = (Workspace::<Wider, 4>::new(), Adam::<Wider>::new(0.1), Progress::default());
    let other = Checkpoint::new(&mut wider, &mut ws, &mut adam, &mut progress).to_bytes().unwrap();
    let err = refused(
        &mut target,
        &other,
        "run.ckpt: checkpoint of network `Wider` (fnv1a64:57b3c6f58cf890b8), this run trains `Net` (fnv1a64:ce6407930488d2a1)",
    );
    assert!(matches!(err, CheckpointError::Network { .. }), "{err}");

    // Another optimizer (AdamW keeps the same buffers as Adam).
    let mut model = Model::<Net>::new(0);
    let (mut ws, mut adamw, mut progress) = (Workspace::<Net, 4>::new(), AdamW::<Net>::new(0.1), Progress::default());
    let mut plateau = ReduceLrOnPlateau::new(0.1);
    let other = Checkpoint::new(&mut model, &mut ws, &mut adamw, &mut progress)
        .with("schedule", &mut plateau)
        .to_bytes()
        .unwrap();
    let err = refused(&mut target, &other, "run.ckpt: checkpoint of optimizer AdamW, this run uses Adam");
    assert!(matches!(err, CheckpointError::Optimizer { .. }));

    // Another format version (the same length, so the header stays valid).
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let at = text.find("\"staticnet.checkpoint\":\"1\"").unwrap() + "\"staticnet.checkpoint\":\"".len();
    let mut version = bytes.clone();
    version[at] = b'7';
    refused(&mut target, &version, "run.ckpt: checkpoint format version 7, this staticnet reads version 1");

    // A model file is not a checkpoint.
    refused(
        &mut target,
        &run.model.to_safetensors().unwrap(),
        "run.ckpt: not a training checkpoint (no `staticnet.checkpoint` in its metadata)",
    );

    // Parts that differ: a schedule the run does not have, or lacks.
    let mut model = Model::<Net>::new(0);
    let (mut ws, mut adam, mut progress) = (Workspace::<Net, 4>::new(), Adam::<Net>::new(0.1), Progress::default());
    let without = Checkpoint::new(&mut model, &mut ws, &mut adam, &mut progress).to_bytes().unwrap();
    refused(&mut target, &without, "run.ckpt: `schedule.lr` is missing");
    let mut plain = Checkpoint::new(&mut model, &mut ws, &mut adam, &mut progress);
    let before = model_params(&mut plain);
    let err = plain.load_bytes(&bytes, Path::new("run.ckpt")).unwrap_err();
    assert_eq!(err.to_string(), "run.ckpt: `schedule.best` is not part of this run");
    assert_eq!(model_params(&mut plain), before);
}

fn model_params(checkpoint: &mut Checkpoint<'_, Net, Adam<Net>, 4>) -> Vec<u8> {
    let bytes = checkpoint.to_bytes().unwrap();
    bytes[8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize..].to_vec()
}

#[test]
fn truncated_and_corrupt_checkpoint_files_are_refused() {
    let mut run = Run::new(1);
    run.steps(4);
    let path = temp_file("corrupt.ckpt");
    run.checkpoint().save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let mut target = Run::new(2);
    target.steps(2);
    for cut in [0, 5, bytes.len() / 2, bytes.len() - 1] {
        let err = target.checkpoint().load_bytes(&bytes[..cut], Path::new("run.ckpt")).unwrap_err();
        assert!(matches!(err, CheckpointError::Format { .. }), "cut at {cut}: {err}");
        assert!(err.to_string().starts_with("run.ckpt: not a valid safetensors file: "), "{err}");
    }
    // A flipped bit anywhere in the data (the last 64 bytes hold the Adam step, progress,
    // the dropout stream and the schedule's state).
    let start = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    for offset in [start, start + (bytes.len() - start) / 2, bytes.len() - 1] {
        let mut flipped = bytes.clone();
        flipped[offset] ^= 0x10;
        refused(&mut target, &flipped, "run.ckpt: corrupt: the tensors do not match their checksum");
    }
    let missing = temp_file("no-such-dir/x.ckpt");
    let err = target.checkpoint().load(&missing).unwrap_err();
    assert!(matches!(err, CheckpointError::Io { .. }));
    assert!(matches!(target.checkpoint().save(&missing), Err(CheckpointError::Io { .. })));
    // The save replaced the file whole: no temporary left next to it.
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(names.iter().all(|n| !n.to_string_lossy().ends_with(".tmp")), "{names:?}");
}

/// Optimizer state is saved under PyTorch's names.
#[test]
fn checkpoints_name_the_optimizer_state_as_pytorch() {
    struct Names(Vec<String>);
    impl StateVisitor for Names {
        fn buffer(&mut self, name: &str, _: &mut [f32]) {
            self.0.push(name.into());
        }
        fn count(&mut self, name: &str, _: &mut u64) {
            self.0.push(name.into());
        }
        fn real(&mut self, name: &str, _: &mut f64) {
            self.0.push(name.into());
        }
    }
    let mut run = Run::new(1);
    run.steps(1);
    let text = String::from_utf8_lossy(&run.checkpoint().to_bytes().unwrap()).into_owned();
    let mut names = Names(Vec::new());
    run.adam.visit_state(&mut names);
    for name in names.0.iter().map(|n| format!("optimizer.{n}")).chain(
        ["model.bn.num_batches_tracked", "rng.drop", "progress.epoch", "progress.step", "schedule.best"]
            .map(String::from),
    ) {
        assert!(text.contains(&format!("\"{name}\"")), "{name} in the checkpoint");
    }
}

#[test]
fn a_checkpoint_of_fused_training_resumes_bit_for_bit() {
    let n = 6;
    let new = |seed| {
        let model = Model::<Net>::new(seed);
        let mut ws = FusedWorkspace::<Net, 4>::new();
        ws.seed(&model, 11);
        (model, ws, Adam::<Net>::new(0.05), Progress::default())
    };
    let steps = |model: &mut Model<Net>, ws: &mut FusedWorkspace<Net, 4>, adam: &mut Adam<Net>, from: u64| {
        for step in from..from + n {
            let (x, y) = batch(step);
            ws.train_step(model, &x, &y, &CrossEntropyLoss, adam).unwrap();
        }
    };
    let (mut straight, mut ws, mut adam, _) = new(1);
    steps(&mut straight, &mut ws, &mut adam, 0);
    steps(&mut straight, &mut ws, &mut adam, n);

    let (mut first, mut ws, mut adam, mut progress) = new(1);
    steps(&mut first, &mut ws, &mut adam, 0);
    progress.step = n;
    let bytes = Checkpoint::new(&mut first, &mut ws, &mut adam, &mut progress).to_bytes().unwrap();
    // Another model, a workspace whose streams were never seeded, a fresh optimizer.
    let (mut resumed, _, mut adam, mut progress) = new(99);
    let mut ws = FusedWorkspace::<Net, 4>::new();
    Checkpoint::new(&mut resumed, &mut ws, &mut adam, &mut progress)
        .load_bytes(&bytes, Path::new("fused.ckpt"))
        .unwrap();
    assert_eq!(progress.step, n);
    steps(&mut resumed, &mut ws, &mut adam, n);
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(resumed.params.as_flat()), bits(straight.params.as_flat()), "parameters bit for bit");
    assert_eq!(bits(resumed.state.as_flat()), bits(straight.state.as_flat()), "running statistics");
}
