//! Tables from CSV files (the `csv` crate): a header, numeric feature columns, string
//! columns one-hot encoded, target columns chosen by name.

use std::borrow::ToOwned;
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::vec::Vec;

use super::{DataError, Dataset, LabelEncoder};

/// What to do with a missing feature value: an empty cell, or `NaN` / `nan` / `NA`. A
/// missing target is always an error.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub enum Impute {
    /// [`DataError::MissingValue`] naming the cell (the default).
    #[default]
    Error,
    /// The mean of the column's other values (scikit-learn's
    /// `SimpleImputer(strategy="mean")`), over the whole file: to keep a test split
    /// unseen, impute from the training split yourself instead. A column with no values
    /// at all gets 0.
    Mean,
    /// A constant (`SimpleImputer(strategy="constant", fill_value)`).
    Constant(f32),
}

/// Reads a CSV file with a header line into a [`CsvTable`].
///
/// The columns named with [`target`](CsvReader::target) are targets, all others features.
/// Feature and target cells must be numbers, except in columns named with
/// [`categorical`](CsvReader::categorical): their values are strings, one-hot encoded
/// for features (a column `sex` with values `female`, `male` gives the features
/// `sex=female`, `sex=male`) and label-encoded for targets (`setosa` → 0, ...), in sorted
/// order as scikit-learn's encoders do. A missing value is an error unless
/// [`impute`](CsvReader::impute) says otherwise.
///
/// ```
/// use staticnet_core::data::CsvReader;
///
/// let csv = "height,sex,weight\n1.8,male,80\n1.6,female,55\n1.7,female,61\n";
/// let table = CsvReader::new().target("weight").categorical("sex").parse(csv.as_bytes(), "people.csv")?;
/// assert_eq!(table.feature_names, ["height", "sex=female", "sex=male"]);
/// let data = table.values::<3, 1>()?;
/// assert_eq!(data.inputs[0], [1.8, 0.0, 1.0]);
/// assert_eq!(data.targets[2], [61.0]);
/// let err = table.values::<4, 1>().unwrap_err();
/// assert_eq!(err.to_string(), "people.csv: 3 feature columns, the network takes 4");
/// # Ok::<(), staticnet_core::data::DataError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct CsvReader {
    targets: Vec<String>,
    categorical: Vec<String>,
    impute: Impute,
}

/// A CSV file read by [`CsvReader`]: feature and target values of every row, with the
/// names and categories needed to read new data the same way.
#[derive(Clone, Debug, PartialEq)]
pub struct CsvTable {
    /// The file, named in errors.
    pub path: PathBuf,
    /// One name per feature value: the column's, or `column=category` for one-hot values.
    pub feature_names: Vec<String>,
    /// The target columns, in the order they were named.
    pub target_names: Vec<String>,
    /// The categories of each categorical column, in their encoded order.
    pub categories: Vec<(String, LabelEncoder)>,
    /// Feature values, one row per data line.
    pub features: Vec<Vec<f32>>,
    /// Target values, one row per data line (a categorical target as its label index).
    pub targets: Vec<Vec<f32>>,
    /// The line of each row in the file (the header is line 1), named in later errors.
    pub lines: Vec<u64>,
}

/// A column of the file and what it becomes.
struct Column {
    name: String,
    target: Option<usize>,
    encoder: Option<LabelEncoder>,
}

impl CsvReader {
    /// A reader with no target columns, no categorical columns and no imputation.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes column `name` a target (call once per target column, in the order wanted).
    pub fn target(mut self, name: &str) -> Self {
        self.targets.push(name.to_owned());
        self
    }

    /// Makes column `name` categorical: string values, one-hot encoded as features,
    /// label-encoded as a target.
    pub fn categorical(mut self, name: &str) -> Self {
        self.categorical.push(name.to_owned());
        self
    }

    /// How to fill missing numeric values (default: they are an error).
    pub fn impute(mut self, impute: Impute) -> Self {
        self.impute = impute;
        self
    }

