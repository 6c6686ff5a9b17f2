//! Writing imported systems the golden-file way: a system that differs from the accepted
//! `NAME.claw` (or has none yet) goes to `NAME.claw.new` for `claw review`, unless the
//! caller accepts directly. Systems can come one at a time ([`Writer`]): each is rendered and
//! checked ([`check_rendered`]), then written to a hidden staging folder inside the output folder; only
//! [`Writer::commit`] moves the files into place, so an error (or a crash) before it leaves the
//! output folder as it was. Staged files are not synced one by one (a sync per file cost ~5 ms,
//! most of an import's wall time): one sync of the file system makes them durable before they
//! are moved, and one more after the moves.

use crate::findings::Finding;
use claw_language::System;
use std::collections::BTreeSet;
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
    let mut w = Writer::new(out_dir, accept);
    for g in generated {
        w.add(g)?;
        on_checked();
    }
    w.commit()
}

/// Makes sure `claw check` accepts `text`, which must be `to_claw(system)`. When the system is
/// one the canonical writer is proven to round-trip, validating it in memory decides without
/// reading the text back (`claw_language::canonical`); otherwise, and whenever that finds an
/// error, the text itself is checked as `claw check` would, so a refusal names the same first
/// error as before. `exprs` carries compiled expressions from one system's check to the next.
pub fn check_rendered(
    system: &System,
    text: &str,
    exprs: &claw_language::expr::ExprCache,
) -> Result<(), OutputError> {
    if claw_language::canonical::is_valid(system, exprs) == Some(true) {
        return Ok(());
    }
    let name = &system.system;
    let checked = claw_language::check_text_with(text, Some(&format!("{name}.claw")), None, exprs);
    match checked.diagnostics.iter().find(|d| d.is_error()) {
        Some(d) => Err(OutputError::Invalid {
            name: name.clone(),
            message: d.to_string(),
        }),
        None => Ok(()),
    }
}

/// One change to the output folder, made at commit.
#[derive(Debug)]
enum Step {
    /// Move staged file number `staged` to `to`.
    Move { staged: usize, to: PathBuf },
    /// Remove a stale pending file.
    Remove(PathBuf),
}

/// Writes systems one at a time, all or nothing: see the module comment. Dropping a writer
/// without committing removes what it staged.
#[derive(Debug)]
pub struct Writer {
    out_dir: PathBuf,
    accept: bool,
    names: BTreeSet<String>,
    /// The staging folder, once something was staged.
    stage: Option<PathBuf>,
    /// The highest folder this writer created to hold the output (removed again on failure).
    created: Option<PathBuf>,
    staged: usize,
    steps: Vec<Step>,
    written: Vec<Written>,
    /// Compiled expressions shared by the checks of successive systems.
    exprs: claw_language::expr::ExprCache,
}

impl Writer {
    /// A writer into `out_dir`; `accept` writes `.claw` directly instead of `.claw.new`.
    pub fn new(out_dir: &Path, accept: bool) -> Writer {
        Writer {
            out_dir: out_dir.to_path_buf(),
            accept,
            names: BTreeSet::new(),
            stage: None,
            created: None,
            staged: 0,
            steps: Vec::new(),
            written: Vec::new(),
            exprs: claw_language::expr::ExprCache::default(),
        }
    }

    /// Renders and checks one system, then stages it and its extra files.
    pub fn add(&mut self, g: &Generated) -> Result<(), OutputError> {
        let name = g.system.system.clone();
        if !self.names.insert(name.clone()) {
            return Err(OutputError::DuplicateName(name));
        }
        let text = claw_language::write::to_claw(&g.system);
        check_rendered(&g.system, &text, &self.exprs)?;
        let path = self.out_dir.join(format!("{name}.claw"));
        let outcome = self.plan(&path, &text, true)?;
        for (rel, body) in &g.files {
            self.plan(&self.out_dir.join(rel), body, false)?;
        }
        self.written.push(Written { path, outcome });
        Ok(())
    }

