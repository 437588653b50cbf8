//! The one error type of data loading: every variant names the file it is about.

use core::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::string::String;

/// What an IDX header announced, used in error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdxHeader {
    /// An image file (magic 0x00000803): `count` images of `rows` x `cols` bytes.
    Images {
        /// Number of images.
        count: u32,
        /// Rows per image.
        rows: u32,
        /// Columns per image.
        cols: u32,
    },
    /// A label file (magic 0x00000801): `count` one-byte labels.
    Labels {
        /// Number of labels.
        count: u32,
    },
}

impl fmt::Display for IdxHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            IdxHeader::Images { count, rows, cols } => write!(f, "{count} images of {rows}x{cols}"),
            IdxHeader::Labels { count } => write!(f, "{count} labels"),
        }
    }
}

/// Why a data file could not be loaded. `Display` is one line starting with the file's path.
#[derive(Debug)]
#[non_exhaustive]
pub enum DataError {
    /// The file does not exist.
    NotFound {
        /// The file looked for.
        path: PathBuf,
    },
    /// The file exists but reading it failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The file starts with the gzip magic bytes but does not decompress.
    Gzip {
        /// The file.
        path: PathBuf,
        /// flate2's error.
        source: io::Error,
    },
    /// The file (after decompression) is shorter than the IDX header.
    HeaderTooShort {
        /// The file.
        path: PathBuf,
        /// Bytes the file holds.
        found: usize,
        /// Bytes the header needs (16 for images, 8 for labels).
        needed: usize,
    },
    /// The first four bytes are not the expected IDX magic number.
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The magic number read.
        found: u32,
        /// The magic number wanted.
        expected: u32,
    },
    /// Fewer data bytes follow the header than it announces.
    Truncated {
        /// The file.
        path: PathBuf,
        /// What the header announced.
        header: IdxHeader,
        /// Data bytes announced (not counting the header).
        expected: u64,
        /// Data bytes present after the header.
        found: u64,
    },
    /// More data bytes follow the header than it announces.
    TrailingData {
        /// The file.
        path: PathBuf,
        /// What the header announced.
        header: IdxHeader,
        /// Data bytes announced (not counting the header).
        expected: u64,
        /// Bytes beyond those.
        extra: u64,
    },
    /// Images whose pixel count differs from the sample size asked for.
    ImageSize {
        /// The image file.
        path: PathBuf,
        /// Rows per image.
        rows: usize,
        /// Columns per image.
        cols: usize,
        /// Values per sample asked for.
        expected: usize,
    },
    /// An image file and a label file with different counts.
    CountMismatch {
        /// The image file.
        path: PathBuf,
        /// Images in it.
        images: usize,
        /// Labels in the label file.
        labels: usize,
        /// The label file.
        labels_path: PathBuf,
    },
    /// A label outside `0..classes`.
    BadLabel {
        /// The label file.
        path: PathBuf,
        /// The label read.
        label: u8,
        /// Its position in the file.
        index: usize,
        /// Number of classes allowed.
        classes: usize,
    },
    /// A data set with no samples.
    Empty {
        /// The data file.
        path: PathBuf,
    },
    /// A CSV file without even a header line.
    NoHeader {
        /// The CSV file.
        path: PathBuf,
    },
    /// A CSV file the `csv` crate cannot read (invalid UTF-8, a broken quote).
    Csv {
        /// The CSV file.
        path: PathBuf,
        /// The line it failed on, when known.
        line: Option<u64>,
        /// The `csv` crate's message.
        message: String,
    },
    /// A column named (as a target or as categorical) that the header does not have.
    NoSuchColumn {
        /// The CSV file.
        path: PathBuf,
        /// The name asked for.
        column: String,
    },
    /// Two header columns with the same name, or a target column named twice.
    DuplicateColumn {
        /// The CSV file.
        path: PathBuf,
        /// The name.
        column: String,
    },
    /// A row with another number of cells than the header.
    RaggedRow {
        /// The CSV file.
        path: PathBuf,
        /// The line in the file (the header is line 1).
        line: u64,
        /// Cells in that row.
        found: usize,
        /// Cells in the header.
        expected: usize,
    },
    /// A cell of a numeric column that is not a number.
    NotNumeric {
        /// The CSV file.
        path: PathBuf,
        /// The line in the file (the header is line 1).
        line: u64,
        /// The column's name.
        column: String,
        /// The cell.
        value: String,
    },
    /// An empty or NaN cell (a missing value) where no imputation was asked for.
    MissingValue {
        /// The CSV file.
        path: PathBuf,
        /// The line in the file (the header is line 1).
        line: u64,
        /// The column's name.
        column: String,
    },
    /// An infinite cell.
    NonFiniteValue {
        /// The CSV file.
        path: PathBuf,
        /// The line in the file (the header is line 1).
        line: u64,
        /// The column's name.
        column: String,
        /// The cell.
        value: String,
    },
    /// A class label that is not an integer below the number of classes.
    BadClass {
        /// The CSV file.
        path: PathBuf,
        /// The line in the file (the header is line 1).
        line: u64,
        /// The target column's name.
        column: String,
        /// The cell.
        value: String,
        /// Number of classes allowed.
        classes: usize,
    },
    /// Feature columns (after one-hot encoding) that do not give the samples' width.
    FeatureCount {
        /// The CSV file.
        path: PathBuf,
        /// Feature values per row in the file.
        found: usize,
        /// Values per sample the network takes.
        expected: usize,
    },
    /// Target columns (after one-hot encoding) that do not give the targets' width.
    TargetCount {
        /// The CSV file.
        path: PathBuf,
        /// Target values per row in the file.
        found: usize,
        /// Values per target asked for.
        expected: usize,
    },
}