    /// Reads and parses the file at `path`.
    pub fn read(&self, path: impl AsRef<Path>) -> Result<CsvTable, DataError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => DataError::NotFound { path: path.to_path_buf() },
            _ => DataError::Io { path: path.to_path_buf(), source },
        })?;
        self.parse(&bytes, path)
    }

    /// Parses the bytes of a CSV file; `path` only names it in errors. Any bytes give `Ok`
    /// or an error, never a panic.
    pub fn parse(&self, bytes: &[u8], path: impl AsRef<Path>) -> Result<CsvTable, DataError> {
        let path = path.as_ref().to_path_buf();
        let csv_error = |e: csv::Error| DataError::Csv {
            path: path.clone(),
            line: e.position().map(|p| p.line()),
            message: match e.kind() {
                csv::ErrorKind::Utf8 { err, .. } => std::format!("invalid UTF-8: {err}"),
                _ => e.to_string(),
            },
        };
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
        let mut records = reader.records();
        let header = match records.next() {
            None => return Err(DataError::NoHeader { path }),
            Some(record) => record.map_err(csv_error)?,
        };
        let names: Vec<String> = header.iter().map(|name| name.trim().to_owned()).collect();
        let repeated =
            |list: &[String]| (1..list.len()).find(|&i| list[..i].contains(&list[i])).map(|i| list[i].clone());
        if let Some(column) = repeated(&names).or_else(|| repeated(&self.targets)) {
            return Err(DataError::DuplicateColumn { path, column });
        }
        for wanted in self.targets.iter().chain(&self.categorical) {
            if !names.contains(wanted) {
                return Err(DataError::NoSuchColumn { path, column: wanted.clone() });
            }
        }

        // Every cell as text first: categories and means need the whole column.
        let mut rows: Vec<(u64, Vec<String>)> = Vec::new();
        for record in records {
            let record = record.map_err(csv_error)?;
            let line = record.position().map_or(0, |p| p.line());
            if record.len() != names.len() {
                return Err(DataError::RaggedRow { path, line, found: record.len(), expected: names.len() });
            }
            rows.push((line, record.iter().map(|cell| cell.trim().to_owned()).collect()));
        }
        if rows.is_empty() {
            return Err(DataError::Empty { path });
        }

        let columns: Vec<Column> = names
            .iter()
            .enumerate()
            .map(|(c, name)| Column {
                name: name.clone(),
                target: self.targets.iter().position(|t| t == name),
                encoder: self
                    .categorical
                    .contains(name)
                    .then(|| LabelEncoder::fit(rows.iter().map(|(_, cells)| cells[c].as_str()))),
            })
            .collect();

        // Numeric columns: parse, then impute.
        let mut numbers: Vec<Vec<Option<f32>>> = std::vec![Vec::with_capacity(rows.len()); names.len()];
        for (c, column) in columns.iter().enumerate() {
            if column.encoder.is_some() {
                continue;
            }
            for (line, cells) in &rows {
                let cell = &cells[c];
                let value = parse_number(cell).ok_or_else(|| DataError::NotNumeric {
                    path: path.clone(),
                    line: *line,
                    column: column.name.clone(),
                    value: cell.clone(),
                })?;
                match value {
                    Some(v) if !v.is_finite() => {
                        let (line, column, value) = (*line, column.name.clone(), cell.clone());
                        return Err(DataError::NonFiniteValue { path, line, column, value });
                    }
                    None if self.impute == Impute::Error || column.target.is_some() => {
                        return Err(DataError::MissingValue { path, line: *line, column: column.name.clone() });
                    }
                    _ => numbers[c].push(value),
                }
            }
        }
        let filled: Vec<Vec<f32>> = numbers
            .iter()
            .map(|column| {
                let fill = match self.impute {
                    Impute::Constant(v) => v,
                    _ => {
                        let present: Vec<f64> = column.iter().flatten().map(|&v| f64::from(v)).collect();
                        if present.is_empty() {
                            0.0
                        } else {
                            (present.iter().sum::<f64>() / present.len() as f64) as f32
                        }
                    }
                };
                column.iter().map(|v| v.unwrap_or(fill)).collect()
            })
            .collect();

        let mut table = CsvTable {
            path: path.clone(),
            feature_names: Vec::new(),
            target_names: self.targets.clone(),
            categories: Vec::new(),
            features: std::vec![Vec::new(); rows.len()],
            targets: std::vec![std::vec![0.0; self.targets.len()]; rows.len()],
            lines: rows.iter().map(|&(line, _)| line).collect(),
        };
        for (c, column) in columns.iter().enumerate() {
            match (&column.encoder, column.target) {
                (Some(encoder), target) => {
                    table.categories.push((column.name.clone(), encoder.clone()));
                    if target.is_none() {
                        let classes = encoder.classes.iter().map(|class| std::format!("{}={class}", column.name));
                        table.feature_names.extend(classes);
                    }
                    for (r, (_, cells)) in rows.iter().enumerate() {
                        // The encoder was fitted on this very column: every value is known.
                        let index = encoder.transform(&cells[c]).unwrap_or(0);
                        match target {
                            Some(t) => table.targets[r][t] = index as f32,
                            None => table.features[r].extend((0..encoder.len()).map(|k| f32::from(k == index))),
                        }
                    }
                }
                (None, Some(t)) => {
                    for (r, &value) in filled[c].iter().enumerate() {
                        table.targets[r][t] = value;
                    }
                }
                (None, None) => {
                    table.feature_names.push(column.name.clone());
                    for (r, &value) in filled[c].iter().enumerate() {
                        table.features[r].push(value);
                    }
                }
            }
        }
        Ok(table)
    }
}

