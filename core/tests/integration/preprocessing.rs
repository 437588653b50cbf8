//! Scalers (scikit-learn's definitions, inverse, files beside a model), encoders, splits,
//! k-fold cross-validation and data sets as batch sources.

use std::path::PathBuf;

use proptest::prelude::*;
use staticnet_core::Error;
use staticnet_core::batches::BatchSource;
use staticnet_core::data::{
    CsvReader, Dataset, KFold, LabelEncoder, MinMaxScaler, Scaler, ScalerFileError, StandardScaler, load_scaler,
    one_hot, parse_scaler, save_scaler, smooth_labels, train_test_split,
};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("staticnet-preprocessing-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn cancer() -> Dataset<30> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/breast_cancer.csv");
    CsvReader::new().target("malignant").read(path).unwrap().classes(2).unwrap()
}

/// Means and population standard deviations from Python's `statistics.fmean` and
/// `statistics.pstdev` on the CSV (what scikit-learn's `StandardScaler` computes).
#[test]
fn standard_scaler_uses_the_population_deviation() {
    let data = cancer();
    let scaler = StandardScaler::fit(&data.inputs).unwrap();
    for (j, mean, std) in [
        (0, 14.127291739894552, 3.520950760711062),
        (3, 654.8891036906855, 351.60475406323),
        (29, 0.08394581722319859, 0.01804538930859499),
    ] {
        assert!((f64::from(scaler.mean[j]) - mean).abs() <= 1e-6 * mean, "mean {j}: {}", scaler.mean[j]);
        assert!((f64::from(scaler.scale[j]) - std).abs() <= 1e-6 * std, "std {j}: {}", scaler.scale[j]);
    }
    let mut scaled = data.inputs.clone();
    scaler.transform_all(&mut scaled);
    let refit = StandardScaler::fit(&scaled).unwrap();
    assert!(refit.mean.iter().all(|m| m.abs() < 1e-5), "{:?}", refit.mean);
    assert!(refit.scale.iter().all(|s| (s - 1.0).abs() < 1e-5), "{:?}", refit.scale);

    let minmax = MinMaxScaler::fit(&data.inputs).unwrap();
    assert_eq!((minmax.min[0], minmax.scale[0]), (6.981, 28.11 - 6.981));
    assert_eq!(minmax.transform(&data.inputs[0])[0], (17.99 - 6.981) / (28.11 - 6.981));
}

#[test]
fn a_constant_column_gets_scale_one_never_nan() {
    let rows = [[5.0, 1.0], [5.0, 3.0]];
    let standard = StandardScaler::fit(&rows).unwrap();
    assert_eq!((standard.mean, standard.scale), ([5.0, 2.0], [1.0, 1.0]));
    assert_eq!(standard.transform(&[5.0, 3.0]), [0.0, 1.0]);
    let minmax = MinMaxScaler::fit(&rows).unwrap();
    assert_eq!((minmax.min, minmax.scale), ([5.0, 1.0], [1.0, 2.0]));
    assert_eq!(minmax.transform(&[5.0, 2.0]), [0.0, 0.5]);
    assert_eq!(StandardScaler::<2>::fit(&[]).unwrap_err(), Error::EmptyBatch);
    let err = MinMaxScaler::fit(&[[1.0, 2.0], [1.0, f32::NAN]]).unwrap_err();
    assert!(matches!(err, Error::NonFiniteInput { row: 1, index: 1, value } if value.is_nan()), "{err}");
}

fn close(a: f32, b: f32, reference: f32) -> bool {
    (a - b).abs() <= 1e-6 * reference.abs().max(1.0)
}

proptest! {
    /// Transform then inverse is the identity to 1e-6 (relative to the larger of the value
    /// and the column's offset, f32's rounding being relative).
    #[test]
    fn transform_then_inverse_is_the_identity(
        rows in prop::collection::vec(prop::array::uniform3(-1e3f32..1e3), 1..30),
        probe in prop::array::uniform3(-1e3f32..1e3),
    ) {
        let standard = StandardScaler::fit(&rows).unwrap();
        let minmax = MinMaxScaler::fit(&rows).unwrap();
        for x in rows.iter().chain([&probe]) {
            let back = standard.inverse_transform(&standard.transform(x));
            for j in 0..3 {
                prop_assert!(close(back[j], x[j], x[j].abs().max(standard.mean[j].abs())), "{} {}", back[j], x[j]);
            }
            let back = minmax.inverse_transform(&minmax.transform(x));
            for j in 0..3 {
                prop_assert!(close(back[j], x[j], x[j].abs().max(minmax.min[j].abs())), "{} {}", back[j], x[j]);
            }
        }
        let mut all = rows.clone();
        minmax.transform_all(&mut all);
        prop_assert!(all.iter().flatten().all(|&v| (-1e-6..=1.0 + 1e-6).contains(&v)));
    }
}

