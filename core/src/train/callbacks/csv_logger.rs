//! Writing each epoch's logs to a CSV file.

use std::fs::{File, OpenOptions};
use std::path::PathBuf;
use std::string::{String, ToString};
use std::vec::Vec;

use super::control::{Callback, Control};
use super::error::CallbackError;
use super::logs::Logs;
use crate::layer::Layer;

/// Keras's `CSVLogger`: one row per epoch, `epoch` (from 0, as Keras writes it) then the
/// logs in the order of the first epoch's logs, written with the `csv` crate and flushed
/// after each row, so that a crashed run keeps the epochs it finished.
///
/// Keras's defaults: `separator = ','`, `append = false` (the file is truncated at train
/// begin; with `append` the header is written only when the file is empty). Keras sorts
/// the columns by name; here they keep the order the loop logged them (`loss`, metrics,
/// `val_*`, `lr`). An epoch without one of the columns leaves its cell empty (Keras writes
/// `NA`).
pub struct CsvLogger {
    path: PathBuf,
    separator: u8,
    append: bool,
    writer: Option<csv::Writer<File>>,
    /// The columns after `epoch`, once the header is written or read.
    columns: Option<Vec<String>>,
}

impl CsvLogger {
    /// Logs to `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        CsvLogger { path: path.into(), separator: b',', append: false, writer: None, columns: None }
    }

    /// Sets the separator.
    pub fn separator(mut self, separator: u8) -> Self {
        self.separator = separator;
        self
    }

    /// Appends to the file instead of replacing it.
    pub fn append(mut self, append: bool) -> Self {
        self.append = append;
        self
    }

    fn io(&self, source: std::io::Error) -> CallbackError {
        CallbackError::Io { callback: "CsvLogger", path: self.path.clone(), source }
    }

    fn csv(&self, e: csv::Error) -> CallbackError {
        self.io(std::io::Error::other(e))
    }
}

impl<N: Layer> Callback<N> for CsvLogger {
    fn on_train_begin(&mut self, _: &mut Control<'_, N>) -> Result<(), CallbackError> {
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .append(self.append)
            .truncate(!self.append)
            .open(&self.path)
            .map_err(|e| self.io(e))?;
        // Appending to a file with a header: its columns.
        let text =
            if self.append { std::fs::read_to_string(&self.path).map_err(|e| self.io(e))? } else { String::new() };
        self.columns = text
            .lines()
            .next()
            .map(|header| header.split(char::from(self.separator)).skip(1).map(ToString::to_string).collect());
        self.writer = Some(csv::WriterBuilder::new().delimiter(self.separator).flexible(true).from_writer(file));
        Ok(())
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &mut Logs, _: &mut Control<'_, N>) -> Result<(), CallbackError> {
        let header = self.columns.is_none();
        let columns =
            self.columns.get_or_insert_with(|| logs.iter().map(|(k, _)| std::format!("{k}")).collect()).clone();
        let row: Vec<String> = core::iter::once(epoch.to_string())
            .chain(columns.iter().map(|c| logs.get(c).map_or(String::new(), |v| std::format!("{v}"))))
            .collect();
        let Some(writer) = self.writer.as_mut() else { return Ok(()) };
        let result = (|| {
            if header {
                writer.write_record(core::iter::once("epoch").chain(columns.iter().map(String::as_str)))?;
            }
            writer.write_record(&row)?;
            writer.flush().map_err(csv::Error::from)
        })();
        result.map_err(|e| self.csv(e))
    }

    fn on_train_end(&mut self, _: &Logs, _: &mut Control<'_, N>) -> Result<(), CallbackError> {
        self.writer = None;
        Ok(())
    }
}
