//! Ensembles: identical members give the member's prediction; soft, hard and mean voting
//! against hand-computed values (ties included); bootstrap samples; training per member;
//! one safetensors file, and its errors.

use staticnet::data::Dataset;
use staticnet::ensemble::{Ensemble, MemberError, Prediction, Voting, bootstrap, bootstrap_indices, disagreement};
use staticnet::model_file::ModelFileError;
use staticnet::prelude::*;
use staticnet::train::fit;
use std::path::PathBuf;

network! {
    struct Small {
        input: [4],
        fc1: Dense(8),
        Relu,
        fc2: Dense(3),
    }
}

/// A layer whose output is `W x + b`, set by hand in the voting tests.
type Linear = Dense<2, 3>;

fn temp_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("staticnet-ensemble-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// 24 samples of 4 features in 3 classes (the class is where the largest of the first
/// three features is).
fn data() -> Dataset<4> {
    let inputs: Vec<[f32; 4]> =
        (0..24).map(|i| core::array::from_fn(|j| ((i * 7 + j * 5) % 11) as f32 / 11.0 - 0.3)).collect();
    let targets = inputs.iter().map(|x| argmax(&[x[0], x[1], x[2]])).collect();
    Dataset::new(inputs, targets).unwrap()
}

/// Trains `ensemble`'s members with SGD on `data` (bootstrap samples when `bagging`).
fn train(ensemble: &mut Ensemble<Small, 3>, bagging: bool) {
    let data = data();
    let mut ws = Workspace::<Small, 8>::new();
    ensemble
        .fit_members(|k, member| {
            let mut sample = if bagging { bootstrap(&data, k as u64).unwrap() } else { data.clone() };
            let mut sgd = Sgd::new(0.2);
            fit(member, &mut ws, &mut sgd, &CrossEntropyLoss).epochs(10).seed(k as u64).verbose(0).run(&mut sample)
        })
        .unwrap();
}

/// A member of `Linear` whose output is its bias `b` (zero weights).
fn constant(b: [f32; 3]) -> Model<Linear> {
    let mut model = Model::<Linear>::new(0);
    model.params.weight = [[0.0; 2]; 3];
    model.params.bias = b;
    model
}

#[test]
fn an_ensemble_of_identical_members_equals_the_member() {
    let mut trained = Ensemble::<Small, 3>::new([5, 6, 7], Voting::Soft);
    train(&mut trained, false);
    let member = &trained.members[1];
    let mut ensemble = Ensemble::<Small, 3> { members: core::array::from_fn(|_| member.clone()), voting: Voting::Soft };
    let inputs = &data().inputs[..6];
    let mut ws = InferenceWorkspace::<Small, 8>::new();
    let logits = ws.forward(member, inputs).unwrap().to_vec();
    let (mut mean, mut std) = ([[0.0f32; 3]; 8], [[1.0f32; 3]; 8]);
    for voting in [Voting::Soft, Voting::Hard, Voting::Mean] {
        ensemble.voting = voting;
        ensemble.forward(&mut ws, inputs, &mut mean, &mut std).unwrap();
        for (r, z) in logits.iter().enumerate() {
            let expected = match voting {
                Voting::Soft => softmax(z),
                Voting::Hard => core::array::from_fn(|c| if c == argmax(z) { 1.0 } else { 0.0 }),
                _ => *z,
            };
            assert_eq!(mean[r].map(f32::to_bits), expected.map(f32::to_bits), "{voting:?} row {r}");
            assert_eq!(std[r], [0.0; 3], "{voting:?} row {r}");
            assert_eq!(argmax(&mean[r]), argmax(z));
            if voting == Voting::Hard {
                assert_eq!(disagreement(&mean[r]), 0.0, "identical members all vote alike");
            }
            assert_eq!(ensemble.predict(&mut ws, &inputs[r]), Prediction { mean: mean[r], std: std[r] });
        }
    }
}

#[test]
fn soft_voting_is_the_mean_of_the_members_probabilities() {
    let mut ensemble = Ensemble::<Linear, 3>::new([0, 1, 2], Voting::Soft);
    let weights = [[[0.5, -1.0], [2.0, 0.0], [0.0, 0.25]], [[-0.5, 1.0], [0.0, 1.5], [1.0, -1.0]], [[0.0; 2]; 3]];
    let biases = [[0.1, 0.0, -0.2], [0.0, 0.3, 0.0], [1.0, 2.0, 3.0]];
    for (member, (w, b)) in ensemble.members.iter_mut().zip(weights.iter().zip(&biases)) {
        member.params.weight = *w;
        member.params.bias = *b;
    }
    let x = [0.8f32, -0.4];
    // By hand, in f64: each member's logits, softmax, then mean and population std.
    let probabilities: Vec<[f64; 3]> = (0..3)
        .map(|k| {
            let z: [f64; 3] = core::array::from_fn(|c| {
                biases[k][c] as f64 + weights[k][c][0] as f64 * x[0] as f64 + weights[k][c][1] as f64 * x[1] as f64
            });
            let total: f64 = z.iter().map(|v| v.exp()).sum();
            z.map(|v| v.exp() / total)
        })
        .collect();
    let mean: [f64; 3] = core::array::from_fn(|c| probabilities.iter().map(|p| p[c]).sum::<f64>() / 3.0);
    let std: [f64; 3] =
        core::array::from_fn(|c| (probabilities.iter().map(|p| (p[c] - mean[c]).powi(2)).sum::<f64>() / 3.0).sqrt());
    let mut ws = InferenceWorkspace::<Linear, 2>::new();
    let p = ensemble.predict(&mut ws, &x);
    for c in 0..3 {
        assert!((p.mean[c] as f64 - mean[c]).abs() < 1e-6, "mean {:?} vs {mean:?}", p.mean);
        assert!((p.std[c] as f64 - std[c]).abs() < 1e-6, "std {:?} vs {std:?}", p.std);
    }
    assert_eq!(p.class(), (0..3).max_by(|&a, &b| mean[a].total_cmp(&mean[b])).unwrap());
}

#[test]
fn hard_voting_counts_votes_and_breaks_ties_towards_the_lowest_class() {
    let x = [[0.0f32; 2]];
    let mut ws = InferenceWorkspace::<Linear, 1>::new();
    let mut vote = |classes: [usize; 4]| {
        let members = classes.map(|c| constant(core::array::from_fn(|i| if i == c { 1.0 } else { -1.0 })));
        let ensemble = Ensemble::<Linear, 4> { members, voting: Voting::Hard };
        let (mut mean, mut std) = ([[0.0f32; 3]], [[0.0f32; 3]]);
        ensemble.forward(&mut ws, &x, &mut mean, &mut std).unwrap();
        Prediction { mean: mean[0], std: std[0] }
    };
    // Two votes for class 2, two for class 0: a tie, won by class 0.
    let tie = vote([2, 2, 0, 0]);
    assert_eq!(tie.mean, [0.5, 0.0, 0.5]);
    assert_eq!(tie.std, [0.5, 0.0, 0.5]); // √(s (1 - s)) of the vote shares s
    assert_eq!((tie.class(), tie.disagreement()), (0, 0.5));
    // Votes are counted exactly, so the members' order cannot break the tie.
    for order in [[0, 0, 2, 2], [0, 2, 0, 2], [2, 0, 2, 0]] {
        assert_eq!(vote(order), tie, "{order:?}");
    }
    // A majority: class 2 with 3 of 4 votes; one member disagrees.
    let majority = vote([2, 1, 2, 2]);
    assert_eq!(majority.mean, [0.0, 0.25, 0.75]);
    assert_eq!((majority.class(), majority.disagreement()), (2, 0.25));
    assert!((majority.std[2] - (0.75f32 * 0.25).sqrt()).abs() < 1e-7);
    // Two votes each for classes 1 and 2: won by 1.
    assert_eq!(vote([2, 1, 1, 2]).class(), 1);
    // Unanimous: no disagreement, no spread.
    let unanimous = vote([1, 1, 1, 1]);
    assert_eq!((unanimous.class(), unanimous.disagreement(), unanimous.std), (1, 0.0, [0.0; 3]));
}

#[test]
fn mean_voting_averages_regression_outputs() {
    let members = [[1.0, -2.0, 10.0], [2.0, 0.0, 10.0], [6.0, 5.0, 10.0]].map(constant);
    let ensemble = Ensemble::<Linear, 3> { members, voting: Voting::Mean };
    let mut ws = InferenceWorkspace::<Linear, 2>::new();
    let (mut mean, mut std) = ([[0.0f32; 3]; 2], [[0.0f32; 3]; 2]);
    ensemble.forward(&mut ws, &[[0.3, 0.1], [-5.0, 2.0]], &mut mean, &mut std).unwrap();
    for r in 0..2 {
        assert_eq!(mean[r], [3.0, 1.0, 10.0]);
        // Population std: √((4 + 1 + 9) / 3), √((9 + 1 + 16) / 3), 0.
        let expected = [(14.0f32 / 3.0).sqrt(), (26.0f32 / 3.0).sqrt(), 0.0];
        assert!(std[r].iter().zip(expected).all(|(s, e)| (s - e).abs() < 1e-6), "{:?}", std[r]);
    }
}

#[test]
fn forward_refuses_short_buffers_and_oversized_batches() {
    let ensemble = Ensemble::<Linear, 3>::new([0, 1, 2], Voting::Soft);
    let mut ws = InferenceWorkspace::<Linear, 2>::new();
    let (mut mean, mut std) = ([[0.0f32; 3]; 1], [[0.0f32; 3]; 2]);
    let err = ensemble.forward(&mut ws, &[[0.0; 2]; 2], &mut mean, &mut std).unwrap_err();
    assert_eq!(err, Error::OutputCount { rows: 2, given: 1 });
    let (mut mean, mut std) = ([[0.0f32; 3]; 3], [[0.0f32; 3]; 3]);
    let err = ensemble.forward(&mut ws, &[[0.0; 2]; 3], &mut mean, &mut std).unwrap_err();
    assert_eq!(err, Error::BatchTooLarge { rows: 3, capacity: 2 });
}

#[test]
fn bootstrap_samples_are_reproducible_and_drawn_with_replacement() {
    let indices = bootstrap_indices(1000, 7);
    assert_eq!(indices, bootstrap_indices(1000, 7));
    assert_ne!(indices, bootstrap_indices(1000, 8));
    assert_eq!(indices.len(), 1000);
    assert!(indices.iter().all(|&i| i < 1000));
    let mut distinct = indices.clone();
    distinct.sort_unstable();
    distinct.dedup();
    // With replacement: repeats, and about 1 - 1/e = 63.2% distinct.
    assert!((600..=660).contains(&distinct.len()), "{} distinct", distinct.len());

    let data = data();
    let sample = bootstrap(&data, 3).unwrap();
    assert_eq!(sample, bootstrap(&data, 3).unwrap());
    assert_eq!(sample.len(), data.len());
    for (position, &i) in bootstrap_indices(data.len(), 3).iter().enumerate() {
        assert_eq!((sample.inputs[position], sample.targets[position]), (data.inputs[i], data.targets[i]));
    }
    let bad = Dataset::<4> { inputs: data.inputs.clone(), targets: vec![0; 3] };
    assert_eq!(bootstrap(&bad, 0).unwrap_err(), Error::DatasetLabels { inputs: 24, labels: 3 });
}

#[test]
fn members_train_from_their_seeds_or_samples_and_errors_name_the_member() {
    let mut seeds = Ensemble::<Small, 3>::new([1, 2, 3], Voting::Soft);
    let mut bagged = Ensemble::<Small, 3>::new([1, 2, 3], Voting::Soft);
    let untrained = Ensemble::<Small, 3>::new([1, 2, 3], Voting::Soft);
    train(&mut seeds, false);
    train(&mut bagged, true);
    for k in 0..3 {
        assert_ne!(seeds.members[k].params.as_flat(), untrained.members[k].params.as_flat());
        assert_ne!(seeds.members[k].params.as_flat(), bagged.members[k].params.as_flat(), "member {k}");
    }
    // The ensemble fits its training data at least as well as its average member.
    let data = data();
    let mut ws = InferenceWorkspace::<Small, 24>::new();
    let (mut mean, mut std) = ([[0.0f32; 3]; 24], [[0.0f32; 3]; 24]);
    seeds.forward(&mut ws, &data.inputs, &mut mean, &mut std).unwrap();
    let right = |rows: &[[f32; 3]]| rows.iter().zip(&data.targets).filter(|(r, t)| argmax(r) == **t).count();
    let members: usize = seeds.members.iter().map(|m| right(ws.forward(m, &data.inputs).unwrap())).sum();
    assert!(3 * right(&mean) >= members, "ensemble {} of 24, members {members} of 72", right(&mean));

    // Member 1's run fails: the error names it, member 2 is not trained.
    let mut failing = Ensemble::<Small, 3>::new([1, 2, 3], Voting::Soft);
    let mut train_ws = Workspace::<Small, 8>::new();
    let err: MemberError<_> = failing
        .fit_members(|k, member| {
            let mut sgd = Sgd::new(0.1);
            let batch = if k == 1 { 9 } else { 8 };
            fit(member, &mut train_ws, &mut sgd, &CrossEntropyLoss).batch_size(batch).verbose(0).run(&mut data.clone())
        })
        .unwrap_err();
    assert_eq!(err.member, 1);
    assert_eq!(err.to_string(), "ensemble member 1: batch_size 9: it must be from 1 to the workspace's capacity, 8");
    assert_ne!(failing.members[0].params.as_flat(), untrained.members[0].params.as_flat());
    assert_eq!(failing.members[2].params.as_flat(), untrained.members[2].params.as_flat());
}

/// The JSON header of a safetensors file.
fn header(bytes: &[u8]) -> serde_json::Value {
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    serde_json::from_slice(&bytes[8..8 + len]).unwrap()
}

#[test]
fn an_ensemble_saves_to_one_file_and_loads_back() {
    let path = temp_file("three.safetensors");
    let mut ensemble = Ensemble::<Small, 3>::new([1, 2, 3], Voting::Hard);
    ensemble.members[0].params.fc2.bias = [0.5, -0.5, 0.25];
    ensemble.save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let header = header(&bytes);
    let metadata = &header["__metadata__"];
    assert_eq!(
        (metadata["staticnet.ensemble.members"].as_str(), metadata["staticnet.ensemble.voting"].as_str()),
        (Some("3"), Some("hard"))
    );
    assert_eq!(header["member2"]["fc1.weight"], serde_json::Value::Null);
    assert_eq!(header["member2.fc1.weight"]["shape"], serde_json::json!([8, 4]));
    assert_eq!(header.as_object().unwrap().len(), 1 + 3 * 4, "metadata and 4 tensors per member");

    let mut loaded = Ensemble::<Small, 3>::new_boxed([9, 9, 9], Voting::Soft);
    loaded.load(&path).unwrap();
    assert_eq!(loaded.voting, Voting::Hard);
    for k in 0..3 {
        assert_eq!(loaded.members[k].params.as_flat(), ensemble.members[k].params.as_flat());
    }
}

#[test]
fn a_wrong_member_count_or_shape_a_model_file_and_damaged_files_are_errors_naming_the_file() {
    let path = temp_file("saved.safetensors");
    Ensemble::<Small, 3>::new([1, 2, 3], Voting::Soft).save(&path).unwrap();
    let clean = std::fs::read(&path).unwrap();
    let name = path.display().to_string();

    let fresh = Ensemble::<Small, 2>::new([4, 5], Voting::Mean);
    let mut two = fresh.clone();
    let err = two.load(&path).unwrap_err();
    assert!(matches!(err, ModelFileError::Members { found: Some(ref n), expected: 2, .. } if n == "3"), "{err:?}");
    assert_eq!(err.to_string(), format!("{name}: an ensemble of 3 members, expected 2"));

    let model_path = temp_file("model.safetensors");
    Model::<Small>::new(0).save(&model_path).unwrap();
    let err = two.load(&model_path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{}: not an ensemble file (no member count in its metadata), expected 2 members", model_path.display())
    );

    let mut three = Ensemble::<Small, 3>::new([7, 8, 9], Voting::Mean);
    let before = three.clone();
    let damaged = temp_file("damaged.safetensors");
    std::fs::write(&damaged, &clean[..clean.len() / 2]).unwrap();
    let err = three.load(&damaged).unwrap_err();
    assert!(matches!(err, ModelFileError::Format { .. }), "{err:?}");
    assert!(err.to_string().starts_with(&format!("{}: not a valid safetensors file", damaged.display())), "{err}");

    let mut corrupt = clean.clone();
    let last = corrupt.len() - 5;
    corrupt[last] ^= 0x10;
    std::fs::write(&damaged, &corrupt).unwrap();
    let err = three.load(&damaged).unwrap_err();
    assert!(matches!(err, ModelFileError::Checksum { .. }), "{err:?}");
    assert!(err.to_string().starts_with(&format!("{}: corrupt", damaged.display())), "{err}");
    assert!(!err.to_string().contains('\n'));

    // Members of another shape: the tensor is named with its member.
    let narrow = temp_file("narrow.safetensors");
    Ensemble::<Linear, 3>::new([0, 1, 2], Voting::Soft).save(&narrow).unwrap();
    let mut wide = Ensemble::<Dense<4, 3>, 3>::new([0, 1, 2], Voting::Soft);
    let err = wide.load(&narrow).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: tensor `member0.weight` has shape [3, 2] in the file, the network expects [3, 4]",
            narrow.display()
        )
    );
    let err = three.load(&narrow).unwrap_err();
    assert!(matches!(err, ModelFileError::Missing { ref tensor, .. } if tensor == "member0.fc1.weight"), "{err:?}");

    for k in 0..3 {
        assert_eq!(three.members[k].params.as_flat(), before.members[k].params.as_flat(), "unchanged after errors");
    }
    assert_eq!((three.voting, two.voting), (Voting::Mean, Voting::Mean));
    assert_eq!(two.members[1].params.as_flat(), fresh.members[1].params.as_flat());
}
