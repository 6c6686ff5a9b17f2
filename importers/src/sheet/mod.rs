//! `claw import sheet`: spreadsheets (.xlsx, .xls, .ods via calamine; .csv/.tsv via csv) holding
//! a runbook register or a decision table become `.claw` systems, one per worksheet.
//!
//! * [`grid`] reads cells (cached formula values, date serials, merged regions filled);
//! * [`detect`] finds the header row and the convention a worksheet follows;
//! * [`register`] turns a runbook register into triggers, guards and executions;
//! * [`table`] turns a decision table into a `rules` decision;
//! * [`schedule`], [`actions`], [`conditions`] and [`headers`] translate individual cells.

pub mod actions;
pub mod codes;
pub mod conditions;
pub mod detect;
pub mod error;
pub mod grid;
pub mod headers;
pub mod register;
pub mod schedule;
pub mod table;

pub use error::{BuildError, SheetError};
pub use grid::Kind;

use crate::findings::{Finding, Origin};
use crate::output::Generated;
use claw_language::System;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Import options.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only this worksheet (by name); default: every worksheet that looks like a workflow.
    pub sheet: Option<String>,
}

pub use crate::output::Imported;

/// Imports a file (one system per worksheet that follows a convention, in workbook order); the
/// kind comes from the extension (`-` reads standard input and sniffs it).
pub fn import(path: &Path, opts: &Options) -> Result<Imported, SheetError> {
    let label = path.display().to_string();
    let bytes = if label == "-" {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut b).map_err(|source| {
            SheetError::Io {
                path: label.clone(),
                source,
            }
        })?;
        b
    } else {
        std::fs::read(path).map_err(|source| SheetError::Io {
            path: label.clone(),
            source,
        })?
    };
    let kind = kind_for(&label, &bytes)?;
    import_bytes(&label, kind, &bytes, opts)
}

/// The input kind for a file label: its extension, or a sniff of the bytes for `-`.
pub fn kind_for(label: &str, bytes: &[u8]) -> Result<Kind, SheetError> {
    if label == "-" {
        return Ok(Kind::sniff(bytes));
    }
    let ext = Path::new(label)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("");
    Kind::from_extension(ext).ok_or_else(|| SheetError::UnknownFormat {
        file: label.to_string(),
        ext: ext.to_string(),
    })
}

/// Imports spreadsheet bytes of a known kind. `label` names the file in provenance and errors.
pub fn import_bytes(
    label: &str,
    kind: Kind,
    bytes: &[u8],
    opts: &Options,
) -> Result<Imported, SheetError> {
    let grids = selected_sheets(label, grid::read(label, kind, bytes)?, opts)?;
    let stem = Path::new(label)
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| *s != "-")
        .unwrap_or("stdin");
    let workbook = !matches!(kind, Kind::Csv | Kind::Tsv);
    let mut generated = Vec::new();
    let mut findings = Vec::new();
    let mut unmatched = Vec::new();
    let mut skipped = Vec::new();
    let mut names = BTreeSet::new();
    for g in &grids {
        let sheet_origin = Origin {
            file: Some(label.to_string()),
            cell: Some(grid::cell_name(&g.sheet, g.row0, g.col0)),
            ..Origin::default()
        };
        let name = system_name(stem, workbook.then_some(g.sheet.as_str()), &names);
        // Credentials are replaced in every cell before anything reads them, so no message,
        // name or value downstream can carry one.
        let mut clean = g.clone();
        let redacted = redact_grid(&mut clean, &format!("sheet-{name}"));
        let g = &clean;
        let shape = detect::detect(g);
        let Some(shape) = shape else {
            let headers = detect::header_candidates(g);
            findings.push(unmatched_finding(&g.sheet, &headers, sheet_origin));
            unmatched.push((g.sheet.clone(), headers));
            continue;
        };
        names.insert(name.clone());
        match import_sheet(label, g, &name, shape, &redacted) {
            Ok((sys, mut sheet_findings)) => {
                findings.append(&mut sheet_findings);
                generated.push(Generated::new(sys, Vec::new()));
            }
            Err(why) => {
                // Never an empty system: the worksheet is reported like one that matched nothing.
                names.remove(&name);
                findings.push(Finding::warning(
                    codes::SHEET_SKIPPED.id,
                    format!("worksheet `{}`: {why}; skipped", g.sheet),
                    sheet_origin,
                ));
                skipped.push((g.sheet.clone(), why.to_string()));
            }
        }
    }
    if generated.is_empty() {
        return Err(SheetError::NoConvention {
            file: label.to_string(),
            sheets: unmatched,
            skipped,
            accepted: headers::accepted_text(),
        });
    }
    Ok(Imported {
        generated,
        findings,
    })
}

