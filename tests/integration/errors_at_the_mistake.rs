//! Run-time mistakes with data are errors that say where the mistake is (issue 9): rows of
//! the wrong width, labels out of range, a data set whose labels do not match its inputs,
//! batches of 0 rows.

use staticnet::data::{Dataset, to_rows};
use staticnet::prelude::*;

network! {
    struct Classifier {
        input: [3],
        hidden: Dense(4),
        Relu,
        out: Dense(2),
    }
}

#[test]
fn rows_of_a_table_become_samples_or_name_the_row_and_both_widths() {
    let table: Vec<Vec<f32>> = vec![vec![0.1, 0.2, 0.3], vec![0.4, 0.5, 0.6], vec![0.7, 0.8]];
    let samples: Vec<[f32; 3]> = to_rows(&table[..2]).unwrap();
    assert_eq!(samples, vec![[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]);
    let err = to_rows::<3, _>(&table).unwrap_err();
    assert_eq!(err, Error::RowWidth { row: 2, found: 2, expected: 3 });
    assert_eq!(err.to_string(), "row 2 has 2 values, samples have 3");
    let err = Dataset::<3>::from_rows(&table[..2], vec![0]).unwrap_err();
    assert_eq!(err.to_string(), "data set has 2 inputs but 1 labels");
    let set = Dataset::<3>::from_rows(&table[..2], vec![0, 1]).unwrap();
    assert_eq!(set.len(), 2);
}

fn data(rows: usize, labels: Vec<usize>) -> Dataset<3> {
    Dataset { inputs: (0..rows).map(|r| [r as f32 * 0.1, 0.5, -0.2]).collect(), targets: labels }
}

#[test]
fn accuracy_checks_labels() {
    let model = Model::<Classifier>::new(0);
    let mut ws = Workspace::<Classifier, 4>::new();
    assert!(accuracy(&mut ws, &model, &data(5, vec![0, 1, 1, 0, 1])).is_ok());
    let err = accuracy(&mut ws, &model, &data(5, vec![0, 1, 1, 2, 1])).unwrap_err();
    assert_eq!(err, Error::LabelOutOfRange { sample: 3, label: 2, classes: 2 });
    assert_eq!(err.to_string(), "label 2 of sample 3 is not a class below 2");
}

#[test]
fn a_data_set_whose_labels_do_not_match_names_the_data_set() {
    let mut model = Model::<Classifier>::new(0);
    let mut ws = Workspace::<Classifier, 32>::new_boxed();
    let set = data(33, vec![0; 10]);
    let expected = "data set has 33 inputs but 10 labels";
    let err = train_epoch(&mut ws, &mut model, &set, &CrossEntropyLoss, &mut Sgd::new(0.1)).unwrap_err();
    assert_eq!(err.to_string(), expected);
    assert_eq!(accuracy(&mut ws, &model, &set).unwrap_err().to_string(), expected);
    assert_eq!(set.batches(8).unwrap_err(), Error::DatasetLabels { inputs: 33, labels: 10 });
}

#[test]
fn train_epoch_checks_labels_before_any_step() {
    let mut model = Model::<Classifier>::new(0);
    let before = model.params.as_flat().to_vec();
    let mut ws = Workspace::<Classifier, 2>::new();
    let err = train_epoch(&mut ws, &mut model, &data(5, vec![0, 1, 1, 0, 7]), &CrossEntropyLoss, &mut Sgd::new(0.1));
    assert_eq!(err.unwrap_err(), Error::LabelOutOfRange { sample: 4, label: 7, classes: 2 });
    assert_eq!(model.params.as_flat(), &before[..], "no batch trained");
}

#[test]
fn batches_of_zero_rows_are_an_error() {
    let set = data(3, vec![0, 1, 0]);
    assert_eq!(set.batches(0).unwrap_err(), Error::ZeroBatchSize);
    assert_eq!(Error::ZeroBatchSize.to_string(), "batch size 0: a batch needs at least one row");
    assert_eq!(set.batches(2).unwrap().count(), 2);
}

#[test]
fn bce_with_logits_rejects_targets_outside_zero_one() {
    let loss = BceWithLogitsLoss;
    for bad in [2.0, -1.0] {
        let err = loss.loss(&[[0.3, 0.1]], &[[0.5, bad]]).unwrap_err();
        assert_eq!(err, Error::TargetOutOfRange { row: 0, index: 1, value: bad });
        let err = BceLoss.loss(&[[0.3, 0.1]], &[[bad, 0.5]]).unwrap_err();
        assert_eq!(err, Error::TargetOutOfRange { row: 0, index: 0, value: bad });
    }
    assert!(loss.loss(&[[0.3, 0.1]], &[[0.0, 1.0]]).is_ok());
}