#[test]
fn scalers_are_saved_and_mismatches_are_errors_on_load() {
    let dir = temp_dir("scaler");
    let path = dir.join("model.scaler.safetensors");
    let scaler = StandardScaler::fit(&[[1.0, 10.0, -3.0], [2.0, 30.0, -3.0]]).unwrap();
    save_scaler(&scaler, &path).unwrap();
    assert_eq!(load_scaler::<StandardScaler<3>, 3>(&path).unwrap(), scaler);

    let err = load_scaler::<StandardScaler<4>, 4>(&path).unwrap_err();
    assert!(matches!(err, ScalerFileError::Width { found: 3, expected: 4, .. }));
    assert_eq!(err.to_string(), format!("{}: scaler of 3 features, the model takes 4", path.display()));
    let err = load_scaler::<MinMaxScaler<3>, 3>(&path).unwrap_err();
    assert_eq!(err.to_string(), format!("{}: holds a StandardScaler, not a MinMaxScaler", path.display()));
    let bytes = std::fs::read(&path).unwrap();
    for len in [0, 7, bytes.len() / 2, bytes.len() - 1] {
        let err = parse_scaler::<StandardScaler<3>, 3>(&bytes[..len], &path).unwrap_err();
        assert!(matches!(err, ScalerFileError::Format { .. }), "{len}: {err}");
    }
    let err = load_scaler::<StandardScaler<3>, 3>(dir.join("missing")).unwrap_err();
    assert!(matches!(err, ScalerFileError::Io { .. }), "{err}");
    // No temporary file is left beside it.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn encoders_one_hot_and_smoothing() {
    let encoder = LabelEncoder::fit(["virginica", "setosa", "versicolor", "setosa"]);
    assert_eq!(encoder.classes, ["setosa", "versicolor", "virginica"]);
    assert_eq!(encoder.transform("virginica"), Some(2));
    assert_eq!(encoder.one_hot::<3>("versicolor"), Some([0.0, 1.0, 0.0]));
    assert_eq!(encoder.one_hot::<4>("versicolor"), None);
    assert_eq!(one_hot::<4>(3), [0.0, 0.0, 0.0, 1.0]);
    let smooth = smooth_labels(&one_hot::<4>(1), 0.1);
    let expected = [0.025, 0.925, 0.025, 0.025];
    assert!(smooth.iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-6), "{smooth:?}");
    assert!((smooth.iter().sum::<f32>() - 1.0).abs() < 1e-6);
}

#[test]
fn splits_are_seeded_disjoint_and_stratified() {
    let data = cancer();
    let split = train_test_split(data.len(), 0.1, 0.2, Some(&data.targets), 3).unwrap();
    assert_eq!(split, train_test_split(data.len(), 0.1, 0.2, Some(&data.targets), 3).unwrap());
    assert_ne!(split, train_test_split(data.len(), 0.1, 0.2, Some(&data.targets), 4).unwrap());
    let mut all: Vec<usize> = [&split.train[..], &split.validation, &split.test].concat();
    all.sort_unstable();
    assert_eq!(all, (0..data.len()).collect::<Vec<_>>());
    // 212 of 569 are malignant: round(0.2 · 212) = 42 and round(0.2 · 357) = 71 in test.
    let malignant = |indices: &[usize]| indices.iter().filter(|&&i| data.targets[i] == 1).count();
    assert_eq!((split.test.len(), malignant(&split.test)), (113, 42));
    assert_eq!((split.validation.len(), malignant(&split.validation)), (57, 21));

    let plain = train_test_split(10, 0.0, 0.25, None, 0).unwrap();
    assert_eq!((plain.train.len(), plain.validation.len(), plain.test.len()), (7, 0, 3));
    for (v, t) in [(0.0, 1.0), (-0.1, 0.2), (0.5, 0.5)] {
        assert!(matches!(train_test_split(10, v, t, None, 0), Err(Error::BadSplit { len: 10, .. })));
    }
    assert!(train_test_split(3, 0.0, 0.2, Some(&[0, 1]), 0).is_err());
    let err = data.select(&[0, 569]).unwrap_err();
    assert_eq!(err.to_string(), "sample index 569 is out of range for a data set of 569 samples");
}

#[test]
fn k_fold_holds_every_sample_out_once() {
    let folds: Vec<_> = KFold::new(11, 3, None, 5).unwrap().collect();
    assert_eq!(folds.iter().map(|f| f.test.len()).collect::<Vec<_>>(), [4, 4, 3]);
    let mut held: Vec<usize> = folds.iter().flat_map(|f| f.test.clone()).collect();
    held.sort_unstable();
    assert_eq!(held, (0..11).collect::<Vec<_>>());
    for fold in &folds {
        assert_eq!(fold.train.len() + fold.test.len(), 11);
        assert!(fold.train.iter().all(|i| !fold.test.contains(i)));
    }
    let classes: Vec<usize> = (0..30).map(|i| usize::from(i < 10)).collect();
    for fold in KFold::new(30, 5, Some(&classes), 1).unwrap() {
        assert_eq!(fold.test.iter().filter(|&&i| classes[i] == 1).count(), 2, "each fold has 10/5 of class 1");
    }
    assert!(matches!(KFold::new(3, 4, None, 0), Err(Error::BadSplit { .. })));
    assert!(matches!(KFold::new(3, 1, None, 0), Err(Error::BadSplit { .. })));
}

#[test]
fn a_data_set_is_a_batch_source() {
    let mut data =
        Dataset::new((0..5).map(|i| [i as f32]).collect(), (0..5).map(|i| [i as f32 * 10.0]).collect()).unwrap();
    let (mut inputs, mut targets) = ([[0.0]; 2], [[0.0]; 2]);
    assert_eq!(BatchSource::len(&data), 5);
    assert_eq!(data.fill(4, &mut inputs, &mut targets), 1);
    assert_eq!((inputs[0], targets[0]), ([4.0], [40.0]));
    assert_eq!(data.fill(5, &mut inputs, &mut targets), 0);
    let mut rng = <rand::rngs::SmallRng as rand::SeedableRng>::seed_from_u64(2);
    BatchSource::shuffle(&mut data, &mut rng);
    assert!(data.inputs.iter().zip(&data.targets).all(|(x, t)| t[0] == x[0] * 10.0));
    assert_ne!(data.inputs, (0..5).map(|i| [i as f32]).collect::<Vec<_>>());
    assert!(Dataset::<1>::new(vec![[0.0]], vec![]).is_err());
}
