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
    /// The `.claw` file of the system cannot be read (the cause is the error's source).
    #[error("{path}: cannot read")]
    SystemUnreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The `.claw` file does not compile; the first error says why.
    #[error("{path}: not a valid system (run `claw check`): {first_error}")]
    InvalidSystem {
        /// The file.
        path: PathBuf,
        /// The first error `claw check` reports.
        first_error: String,
    },
    /// The command cannot run as asked: an option needs another, or no input was given.
    #[error("{0}")]
    Usage(String),
    /// A `--ignore` glob is invalid.
    #[error(transparent)]
    Ignore(#[from] claw_compare::noise::BadIgnore),
    /// The legacy endpoint of `serve` is not an http(s) URL.
    #[error("--forward `{url}`: {reason}")]
    Forward {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: crate::mirror::BadForward,
    },
    /// `serve` cannot listen on the address (the cause is the error's source).
    #[error("cannot listen on {addr}")]
    Listen {
        /// The address as given.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// The async runtime or the HTTP server failed.
    #[error(transparent)]
    Runtime(#[from] std::io::Error),
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
            ShadowError::SystemUnreadable { .. } => "claw::shadow::system_unreadable",
            ShadowError::InvalidSystem { .. } => "claw::shadow::invalid_system",
            ShadowError::Usage(_) => "claw::shadow::usage",
            ShadowError::Ignore(_) => "claw::shadow::bad_ignore",
            ShadowError::Forward { .. } => "claw::shadow::bad_forward",
            ShadowError::Listen { .. } => "claw::shadow::listen",
            ShadowError::Runtime(_) => "claw::shadow::runtime",
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
