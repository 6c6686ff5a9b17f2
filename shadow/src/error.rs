//! Typed errors, each with a stable code and the place in the input it concerns.

use std::path::PathBuf;

/// Everything that can go wrong reading inputs or the store.
#[derive(Debug, thiserror::Error)]
pub enum ShadowError {
    /// A file could not be read.
    #[error("{path}: cannot read: {source} [claw::shadow::unreadable]")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Input is not valid JSON.
    #[error("{file}:{line}:{column}: not valid JSON: {message} [claw::shadow::bad_json]")]
    BadJson {
        /// File (or label).
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the JSON parser expected.
        message: String,
    },
    /// Input has the wrong shape.
    #[error("{file}:{line}: {message} [claw::shadow::bad_shape]")]
    BadShape {
        /// File (or label).
        file: String,
        /// 1-based line (0 when the whole file is concerned).
        line: usize,
        /// What was expected.
        message: String,
    },
    /// A CSV file could not be read.
    #[error("{file}:{line}: bad CSV: {message} [claw::shadow::bad_csv]")]
    BadCsv {
        /// File (or label).
        file: String,
        /// 1-based line.
        line: u64,
        /// What went wrong.
        message: String,
    },
    /// The shadow store failed.
    #[error("shadow store {path}: {message} [claw::shadow::store]")]
    Store {
        /// Database file.
        path: String,
        /// What failed.
        message: String,
    },
    /// The system is unusable for shadowing.
    #[error("system {system}: {message} [claw::shadow::system]")]
    System {
        /// System name or file.
        system: String,
        /// What is wrong.
        message: String,
    },
}

impl ShadowError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ShadowError::Io { .. } => "claw::shadow::unreadable",
            ShadowError::BadJson { .. } => "claw::shadow::bad_json",
            ShadowError::BadShape { .. } => "claw::shadow::bad_shape",
            ShadowError::BadCsv { .. } => "claw::shadow::bad_csv",
            ShadowError::Store { .. } => "claw::shadow::store",
            ShadowError::System { .. } => "claw::shadow::system",
        }
    }

    pub(crate) fn json(file: &str, e: &serde_json::Error) -> Self {
        ShadowError::BadJson {
            file: file.to_string(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        }
    }

    pub(crate) fn shape(file: &str, line: usize, message: impl Into<String>) -> Self {
        ShadowError::BadShape {
            file: file.to_string(),
            line,
            message: message.into(),
        }
    }
}

/// Reads a file, naming it on failure.
pub fn read_text(path: &std::path::Path) -> Result<String, ShadowError> {
    std::fs::read_to_string(path).map_err(|source| ShadowError::Io {
        path: path.to_path_buf(),
        source,
    })
}
