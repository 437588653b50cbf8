//! CSV tables: the bundled files load with the right shapes, every kind of bad file gets
//! a one-line error naming the file, the line and the column, random tables round-trip,
//! and truncated or garbage bytes give errors, never panics.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use staticnet_core::data::{CsvReader, DataError, Dataset, Impute};

fn data_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("data").join(name)
}

fn parse(csv: &str, reader: &CsvReader) -> Result<staticnet_core::data::CsvTable, DataError> {
    reader.parse(csv.as_bytes(), "t.csv")
}

#[test]
fn the_bundled_files_load() {
    let cancer: Dataset<30> =
        CsvReader::new().target("malignant").read(data_file("breast_cancer.csv")).unwrap().classes(2).unwrap();
    assert_eq!(cancer.len(), 569);
    assert_eq!(cancer.targets.iter().filter(|&&t| t == 1).count(), 212, "malignant tumours in load_breast_cancer");
    assert_eq!(cancer.inputs[0][0], 17.99);

    let table = CsvReader::new().target("progression").read(data_file("diabetes.csv")).unwrap();
    let diabetes: Dataset<10, [f32; 1]> = table.values().unwrap();
    assert_eq!((diabetes.len(), diabetes.targets[0]), (442, [151.0]));
    assert_eq!(table.feature_names[..3], ["age", "sex", "bmi"]);

    let iris: Dataset<4, [f32; 3]> =
        CsvReader::new().target("species").read(data_file("iris.csv")).unwrap().one_hot().unwrap();
    assert_eq!((iris.len(), iris.targets[0], iris.targets[149]), (150, [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]));
}

#[test]
fn a_wrong_feature_count_names_the_file_and_both_counts() {
    let path = data_file("breast_cancer.csv");
    let table = CsvReader::new().target("malignant").read(&path).unwrap();
    let err = table.classes::<31>(2).unwrap_err();
    assert_eq!(err.to_string(), format!("{}: 30 feature columns, the network takes 31", path.display()));
    let err = table.values::<30, 2>().unwrap_err();
    assert!(err.to_string().ends_with("1 target columns, the targets take 2"), "{err}");
}

#[test]
fn categorical_columns_are_one_hot_features_or_label_encoded_targets() {
    let csv = "colour,size,kind\nred,1.5,b\ngreen,2,a\nred,3,c\nblue,4,a\n";
    let table = parse(csv, &CsvReader::new().target("kind").categorical("colour").categorical("kind")).unwrap();
    assert_eq!(table.feature_names, ["colour=blue", "colour=green", "colour=red", "size"]);
    assert_eq!(table.categories[0].1.classes, ["blue", "green", "red"]);
    assert_eq!(table.categories[1].1.classes, ["a", "b", "c"]);
    let data: Dataset<4> = table.classes(3).unwrap();
    assert_eq!(data.inputs, [[0.0, 0.0, 1.0, 1.5], [0.0, 1.0, 0.0, 2.0], [0.0, 0.0, 1.0, 3.0], [1.0, 0.0, 0.0, 4.0]]);
    assert_eq!(data.targets, [1, 0, 2, 0]);
}

#[test]
fn bad_files_get_one_line_errors_naming_line_and_column() {
    let target = CsvReader::new().target("y");
    let cases: &[(&str, &CsvReader, &str)] = &[
        ("", &target, "t.csv: empty file: no header line"),
        ("a,y\n", &target, "t.csv: empty data set"),
        ("a,b\n1,2\n", &target, "t.csv: no column named \"y\" in the header"),
        ("a,a,y\n1,2,3\n", &target, "t.csv: column \"a\" appears twice"),
        ("a,y\n1,0\n2\n", &target, "t.csv: line 3: 1 cells, the header has 2"),
        ("a,y\n1,0\n2,1,3\n", &target, "t.csv: line 3: 3 cells, the header has 2"),
        ("a,y\n1,0\nx1,1\n", &target, "t.csv: line 3, column \"a\": \"x1\" is not a number"),
        ("a,y\n1,0\n,1\n", &target, "t.csv: line 3, column \"a\": missing value (impute explicitly to fill it)"),
        ("a,y\nNaN,0\n", &target, "t.csv: line 2, column \"a\": missing value (impute explicitly to fill it)"),
        ("a,y\ninf,0\n", &target, "t.csv: line 2, column \"a\": \"inf\" is not finite"),
        ("a,y\n1,0\n2,\n", &target, "t.csv: line 3, column \"y\": missing value (impute explicitly to fill it)"),
    ];
    for &(csv, reader, expected) in cases {
        let err = parse(csv, reader).unwrap_err();
        assert_eq!(err.to_string(), expected, "for {csv:?}");
        assert_eq!(err.path(), Path::new("t.csv"));
    }
    let table = parse("a,y\n1,0\n2,3\n", &target).unwrap();
    let err = table.classes::<1>(3).unwrap_err();
    assert_eq!(err.to_string(), "t.csv: line 3, column \"y\": label \"3\" is not a class below 3");
    let err = parse("a,y\n1,0.5\n", &target).unwrap().classes::<1>(3).unwrap_err();
    assert_eq!(err.to_string(), "t.csv: line 2, column \"y\": label \"0.5\" is not a class below 3");
    let err = CsvReader::new().read("/nonexistent/t.csv").unwrap_err();
    assert_eq!(err.to_string(), "/nonexistent/t.csv: not found");
    let err = parse("a,y\n\u{FFFD}1,0\n", &target).unwrap_err();
    assert!(matches!(err, DataError::NotNumeric { line: 2, .. }), "{err}");
    let err = target.parse(b"a,y\n\xff,0\n", "t.csv").unwrap_err();
    assert!(err.to_string().starts_with("t.csv: line 2: invalid UTF-8"), "{err}");
}

