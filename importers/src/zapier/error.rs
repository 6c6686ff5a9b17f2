//! Errors that stop a Zapier import: the input cannot be read as an export at all.
//! Anything the importer can carry on from is a [`crate::findings::Finding`] instead.

use crate::zapier::codes;
use thiserror::Error;

/// Where a located error points: a Zap and, when known, a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZapAt {
    /// Input file label.
    pub file: String,
    /// Zap id.
    pub zap: String,
    /// Zap title.
    pub title: String,
}

impl std::fmt::Display for ZapAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: Zap {} \"{}\"", self.file, self.zap, self.title)
    }
}

/// Why an input is not a usable Zapier export. Nothing is written when one occurs.
#[derive(Debug, Error)]
pub enum ZapierError {
    /// The file cannot be read.
    #[error("{file}: {source}")]
    Io {
        /// The file the error is about, as named on the command line.
        file: String,
        /// What went wrong, as the reader reported it.
        source: std::io::Error,
    },
    /// Not JSON at all.
    #[error("{file}:{line}:{column}: not valid JSON: {message}\n{excerpt}")]
    BadJson {
        /// The file the error is about, as named on the command line.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the JSON parser expected.
        message: String,
        /// The offending source line with a caret under the column.
        excerpt: String,
    },
    /// JSON, but not shaped like a Zapier export.
    #[error("{file}:{line}:{column}: not a Zapier export: {message}\n{excerpt}")]
    BadShape {
        /// The file the error is about, as named on the command line.
        file: String,
        /// 1-based line (0 when the whole document is at fault).
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was expected.
        message: String,
        /// The offending source line with a caret (may be empty).
        excerpt: String,
    },
    /// A ZIP archive without `Zapfile.json`.
    #[error("{file}: the archive holds no Zapfile.json (entries: {entries})")]
    NoZapfile {
        /// The ZIP archive the error is about.
        file: String,
        /// The entries it does hold (first few).
        entries: String,
    },
    /// A ZIP archive that cannot be opened.
    #[error("{file}: not a readable ZIP archive: {message}")]
    BadZip {
        /// The ZIP archive the error is about.
        file: String,
        /// What went wrong, as the reader reported it.
        message: String,
    },
    /// A folder holding no export.
    #[error("{file}: no Zapier export (*.json, *.zip) found")]
    Empty {
        /// The folder given on the command line.
        file: String,
    },
    /// Two nodes share an id (or a node key disagrees with its id).
    #[error("{at}: node id {node} is used twice ({detail})")]
    DuplicateId {
        /// The Zap (id and file) the error is about.
        at: ZapAt,
        /// Node id.
        node: String,
        /// Which keys.
        detail: String,
    },
    /// Two Zaps in one file share an id.
    #[error("{file}: Zap id {zap} is used by two Zaps (\"{first}\" and \"{second}\")")]
    DuplicateZap {
        /// The file the error is about, as named on the command line.
        file: String,
        /// Zap id.
        zap: String,
        /// First title.
        first: String,
        /// Second title.
        second: String,
    },
    /// A node's `parent_id` names no node of the Zap.
    #[error("{at}: node {node} has parent_id {parent}, which is not a node of this Zap")]
    DanglingParent {
        /// The Zap (id and file) the error is about.
        at: ZapAt,
        /// Node id.
        node: String,
        /// The missing parent.
        parent: String,
    },
    /// `parent_id` links form a loop.
    #[error("{at}: nodes {nodes} form a cycle through their parent_id links")]
    Cycle {
        /// The Zap (id and file) the error is about.
        at: ZapAt,
        /// Node ids in the loop.
        nodes: String,
    },
    /// No trigger (node without `parent_id`), or several.
    #[error("{at}: {message}")]
    Root {
        /// The Zap (id and file) the error is about.
        at: ZapAt,
        /// What is wrong.
        message: String,
    },
}

impl ZapierError {
    /// Stable code for reports.
    pub fn code(&self) -> &'static str {
        match self {
            ZapierError::Io { .. } => crate::codes::IO.id,
            ZapierError::BadJson { .. } => codes::BAD_JSON.id,
            ZapierError::BadShape { .. } => codes::BAD_SHAPE.id,
            ZapierError::NoZapfile { .. } => codes::NO_ZAPFILE.id,
            ZapierError::BadZip { .. } => codes::BAD_ZIP.id,
            ZapierError::Empty { .. } => codes::EMPTY_INPUT.id,
            ZapierError::DuplicateId { .. } => codes::DUPLICATE_ID.id,
            ZapierError::DuplicateZap { .. } => codes::DUPLICATE_ZAP.id,
            ZapierError::DanglingParent { .. } => codes::DANGLING_PARENT.id,
            ZapierError::Cycle { .. } => codes::CYCLE.id,
            ZapierError::Root { .. } => codes::BAD_ROOT.id,
        }
    }
}

/// The source line at `line` with a caret under `column` (both 1-based), for error messages.
pub fn excerpt(text: &str, line: usize, column: usize) -> String {
    match text.lines().nth(line.saturating_sub(1)) {
        Some(src) => excerpt_line(src, line, column),
        None => String::new(),
    }
}

/// [`excerpt`] when only line `line` itself (`src`) is at hand, as when the export is streamed.
pub fn excerpt_line(src: &str, line: usize, column: usize) -> String {
    // Long minified lines are cut around the column so the message stays readable.
    let chars: Vec<char> = src.chars().collect();
    let col = column.saturating_sub(1).min(chars.len());
    let start = col.saturating_sub(60);
    let end = (col + 60).min(chars.len());
    let shown: String = chars[start..end].iter().collect();
    let prefix = if start > 0 { "…" } else { "" };
    let gutter = format!("{line}");
    format!(
        "{gutter} | {prefix}{shown}\n{} | {}^",
        " ".repeat(gutter.len()),
        " ".repeat(col - start + prefix.chars().count())
    )
}
