//! Writing imported systems the golden-file way: a system that differs from the accepted
//! `NAME.claw` (or has none yet) goes to `NAME.claw.new` for `claw review`, unless the
//! caller accepts directly. Everything is rendered in memory first, so an error writes nothing.

use crate::findings::Finding;
use claw_language::System;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// A generated system plus the files it refers to (extracted code, tables).
#[derive(Debug, Clone)]
pub struct Generated {
    /// The system.
    pub system: System,
    /// Extra files, relative to the output folder, with their contents.
    pub files: Vec<(PathBuf, String)>,
}

impl Generated {
    /// A generated system and its files, with bidirectional control characters removed from
    /// every description (they make text display differently from what it holds).
    pub fn new(mut system: System, files: Vec<(PathBuf, String)>) -> Self {
        crate::names::clean_descriptions(&mut system);
        Generated { system, files }
    }
}

/// What an import produced: systems to write and findings to report. The Zapier and sheet
/// importers return it as is; the crontab importer's `Imported` has the same two fields and
/// adds the number of jobs read.
#[derive(Debug, Clone)]
pub struct Imported {
    /// Systems, in a stable order (input order: Zaps, worksheets).
    pub generated: Vec<Generated>,
    /// Findings, grouped by system in the same order.
    pub findings: Vec<Finding>,
}

/// What happened to one output file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Identical to the accepted file: nothing written.
    Unchanged,
    /// Written as `.claw.new`, waiting for review.
    Pending,
    /// Written (accepted) directly.
    Written,
}

/// One written (or skipped) file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Written {
    /// Accepted path (`DIR/NAME.claw`).
    pub path: PathBuf,
    /// What happened.
    pub outcome: Outcome,
}

/// Output errors.
#[derive(Debug, Error)]
pub enum OutputError {
    /// Two systems would share one file name.
    #[error("two imported systems are both named `{0}`; output file names must be unique")]
    DuplicateName(String),
    /// A generated system does not compile (a bug in an importer: reported, never written).
    #[error("generated system `{name}` does not pass `claw check`: {message}")]
    Invalid {
        /// System name.
        name: String,
        /// First error.
        message: String,
    },
    /// File system trouble.
    #[error("{path}: {source}")]
    Io {
        /// Path involved.
        path: PathBuf,
        /// The underlying error, as the reader reported it.
        source: std::io::Error,
    },
}

/// The suffix of pending files.
pub const PENDING_SUFFIX: &str = ".new";

/// Pending path for an accepted path: `x.claw` → `x.claw.new`.
pub fn pending_path(accepted: &Path) -> PathBuf {
    let mut s = accepted.as_os_str().to_owned();
    s.push(PENDING_SUFFIX);
    PathBuf::from(s)
}

/// Renders and checks every system, then writes them. `accept` writes `.claw` directly.
pub fn write_all(
    out_dir: &Path,
    generated: &[Generated],
    accept: bool,
) -> Result<Vec<Written>, OutputError> {
    write_all_with_progress(out_dir, generated, accept, &mut || {})
}

/// [`write_all`], calling `on_checked` after each system is rendered and checked (the long
/// part of a large import), so a caller can show progress.
pub fn write_all_with_progress(
    out_dir: &Path,
    generated: &[Generated],
    accept: bool,
    on_checked: &mut dyn FnMut(),
) -> Result<Vec<Written>, OutputError> {
    let mut plan: Vec<(PathBuf, String, bool)> = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for g in generated {
        let name = g.system.system.clone();
        if !names.insert(name.clone()) {
            return Err(OutputError::DuplicateName(name));
        }
        let text = claw_language::write::to_claw(&g.system);
        let checked = claw_language::check_text(&text, Some(&format!("{name}.claw")), None);
        if let Some(d) = checked.diagnostics.iter().find(|d| d.is_error()) {
            return Err(OutputError::Invalid {
                name,
                message: d.to_string(),
            });
        }
        on_checked();
        plan.push((out_dir.join(format!("{name}.claw")), text, true));
        for (rel, body) in &g.files {
            plan.push((out_dir.join(rel), body.clone(), false));
        }
    }
    let mut written = Vec::new();
    for (path, text, is_system) in plan {
        let io = |source| OutputError::Io {
            path: path.clone(),
            source,
        };
        let current = std::fs::read_to_string(&path).ok();
        let outcome = if current.as_deref() == Some(text.as_str()) {
            // A stale pending file for an unchanged system would only confuse review.
            let p = pending_path(&path);
            if p.exists() {
                std::fs::remove_file(&p).map_err(io)?;
            }
            Outcome::Unchanged
        } else if accept || !is_system {
            // Extra files (extracted code) are written directly: the system that points at them is what gets reviewed.
            claw_language::files::write_atomic(&path, text.as_bytes()).map_err(io)?;
            let p = pending_path(&path);
            if is_system && p.exists() {
                std::fs::remove_file(&p).map_err(io)?;
            }
            Outcome::Written
        } else {
            claw_language::files::write_atomic(&pending_path(&path), text.as_bytes())
                .map_err(io)?;
            Outcome::Pending
        };
        if is_system {
            written.push(Written { path, outcome });
        }
    }
    Ok(written)
}