/// The worksheets to import: all of them, or only `--sheet` (an error naming the available
/// ones when it is not there).
fn selected_sheets(
    label: &str,
    grids: Vec<grid::Grid>,
    opts: &Options,
) -> Result<Vec<grid::Grid>, SheetError> {
    let Some(name) = &opts.sheet else {
        return Ok(grids);
    };
    let found: Vec<grid::Grid> = grids.iter().filter(|g| &g.sheet == name).cloned().collect();
    if found.is_empty() {
        return Err(SheetError::NoSuchSheet {
            file: label.to_string(),
            sheet: name.clone(),
            available: grids.iter().map(|g| g.sheet.clone()).collect(),
        });
    }
    Ok(found)
}

/// The system name of a worksheet: the file stem's slug, then (in a workbook) the sheet's,
/// with `-2`, `-3`… added until it is not among `taken`.
fn system_name(stem: &str, sheet: Option<&str>, taken: &BTreeSet<String>) -> String {
    let base = match sheet {
        Some(sheet) => format!(
            "{}-{}",
            crate::names::slug_or(stem, "sheet"),
            crate::names::slug_or(sheet, "sheet")
        ),
        None => crate::names::slug_or(stem, "sheet"),
    };
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

/// The finding for a worksheet that follows no convention: empty, or the headers found.
fn unmatched_finding(sheet: &str, headers: &[String], at: Origin) -> Finding {
    if headers.is_empty() {
        Finding::info(
            codes::SHEET_SKIPPED.id,
            format!("worksheet `{sheet}` is empty; skipped"),
            at,
        )
    } else {
        Finding::info(
            codes::SHEET_SKIPPED.id,
            format!(
                "worksheet `{sheet}` matches no convention (headers found: {}); skipped",
                headers.join(", ")
            ),
            at,
        )
    }
}

/// Builds one worksheet of a known shape into a system and its findings (the redacted cells'
/// warnings, the builder's, and the lints located at the rows they came from).
fn import_sheet(
    label: &str,
    g: &grid::Grid,
    name: &str,
    shape: detect::Shape,
    redacted: &[(usize, usize)],
) -> Result<(System, Vec<Finding>), BuildError> {
    let mut cx = Ctx {
        file: label.to_string(),
        grid: g,
        system: name.to_string(),
        findings: Vec::new(),
    };
    for &(r, c) in redacted {
        let cell = g.addr(r, c);
        cx.warn(codes::SHEET_SECRET.id, format!("a credential in {cell} was replaced by a secret:// reference"), r, c)
            .help = Some("store the value in the secrets file or environment under that name; never keep it in the sheet".into());
    }
    let built = match shape {
        detect::Shape::Register(layout) => register::build(&mut cx, &layout),
        detect::Shape::Table(layout) => table::build(&mut cx, &layout),
    };
    let sys = built?;
    let sheet_origin = Origin {
        file: Some(label.to_string()),
        cell: Some(grid::cell_name(&g.sheet, g.row0, g.col0)),
        ..Origin::default()
    };
    let lints = claw_language::check_system(&sys, None);
    let mut lint_findings = Finding::from_lints(name, lints, &sheet_origin);
    let rows = legacy_rows(&sys);
    for f in &mut lint_findings {
        let item = f.path.as_deref().and_then(|p| {
            let mut parts = p.trim_start_matches('/').split('/');
            Some((parts.next()?, parts.next()?))
        });
        if let Some(row) = item.and_then(|k| rows.get(&k)) {
            f.origin.cell = Some(grid::cell_name(&g.sheet, row.saturating_sub(1), g.col0));
        }
    }
    cx.findings.extend(lint_findings);
    for f in &mut cx.findings {
        f.system = Some(name.to_string());
    }
    Ok((sys, cx.findings))
}

/// What the builders share: where they are and what they found.
pub struct Ctx<'a> {
    /// File label.
    pub file: String,
    /// The worksheet.
    pub grid: &'a grid::Grid,
    /// System name.
    pub system: String,
    /// Findings so far.
    pub findings: Vec<Finding>,
}