impl CsvTable {
    /// The feature rows as samples of `N` values; another width is
    /// [`DataError::FeatureCount`].
    pub fn inputs<const N: usize>(&self) -> Result<Vec<[f32; N]>, DataError> {
        let found = self.feature_names.len();
        if found != N {
            return Err(DataError::FeatureCount { path: self.path.clone(), found, expected: N });
        }
        Ok(self.features.iter().map(|row| core::array::from_fn(|i| row[i])).collect())
    }

    /// Samples of `N` features with the one target column as a class index below
    /// `classes`; a value that is not such an integer is [`DataError::BadClass`], another
    /// number of target columns than one [`DataError::TargetCount`].
    pub fn classes<const N: usize>(&self, classes: usize) -> Result<Dataset<N, usize>, DataError> {
        let inputs = self.inputs::<N>()?;
        let [column] = self.target_columns::<1>()?;
        let targets = self
            .targets
            .iter()
            .zip(&self.lines)
            .map(|(row, &line)| {
                let v = row[0];
                if v >= 0.0 && v.fract() == 0.0 && (v as usize) < classes {
                    Ok(v as usize)
                } else {
                    let (path, value) = (self.path.clone(), v.to_string());
                    Err(DataError::BadClass { path, line, column: column.clone(), value, classes })
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(Dataset { inputs, targets })
    }

    /// [`CsvTable::classes`] with the classes as one-hot vectors of `M` values.
    pub fn one_hot<const N: usize, const M: usize>(&self) -> Result<Dataset<N, [f32; M]>, DataError> {
        Ok(self.classes::<N>(M)?.map_targets(super::one_hot::<M>))
    }

    /// Samples of `N` features with the `M` target columns as values: regression targets,
    /// or multi-label 0/1 columns. Another number of target columns is
    /// [`DataError::TargetCount`].
    pub fn values<const N: usize, const M: usize>(&self) -> Result<Dataset<N, [f32; M]>, DataError> {
        let inputs = self.inputs::<N>()?;
        self.target_columns::<M>()?;
        let targets = self.targets.iter().map(|row| core::array::from_fn(|i| row[i])).collect();
        Ok(Dataset { inputs, targets })
    }

    /// The names of the `M` target columns, or [`DataError::TargetCount`].
    fn target_columns<const M: usize>(&self) -> Result<[String; M], DataError> {
        <[String; M]>::try_from(self.target_names.clone()).map_err(|names| DataError::TargetCount {
            path: self.path.clone(),
            found: names.len(),
            expected: M,
        })
    }
}

/// `Some(Some(v))` for a number, `Some(None)` for a missing value (empty, `NaN`, `nan`,
/// `NA`), `None` for anything else.
fn parse_number(cell: &str) -> Option<Option<f32>> {
    if cell.is_empty() || cell.eq_ignore_ascii_case("nan") || cell == "NA" {
        return Some(None);
    }
    cell.parse::<f32>().ok().map(Some)
}