    fn plan(&mut self, path: &Path, text: &str, is_system: bool) -> Result<Outcome, OutputError> {
        let current = std::fs::read_to_string(path).ok();
        let pending = pending_path(path);
        if current.as_deref() == Some(text) {
            // A stale pending file for an unchanged system would only confuse review.
            if pending.exists() {
                self.steps.push(Step::Remove(pending));
            }
            return Ok(Outcome::Unchanged);
        }
        let staged = self.stage_file(text)?;
        if self.accept || !is_system {
            // Extra files (extracted code) are written directly: the system that points at them is what gets reviewed.
            self.steps.push(Step::Move {
                staged,
                to: path.to_path_buf(),
            });
            if is_system && pending.exists() {
                self.steps.push(Step::Remove(pending));
            }
            Ok(Outcome::Written)
        } else {
            self.steps.push(Step::Move {
                staged,
                to: pending,
            });
            Ok(Outcome::Pending)
        }
    }

    fn stage_file(&mut self, text: &str) -> Result<usize, OutputError> {
        let stage = match &self.stage {
            Some(s) => s.clone(),
            None => {
                let s = self.make_stage()?;
                self.stage = Some(s.clone());
                s
            }
        };
        let n = self.staged;
        let path = stage.join(n.to_string());
        std::fs::write(&path, text).map_err(|source| OutputError::Io { path, source })?;
        self.staged += 1;
        Ok(n)
    }

    /// Creates the output folder if needed (remembering what it created) and a fresh staging
    /// folder inside it, so the final moves are renames within one file system.
    fn make_stage(&mut self) -> Result<PathBuf, OutputError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| OutputError::Io { path, source }
        };
        let mut top = None;
        for a in self.out_dir.ancestors() {
            if a.as_os_str().is_empty() || a.exists() {
                break;
            }
            top = Some(a.to_path_buf());
        }
        std::fs::create_dir_all(&self.out_dir).map_err(io(&self.out_dir))?;
        self.created = top;
        for k in 0u32.. {
            let s = self
                .out_dir
                .join(format!(".claw-import-{}-{k}", std::process::id()));
            match std::fs::create_dir(&s) {
                Ok(()) => return Ok(s),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && k < 1000 => {}
                Err(e) => return Err(io(&s)(e)),
            }
        }
        unreachable!("the loop above returns")
    }

    /// Moves every staged file into place and removes stale pending files; returns what
    /// happened to each system, in the order they were added.
    pub fn commit(mut self) -> Result<Vec<Written>, OutputError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| OutputError::Io { path, source }
        };
        let Some(stage) = self.stage.clone() else {
            for s in std::mem::take(&mut self.steps) {
                if let Step::Remove(p) = s {
                    remove_if_present(&p).map_err(io(&p))?;
                }
            }
            return Ok(std::mem::take(&mut self.written));
        };
        // The staged data must be on disk before any rename can make it visible.
        claw_language::files::sync_file_system(&stage).map_err(io(&stage))?;
        let mut made: BTreeSet<PathBuf> = BTreeSet::new();
        for s in std::mem::take(&mut self.steps) {
            match s {
                Step::Move { staged, to } => {
                    if let Some(parent) = to.parent()
                        && made.insert(parent.to_path_buf())
                    {
                        std::fs::create_dir_all(parent).map_err(io(parent))?;
                    }
                    std::fs::rename(stage.join(staged.to_string()), &to).map_err(io(&to))?;
                }
                Step::Remove(p) => remove_if_present(&p).map_err(io(&p))?,
            }
        }
        std::fs::remove_dir(&stage).map_err(io(&stage))?;
        self.stage = None;
        self.created = None;
        // One sync makes the renames (and any folder created) durable.
        claw_language::files::sync_file_system(&self.out_dir).map_err(io(&self.out_dir))?;
        Ok(std::mem::take(&mut self.written))
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Not committed: nothing may be left behind. Errors are ignored (best effort on the
        // way out of a failed import; the staging folder's name says what it is).
        if let Some(s) = self.stage.take() {
            let _ = std::fs::remove_dir_all(s);
        }
        if let Some(top) = self.created.take() {
            for a in self.out_dir.ancestors() {
                if std::fs::remove_dir(a).is_err() || a == top {
                    break;
                }
            }
        }
    }
}

fn remove_if_present(p: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(p) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}