impl DataError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            DataError::NotFound { path }
            | DataError::Io { path, .. }
            | DataError::Gzip { path, .. }
            | DataError::HeaderTooShort { path, .. }
            | DataError::BadMagic { path, .. }
            | DataError::Truncated { path, .. }
            | DataError::TrailingData { path, .. }
            | DataError::ImageSize { path, .. }
            | DataError::CountMismatch { path, .. }
            | DataError::BadLabel { path, .. }
            | DataError::Empty { path }
            | DataError::NoHeader { path }
            | DataError::Csv { path, .. }
            | DataError::NoSuchColumn { path, .. }
            | DataError::DuplicateColumn { path, .. }
            | DataError::RaggedRow { path, .. }
            | DataError::NotNumeric { path, .. }
            | DataError::MissingValue { path, .. }
            | DataError::NonFiniteValue { path, .. }
            | DataError::BadClass { path, .. }
            | DataError::FeatureCount { path, .. }
            | DataError::TargetCount { path, .. } => path,
        }
    }
}

/// Human name of an IDX magic number, for messages.
fn magic_name(magic: u32) -> &'static str {
    match magic {
        0x0803 => "IDX u8 images",
        0x0801 => "IDX u8 labels",
        _ => "IDX",
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.path().display())?;
        match self {
            DataError::NotFound { .. } => write!(f, "not found"),
            DataError::Io { source, .. } => write!(f, "cannot read: {source}"),
            DataError::Gzip { source, .. } => write!(f, "gzip stream is corrupt: {source}"),
            DataError::HeaderTooShort { found, needed, .. } => {
                write!(f, "truncated: the file holds {found} bytes but the IDX header needs {needed}")
            }
            DataError::BadMagic { found, expected, .. } => {
                write!(f, "bad magic number {found:#010x}, expected {expected:#010x} ({})", magic_name(*expected))?;
                if magic_name(*found) != "IDX" {
                    write!(f, "; this looks like {}", magic_name(*found))?;
                }
                Ok(())
            }
            DataError::Truncated { header, expected, found, .. } => {
                write!(f, "truncated: header says {header} ({expected} bytes) but the file holds {found}")
            }
            DataError::TrailingData { header, expected, extra, .. } => {
                write!(f, "trailing data: header says {header} ({expected} bytes) but {extra} more bytes follow")
            }
            DataError::ImageSize { rows, cols, expected, .. } => {
                write!(
                    f,
                    "images are {rows}x{cols} = {} values but samples of {expected} were asked for",
                    *rows as u64 * *cols as u64
                )
            }
            DataError::CountMismatch { images, labels, labels_path, .. } => {
                let name = labels_path.file_name().map_or(labels_path.as_os_str(), |n| n);
                write!(f, "{images} images but {labels} labels (in {})", name.display())
            }
            DataError::BadLabel { label, index, classes, .. } => match classes {
                10 => write!(f, "label {label} at index {index} is not a digit 0-9"),
                _ => write!(f, "label {label} at index {index} is not a class below {classes}"),
            },
            DataError::Empty { .. } => write!(f, "empty data set"),
            DataError::NoHeader { .. } => write!(f, "empty file: no header line"),
            DataError::Csv { line: Some(line), message, .. } => write!(f, "line {line}: {message}"),
            DataError::Csv { line: None, message, .. } => write!(f, "{message}"),
            DataError::NoSuchColumn { column, .. } => write!(f, "no column named \"{column}\" in the header"),
            DataError::DuplicateColumn { column, .. } => write!(f, "column \"{column}\" appears twice"),
            DataError::RaggedRow { line, found, expected, .. } => {
                write!(f, "line {line}: {found} cells, the header has {expected}")
            }
            DataError::NotNumeric { line, column, value, .. } => {
                write!(f, "line {line}, column \"{column}\": \"{value}\" is not a number")
            }
            DataError::MissingValue { line, column, .. } => {
                write!(f, "line {line}, column \"{column}\": missing value (impute explicitly to fill it)")
            }
            DataError::NonFiniteValue { line, column, value, .. } => {
                write!(f, "line {line}, column \"{column}\": \"{value}\" is not finite")
            }
            DataError::BadClass { line, column, value, classes, .. } => {
                write!(f, "line {line}, column \"{column}\": label \"{value}\" is not a class below {classes}")
            }
            DataError::FeatureCount { found, expected, .. } => {
                write!(f, "{found} feature columns, the network takes {expected}")
            }
            DataError::TargetCount { found, expected, .. } => {
                write!(f, "{found} target columns, the targets take {expected}")
            }
        }
    }
}

/// The underlying `io::Error` is already part of the one-line message, so `source` is `None`
/// (reporters would otherwise print it twice); it stays reachable through the variant's field.
impl std::error::Error for DataError {}
