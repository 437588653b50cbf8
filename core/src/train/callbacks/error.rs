//! What a callback can fail at.

use core::fmt;

use super::logs::LogsFull;

/// What a callback could not do. Its `Display` is one line.
#[derive(Debug)]
#[non_exhaustive]
pub enum CallbackError {
    /// The value a callback monitors is not in the logs. (Keras warns and carries on; a
    /// misspelt monitor would then never stop the run, so here it is an error.)
    MissingLog {
        /// The callback.
        callback: &'static str,
        /// The value it monitors.
        name: &'static str,
    },
    /// The logs had no room for a value a callback adds.
    Logs(LogsFull),
    /// Writing a log or a model file failed.
    #[cfg(feature = "std")]
    Io {
        /// The callback.
        callback: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Saving the model failed.
    #[cfg(feature = "std")]
    Model(crate::model_file::ModelFileError),
}

impl fmt::Display for CallbackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallbackError::MissingLog { callback, name } => {
                write!(f, "{callback} monitors `{name}`, which the logs do not have")
            }
            CallbackError::Logs(e) => e.fmt(f),
            #[cfg(feature = "std")]
            CallbackError::Io { callback, path, source } => write!(f, "{callback}: {}: {source}", path.display()),
            #[cfg(feature = "std")]
            CallbackError::Model(e) => e.fmt(f),
        }
    }
}

impl From<LogsFull> for CallbackError {
    fn from(e: LogsFull) -> Self {
        CallbackError::Logs(e)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for CallbackError {}
