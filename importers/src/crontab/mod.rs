//! `claw import crontab`: user crontabs, `/etc/crontab` and `/etc/cron.d/*`, run-parts folders
//! (`/etc/cron.daily` …) and `/etc/anacrontab` become `.claw` systems that do exactly what cron
//! did, with findings for what cron never had. Semantics follow Debian's cron 3.0pl1; where
//! cronie differs the importer says so (see docs/importers/crontab.md).

pub mod anacrontab;
pub mod codes;
pub mod credentials;
mod infer;
pub mod lines;
pub mod shell;
pub mod sources;

use crate::findings::Finding;
use crate::output::Generated;
pub use lines::{LineError, Syntax};
pub use sources::{RawInput, collect};
use thiserror::Error;

/// How jobs are grouped into systems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// One system per input file (a run-parts folder is one file here).
    #[default]
    File,
    /// One system per user the jobs run as.
    User,
    /// One system per program (the first word of the command after its guards).
    CommandPrefix,
}

/// Import options.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Force user or system syntax for crontabs whose location does not say (`None`: detect).
    pub syntax: Option<Syntax>,
    /// How jobs are grouped into systems.
    pub group_by: GroupBy,
    /// cronie's behaviour: import the good lines of a file with bad lines, reporting the bad
    /// ones as findings. Without it any bad line is an error (Debian ignores such a file).
    pub skip_bad_lines: bool,
    /// Owner of user crontabs whose location does not say (who cron mailed when MAILTO is unset).
    pub user: Option<String>,
}

/// What an import produced: the same `generated` and `findings` as the other importers'
/// [`crate::output::Imported`], plus the number of jobs read.
#[derive(Debug, Clone)]
pub struct Imported {
    /// Systems, in a stable order.
    pub generated: Vec<Generated>,
    /// Findings, in a stable order.
    pub findings: Vec<Finding>,
    /// Jobs imported (triggers created).
    pub jobs: usize,
}

/// Why an import produced nothing.
#[derive(Debug, Error)]
pub enum CrontabError {
    /// A file could not be read.
    #[error("error[claw::import::unreadable]: {path}: {message}")]
    Unreadable {
        /// The path that could not be read.
        path: String,
        /// OS message.
        message: String,
    },
    /// Binary data where a text file was expected.
    #[error(
        "{file}:{line}:{column}: error[claw::import::not_text]: not a text file: byte 0x{byte:02x} is not UTF-8 text (expected a crontab, an anacrontab or a run-parts script)"
    )]
    NotText {
        /// The file the error is about, as named on the command line.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The offending byte.
        byte: u8,
    },
    /// Lines Debian's cron refuses (every one is listed).
    #[error("{}", render_bad_lines(.0))]
    BadLines(Vec<LineError>),
    /// Nothing to import.
    #[error("error[claw::import::empty]: {0}")]
    Empty(String),
}

impl CrontabError {
    /// The stable code.
    pub fn code(&self) -> &str {
        match self {
            CrontabError::Unreadable { .. } => codes::UNREADABLE.id,
            CrontabError::NotText { .. } => codes::NOT_TEXT.id,
            CrontabError::BadLines(e) => e
                .first()
                .map_or(codes::CRON_BAD_LINE.id, |e| e.code.as_str()),
            CrontabError::Empty(_) => codes::EMPTY.id,
        }
    }
}

fn render_bad_lines(errors: &[LineError]) -> String {
    let mut out = String::new();
    let mut files: Vec<&str> = errors.iter().map(|e| e.file.as_str()).collect();
    files.dedup();
    for e in errors {
        out.push_str(&e.render());
        out.push('\n');
    }
    for f in files {
        let n = errors.iter().filter(|e| e.file == f).count();
        out.push_str(&format!(
            "{f}: {n} bad line(s). Debian's cron ignores this whole file (none of its jobs run); cronie skips only the bad line(s) and runs the rest. Nothing was written: fix the line(s), or pass --skip-bad-lines to import the good lines as cronie would.\n"
        ));
    }
    out.trim_end().to_string()
}

/// Imports already-read inputs. Every input is classified by location and content, parsed, and
/// inferred into systems; nothing is written here.
pub fn import(inputs: Vec<RawInput>, opts: &Options) -> Result<Imported, CrontabError> {
    if inputs.is_empty() {
        return Err(CrontabError::Empty(
            "no input files (an empty folder?)".into(),
        ));
    }
    let files = inputs
        .into_iter()
        .map(sources::classify)
        .collect::<Result<Vec<_>, _>>()?;
    infer::infer(files, opts)
}
