//! The whole front end in one call: parse, validate, lint.

use crate::codes;
use crate::diag::Diagnostic;
use crate::model::System;
use crate::parse::{self, SourceMap};
use std::path::Path;

/// What checking one file found.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The system, when it parsed well enough to build one.
    pub system: Option<System>,
    /// Where each model path was written, for locating later findings.
    pub map: SourceMap,
    /// Errors first, then warnings, each group in source order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// Whether the system compiles (no errors).
    pub fn is_valid(&self) -> bool {
        self.system.is_some() && !self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The system if it compiles.
    pub fn valid_system(&self) -> Option<&System> {
        if self.is_valid() {
            self.system.as_ref()
        } else {
            None
        }
    }
}

/// Codes about how items relate to each other, meaningless on a partly read system.
const RELATIONAL: &[crate::diag::Code] = &[
    codes::UNKNOWN_EVENT,
    codes::UNREACHABLE,
    codes::CYCLE,
    codes::UNKNOWN_STEP,
    codes::STEP_ORDER,
];

/// Checks `.claw` text. `file` labels diagnostics; `base_dir` resolves policy files.
pub fn check_text(text: &str, file: Option<&str>, base_dir: Option<&Path>) -> Checked {
    check_text_with(text, file, base_dir, &crate::expr::ExprCache::default())
}

/// [`check_text`] reusing compiled expressions from `exprs`, for a caller that checks many
/// similar systems in a row (an importer: thousands of Zaps share their conditions).
pub fn check_text_with(
    text: &str,
    file: Option<&str>,
    base_dir: Option<&Path>,
    exprs: &crate::expr::ExprCache,
) -> Checked {
    let parsed = parse::parse(text);
    let mut diags = parsed.diagnostics;
    if let Some(sys) = &parsed.system {
        let loc = crate::validate::Located {
            map: &parsed.map,
            base_dir,
            exprs,
            all_layers_written: false,
        };
        let mut found = crate::validate::validate(sys, &loc);
        if !parsed.complete {
            // An item that could not be read is absent from `sys`, so what waits for it would
            // look unreachable or orphaned; those findings would only be echoes of the first error.
            found.retain(|d| !RELATIONAL.iter().any(|c| c.id == d.code));
        }
        diags.extend(found);
        // Lints on a broken system would mostly be noise about half-read items.
        if !diags.iter().any(Diagnostic::is_error) {
            diags.extend(crate::lint::lint(sys, &parsed.map));
        }
    }
    for d in &mut diags {
        d.file = file.map(str::to_string);
    }
    sort(&mut diags);
    Checked {
        system: parsed.system,
        map: parsed.map,
        diagnostics: diags,
    }
}

/// Checks a system built in code (importers): validation and lints without positions.
pub fn check_system(sys: &System, base_dir: Option<&Path>) -> Vec<Diagnostic> {
    let map = SourceMap::default();
    let loc = crate::validate::Located {
        map: &map,
        base_dir,
        exprs: &crate::expr::ExprCache::default(),
        all_layers_written: false,
    };
    let mut d = crate::validate::validate(sys, &loc);
    d.extend(crate::lint::lint(sys, &map));
    sort(&mut d);
    d
}

/// The lints of [`check_system`], in its order, without validation: for an importer whose
/// systems are validated where they are written (`claw_importers::output::Writer` checks each
/// before writing it), so a large generated system is not validated twice.
pub fn lint_system(sys: &System) -> Vec<Diagnostic> {
    let mut d = crate::lint::lint(sys, &SourceMap::default());
    sort(&mut d);
    d
}

fn sort(diags: &mut [Diagnostic]) {
    // A borrowed key: `sort_by_key` would clone the code for every comparison (millions on a
    // large generated system). Same order, same stable sort.
    fn key(d: &Diagnostic) -> (crate::diag::Severity, Option<(usize, usize)>, &str) {
        (d.severity, d.span.map(|s| (s.line, s.column)), &d.code)
    }
    diags.sort_by(|a, b| key(a).cmp(&key(b)));
}

/// Reads and checks a file. An unreadable file is an `Err` (exit code 2 territory).
pub fn check_file(path: &Path) -> Result<(String, Checked), std::io::Error> {
    let text = std::fs::read_to_string(path)?;
    let label = path.display().to_string();
    let checked = check_text(&text, Some(&label), path.parent());
    Ok((text, checked))
}