#[test]
fn missing_values_are_imputed_only_when_asked() {
    let csv = "a,b,y\n1,,0\n3,4,1\n,8,0\n";
    let mean: Dataset<2> = parse(csv, &CsvReader::new().target("y").impute(Impute::Mean)).unwrap().classes(2).unwrap();
    assert_eq!(mean.inputs, [[1.0, 6.0], [3.0, 4.0], [2.0, 8.0]]);
    let err = parse("a,y\n1,\n", &CsvReader::new().target("y").impute(Impute::Mean)).unwrap_err();
    assert!(matches!(err, DataError::MissingValue { line: 2, .. }), "a missing target is never imputed: {err}");
    let err = parse("a,y\n1,0\n", &CsvReader::new().target("y").target("y")).unwrap_err();
    assert!(matches!(err, DataError::DuplicateColumn { .. }), "{err}");
    let zero: Dataset<2> =
        parse(csv, &CsvReader::new().target("y").impute(Impute::Constant(0.0))).unwrap().classes(2).unwrap();
    assert_eq!(zero.inputs, [[1.0, 0.0], [3.0, 4.0], [0.0, 8.0]]);
}

/// Every prefix of a valid file, and byte soup, gives `Ok` or an error; never a panic.
#[test]
fn truncated_and_garbage_csv_never_panics() {
    let csv = std::fs::read(data_file("iris.csv")).unwrap();
    let reader = CsvReader::new().target("species").categorical("species");
    let mut errors = 0;
    for len in (0..600).chain((600..csv.len()).step_by(97)) {
        if let Err(e) = reader.parse(&csv[..len], "iris.csv") {
            errors += 1;
            assert!(!e.to_string().contains('\n'), "{e}");
        }
    }
    assert!(errors > 0);
    const ALPHABET: &[u8] = b"0123456789.,-e\n\"aN \r\xff";
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..300 {
        let len = (rng % 200) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                ALPHABET[(rng % ALPHABET.len() as u64) as usize]
            })
            .collect();
        if let Ok(table) = CsvReader::new().parse(&bytes, "soup.csv") {
            let _ = table.values::<2, 0>();
        }
        let _ = CsvReader::new().target("a").categorical("b").parse(&bytes, "soup.csv");
    }
}

proptest! {
    /// A table of random finite numbers written as CSV reads back as the same numbers.
    #[test]
    fn random_tables_round_trip(rows in prop::collection::vec(prop::array::uniform4(-1e6f32..1e6), 1..40)) {
        let mut csv = String::from("a,b,c,t\n");
        for row in &rows {
            csv += &format!("{},{},{},{}\n", row[0], row[1], row[2], row[3]);
        }
        let data: Dataset<3, [f32; 1]> = parse(&csv, &CsvReader::new().target("t")).unwrap().values().unwrap();
        prop_assert_eq!(data.len(), rows.len());
        for (row, (x, t)) in rows.iter().zip(data.inputs.iter().zip(&data.targets)) {
            prop_assert_eq!(&row[..3], &x[..]);
            prop_assert_eq!(row[3], t[0]);
        }
    }

    /// Random category names come back as the one-hot code of their sorted position.
    #[test]
    fn random_categories_round_trip(cats in prop::collection::vec("[a-z]{1,3}", 1..30)) {
        let mut csv = String::from("c,y\n");
        for (i, c) in cats.iter().enumerate() {
            csv += &format!("{c},{}\n", i % 2);
        }
        let table = parse(&csv, &CsvReader::new().target("y").categorical("c")).unwrap();
        let mut sorted = cats.clone();
        sorted.sort();
        sorted.dedup();
        prop_assert_eq!(&table.categories[0].1.classes, &sorted);
        for (row, c) in table.features.iter().zip(&cats) {
            let hot = sorted.iter().position(|s| s == c).unwrap();
            prop_assert_eq!(row.len(), sorted.len());
            prop_assert!(row.iter().enumerate().all(|(i, &v)| v == f32::from(i == hot)));
        }
    }
}