impl Ctx<'_> {
    /// Origin of a grid-relative cell.
    pub fn at(&self, r: usize, c: usize) -> Origin {
        Origin {
            file: Some(self.file.clone()),
            cell: Some(self.grid.addr(r, c)),
            ..Origin::default()
        }
    }

    /// Records a finding and hands it back for `with_help` and the like.
    fn push(&mut self, f: Finding) -> &mut Finding {
        let i = self.findings.len();
        self.findings.push(f);
        &mut self.findings[i]
    }

    /// A warning at a cell.
    pub fn warn(&mut self, code: &str, msg: impl Into<String>, r: usize, c: usize) -> &mut Finding {
        let o = self.at(r, c);
        self.push(Finding::warning(code, msg, o))
    }

    /// An info finding at a cell.
    pub fn info(&mut self, code: &str, msg: impl Into<String>, r: usize, c: usize) -> &mut Finding {
        let o = self.at(r, c);
        self.push(Finding::info(code, msg, o))
    }

    /// A cell's text (credentials were already replaced when the worksheet was read).
    pub fn clean(&mut self, r: usize, c: usize) -> String {
        self.grid.text(r, c)
    }
}

/// Replaces credentials in every text cell; returns the cells changed.
fn redact_grid(g: &mut grid::Grid, scope: &str) -> Vec<(usize, usize)> {
    let mut changed = Vec::new();
    for (r, row) in g.cells.iter_mut().enumerate() {
        for (c, cell) in row.iter_mut().enumerate() {
            if let grid::Val::Text(t) = &cell.val {
                let (text, hit) = actions::redact(scope, t);
                if hit {
                    cell.val = grid::Val::Text(text);
                    // A merged copy repeats the finding of its source cell.
                    if cell.merged_from.is_none() {
                        changed.push((r, c));
                    }
                }
            }
        }
    }
    changed
}

/// Whether a time zone name is accepted by `claw check`: an IANA name, read by the same
/// time-zone database the language's `bad_timezone` check uses.
pub fn valid_timezone(tz: &str) -> bool {
    tz.parse::<chrono_tz::Tz>().is_ok()
}

/// The sheet row (1-based) each item came from, by `(layer, name)`, so that lint findings
/// (whose model paths start `/triggers/NAME`, `/execution/NAME`, `/decisions/NAME`) point at it.
fn legacy_rows(sys: &System) -> BTreeMap<(&'static str, &str), usize> {
    let mut out = BTreeMap::new();
    let row = |l: &indexmap::IndexMap<String, String>| l.get("row").and_then(|r| r.parse().ok());
    for t in &sys.triggers {
        if let Some(r) = row(&t.legacy) {
            out.insert(("triggers", t.name.as_str()), r);
        }
    }
    for x in &sys.execution {
        if let Some(r) = row(&x.legacy) {
            out.insert(("execution", x.name.as_str()), r);
        }
    }
    for d in &sys.decisions {
        if let Some(r) = row(&d.legacy) {
            out.insert(("decisions", d.name.as_str()), r);
        }
    }
    out
}
/// Cell text is literal: `{{` in a value taken from a cell must not start a template.
pub fn escape_literal(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) if s.contains("{{") => *s = s.replace("{{", "\\{{"),
        serde_json::Value::Array(a) => a.iter_mut().for_each(escape_literal),
        serde_json::Value::Object(o) => o.values_mut().for_each(escape_literal),
        _ => {}
    }
}
