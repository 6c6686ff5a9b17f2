//! Errors that stop a sheet import (nothing is written). Each has a stable code.

use crate::sheet::codes;
use thiserror::Error;

/// Why a spreadsheet could not be imported.
#[derive(Debug, Error)]
pub enum SheetError {
    /// The file could not be read at all.
    #[error("{path}: {source}")]
    Io {
        /// Path involved.
        path: String,
        /// The underlying error, as the reader reported it.
        source: std::io::Error,
    },
    /// The extension names no format we read.
    #[error(
        "{file}: unknown spreadsheet format `.{ext}`; expected .xlsx, .xls, .ods, .csv or .tsv"
    )]
    UnknownFormat {
        /// The file the error is about, as named on the command line.
        file: String,
        /// Extension found.
        ext: String,
    },
    /// calamine could not open the workbook (not a workbook, truncated, corrupt).
    #[error("{file}: not a readable {kind} workbook: {message}")]
    Unreadable {
        /// The file the error is about, as named on the command line.
        file: String,
        /// Format expected.
        kind: &'static str,
        /// What the reader said.
        message: String,
    },
    /// A text file holding NUL bytes: binary data given as CSV.
    #[error("{file}:{line}:{column}: binary data (a NUL byte) where CSV/TSV text was expected")]
    Binary {
        /// The file the error is about, as named on the command line.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// A text file that is not UTF-8.
    #[error("{file}:{line}:{column}: invalid UTF-8; save the CSV/TSV as UTF-8")]
    NotUtf8 {
        /// The file the error is about, as named on the command line.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// The CSV reader failed.
    #[error("{file}:{line}:{column}: malformed CSV: {message}")]
    Csv {
        /// The file the error is about, as named on the command line.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the reader said.
        message: String,
    },
    /// `--sheet NAME` names no worksheet.
    #[error("{file}: no worksheet named `{sheet}`; the workbook has: {}", available.join(", "))]
    NoSuchSheet {
        /// The file the error is about, as named on the command line.
        file: String,
        /// Name asked for.
        sheet: String,
        /// Names present.
        available: Vec<String>,
    },
    /// No worksheet gives a system: none follows a convention we know, or those that do have
    /// nothing to import (a recognised header with no rows).
    #[error("{file}: {}", describe(sheets, skipped, accepted))]
    NoConvention {
        /// The file the error is about, as named on the command line.
        file: String,
        /// Per worksheet that follows no convention: name and the header candidates seen
        /// (`cell: text`).
        sheets: Vec<(String, Vec<String>)>,
        /// Per worksheet that follows a convention but gave no system: name and why.
        skipped: Vec<(String, String)>,
        /// What we accept, spelled out.
        accepted: String,
    },
}

/// Why a worksheet that follows a convention still gives no system. The import goes on: the
/// worksheet is skipped with a `sheet_skipped` finding that carries this text.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum BuildError {
    /// A runbook register none of whose rows has an action, trigger or schedule.
    #[error(
        "runbook register with headers on row {header_row} has no row with an action, trigger or schedule"
    )]
    NoRegisterRows {
        /// The 1-based row number of the headers.
        header_row: usize,
    },
    /// A runbook register whose header row was recognised but has no rows below it.
    #[error(
        "the header row {header_row} was recognised as a runbook register, but there are no rows below it"
    )]
    EmptyRegister {
        /// The 1-based row number of the headers.
        header_row: usize,
    },
    /// A decision table none of whose rows has an outcome.
    #[error("decision table with headers on row {header_row} has no rule with an outcome")]
    NoRules {
        /// The 1-based row number of the headers.
        header_row: usize,
    },
}

fn describe(
    sheets: &[(String, Vec<String>)],
    skipped: &[(String, String)],
    accepted: &str,
) -> String {
    let mut s = String::new();
    if !skipped.is_empty() {
        s.push_str("no worksheet gives a system");
        for (name, why) in skipped {
            s.push_str(&format!("\n  worksheet `{name}`: {why}"));
        }
        if sheets.is_empty() {
            return s;
        }
        s.push_str("\nand ");
    }
    s.push_str("no worksheet looks like a runbook register or a decision table");
    for (name, headers) in sheets {
        if headers.is_empty() {
            s.push_str(&format!("\n  worksheet `{name}`: empty"));
        } else {
            s.push_str(&format!(
                "\n  worksheet `{name}`: headers found: {}",
                headers.join(", ")
            ));
        }
    }
    s.push('\n');
    s.push_str(accepted);
    s
}

impl SheetError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            SheetError::Io { .. } => crate::codes::IO.id,
            SheetError::UnknownFormat { .. } => codes::SHEET_FORMAT.id,
            SheetError::Unreadable { .. }
            | SheetError::Binary { .. }
            | SheetError::NotUtf8 { .. } => codes::BAD_SHEET.id,
            SheetError::Csv { .. } => codes::BAD_CSV.id,
            SheetError::NoSuchSheet { .. } => codes::NO_SUCH_SHEET.id,
            SheetError::NoConvention { .. } => codes::SHEET_NO_CONVENTION.id,
        }
    }
}
