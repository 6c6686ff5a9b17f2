//! The typed errors of shadow mode, each with its registered code and the place in the
//! input it concerns.

use crate::codes;
use claw_language::diag::Code;
use std::path::PathBuf;

/// Everything that can go wrong reading inputs or the store.
#[derive(Debug, thiserror::Error)]
pub enum ShadowError {
    /// A file could not be read.
    #[error("{path}: cannot read: {source} [{}]", codes::UNREADABLE.id)]
    Io {
        /// The file that could not be read.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// Input is not valid JSON.
    #[error("{file}:{line}:{column}: not valid JSON: {message} [{}]", codes::BAD_JSON.id)]
    BadJson {
        /// File (or label).
        file: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the JSON parser expected.
        message: String,
    },
    /// Input has the wrong shape.
    #[error("{file}:{line}: {message} [{}]", codes::BAD_SHAPE.id)]
    BadShape {
        /// File (or label).
        file: String,
        /// 1-based line (0 when the whole file is concerned).
        line: usize,
        /// What was expected.
        message: String,
    },
    /// A CSV file could not be read.
    #[error("{file}:{line}: bad CSV: {message} [{}]", codes::BAD_CSV.id)]
    BadCsv {
        /// File (or label).
        file: String,
        /// 1-based line of the bad record.
        line: u64,
        /// What went wrong.
        message: String,
    },
    /// The shadow store failed.
    #[error("shadow store {path}: {message} [{}]", codes::STORE.id)]
    Store {
        /// Database file of the store.
        path: String,
        /// What failed, as sqlx or the row check reports it.
        message: String,
    },
    /// The `.claw` file of the system cannot be read (the cause is the error's source).
    #[error("{path}: cannot read")]
    SystemUnreadable {
        /// The `.claw` file that could not be read.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The `.claw` file does not compile; the first error says why.
    #[error("{path}: not a valid system (run `claw check`): {first_error}")]
    InvalidSystem {
        /// The `.claw` file that does not compile.
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
        reason: crate::proxy::BadForward,
    },
    /// `serve` cannot listen on the address (the cause is the error's source).
    #[error("cannot listen on {addr}")]
    Listen {
        /// The address as given.
        addr: String,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The async runtime or the HTTP server failed.
    #[error(transparent)]
    Runtime(#[from] std::io::Error),
    /// The system is unusable for shadowing.
    #[error("system {system}: {message} [{}]", codes::SYSTEM.id)]
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
        self.registered().id
    }

    /// The registry entry of this error (level, summary and fix as documented).
    pub fn registered(&self) -> Code {
        match self {
            ShadowError::Io { .. } | ShadowError::SystemUnreadable { .. } => codes::UNREADABLE,
            ShadowError::BadJson { .. } => codes::BAD_JSON,
            ShadowError::BadShape { .. } => codes::BAD_SHAPE,
            ShadowError::BadCsv { .. } => codes::BAD_CSV,
            ShadowError::Store { .. } => codes::STORE,
            ShadowError::System { .. } => codes::SYSTEM,
            ShadowError::InvalidSystem { .. } => codes::INVALID_SYSTEM,
            ShadowError::Usage(_) => codes::USAGE,
            ShadowError::Ignore(_) => codes::BAD_IGNORE,
            ShadowError::Forward { .. } => codes::BAD_FORWARD,
            ShadowError::Listen { .. } => codes::LISTEN,
            ShadowError::Runtime(_) => codes::SERVER,
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
