//! Hyperparameter search over real training: two `network!` architectures chosen by a
//! categorical dimension, `fit` reporting through the trial's callback, Hyperband
//! pruning. The results are the same on 1 and 2 threads and for the same seed, and each
//! trial records its architecture's compile-time memory.

use staticnet::prelude::*;
use staticnet::search::{Pruner, RandomSearch, SearchError, SearchResults, SearchSpace, Trial, TrialMemory, Tuner};
use staticnet::train::callbacks::{History, MonitorMode};
use staticnet::train::fit;

network! { struct Narrow { input: [2], fc1: Dense(4), Tanh, fc2: Dense(2) } }
network! { struct Wide { input: [2], fc1: Dense(8), Tanh, drop: Dropout(0.1), fc2: Dense(2) } }

/// 48 points, class 1 above the diagonal.
fn points() -> Dataset<2> {
    let inputs: Vec<[f32; 2]> = (0..48).map(|i| [(i % 7) as f32 / 7.0 - 0.4, (i % 5) as f32 / 5.0 - 0.4]).collect();
    let targets = inputs.iter().map(|p| usize::from(p[1] > p[0])).collect();
    Dataset::new(inputs, targets).unwrap()
}

fn train<N: Layer<Input = [f32; 2], Output = [f32; 2]> + Default>(
    trial: &mut Trial<'_>,
) -> Result<History, Box<dyn std::error::Error + Send + Sync>> {
    let p = trial.params();
    let (lr, batch) = (p.get_f32("lr")?, p.get_usize("batch_size")?);
    let mut data = points();
    let mut val = data.select(&(0..12).collect::<Vec<_>>())?;
    let mut model = Model::<N>::new(trial.seed());
    let mut ws = Workspace::<N, 8>::new();
    let mut adam = Adam::<N>::new(lr);
    trial.set_memory(TrialMemory::of::<N, Adam<N>, 8>());
    let (epochs, seed) = (trial.epochs(), trial.seed());
    let mut report = trial.callback();
    Ok(fit(&mut model, &mut ws, &mut adam, &CrossEntropyLoss)
        .epochs(epochs)
        .batch_size(batch)
        .seed(seed)
        .verbose(0)
        .callbacks(&mut [&mut report])
        .validation_data(&mut val)
        .run(&mut data)?)
}

fn search(seed: u64, threads: usize) -> SearchResults {
    let space =
        SearchSpace::new().log_float("lr", 1e-3, 0.3).choice("arch", ["narrow", "wide"]).int("batch_size", 4, 8);
    Tuner::new(RandomSearch::new(space, seed), Pruner::hyperband(3, 3))
        .objective("val_loss", MonitorMode::Min)
        .threads(threads)
        .verbose(0)
        .run(|trial| match trial.params().get_str("arch")? {
            "narrow" => train::<Narrow>(trial),
            _ => train::<Wide>(trial),
        })
        .unwrap()
}

#[test]
fn random_search_is_reproducible_by_seed_and_identical_on_1_and_2_threads() {
    let (one, two) = (search(11, 1), search(11, 2));
    assert_eq!(one.to_csv(), two.to_csv());
    for (a, b) in one.trials.iter().zip(&two.trials) {
        assert_eq!(a.values, b.values, "trial {}", a.index);
        assert_eq!(a.histories[0].get("val_loss"), b.histories[0].get("val_loss"));
    }
    // Hyperband(3, 3): 3 trials at 1 epoch, the best at 3; 2 more at 3.
    assert_eq!(one.trials.len(), 5);
    assert_eq!(one.trials.iter().filter(|t| t.epochs == 3).count(), 3);
    assert!(one.trials.iter().all(|t| t.values.len() == t.epochs && t.histories[0].len() == t.epochs));
    // Each trial's memory is its architecture's.
    for t in &one.trials {
        let expected = match t.params.get_str("arch").unwrap() {
            "narrow" => TrialMemory::of::<Narrow, Adam<Narrow>, 8>(),
            _ => TrialMemory::of::<Wide, Adam<Wide>, 8>(),
        };
        assert_eq!(t.memory, Some(expected));
    }
    let narrow = TrialMemory::of::<Narrow, Adam<Narrow>, 8>();
    assert_eq!((narrow.model, narrow.workspace), (Model::<Narrow>::BYTES, Workspace::<Narrow, 8>::BYTES));
    assert!(narrow.model >= Narrow::PARAM_BYTES && narrow.optimizer >= 2 * Narrow::PARAM_BYTES);
    let other = search(12, 2);
    assert_ne!(one.to_csv(), other.to_csv(), "another seed, other trials");
    assert_eq!(search(11, 2).to_csv(), one.to_csv());
    let best = one.best();
    assert!(best.score.is_finite() && one.trials.iter().filter(|t| t.epochs == 3).all(|t| t.score >= best.score));
}

#[test]
fn the_table_is_written_atomically_as_csv() {
    let results = search(11, 2);
    let dir = std::env::temp_dir().join(format!("staticnet-search-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("search.csv");
    results.save_csv(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, results.to_csv());
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("trial,bracket,status,epochs,val_loss,memory_bytes,lr,arch,batch_size"));
    assert_eq!(lines.count(), 5);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no temporary file left");
    let e = results.save_csv(dir.join("missing/search.csv")).unwrap_err();
    assert!(matches!(e, SearchError::Io { .. }) && e.to_string().contains("missing/search.csv"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
