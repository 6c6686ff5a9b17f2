//! A runbook register (one row per automation or step) to a system: each row becomes a trigger
//! (or a follow-on step of the row above), an optional guard decision and an execution.
//!
//! [`build`] reads the header row ([`Register::header_findings`]), splits the rows into blocks
//! and groups ([`Register::rows`]), maps each row (`row.rs`) and finally the owners to alert
//! routes. Cell values (durations, retries, expressions) are read in `cells.rs`.

use crate::sheet::codes;

mod cells;
mod row;

pub use cells::duration;

use super::Ctx;
use super::detect::RegisterLayout;
use super::error::BuildError;
use super::grid::Grid;
use super::headers::Role;
use claw_language::{Alert, Provenance, System};
use indexmap::IndexMap;
use std::collections::BTreeSet;

/// A register row that is imported: its grid row, whether a block (after a blank row or a
/// heading) starts with it, and the group heading above it.
struct Row {
    r: usize,
    block_start: bool,
    group: Option<String>,
}

fn unique(used: &mut BTreeSet<String>, base: &str) -> String {
    let mut name = base.to_string();
    let mut n = 2;
    while !used.insert(name.clone()) {
        name = format!("{base}_{n}");
        n += 1;
    }
    name
}

/// A register being turned into a system: the worksheet, its layout, the system so far and
/// what the rows pass on (names taken, the previous step, owners and alert routes).
struct Register<'a, 'c> {
    cx: &'c mut Ctx<'a>,
    g: &'a Grid,
    layout: &'c RegisterLayout,
    /// Grid row of the headers.
    h: usize,
    /// The leftmost recognised column: where findings about the whole sheet point.
    first_col: usize,
    sys: System,
    used: BTreeSet<String>,
    prev_exec: Option<String>,
    owners: Vec<(String, usize, usize)>,
}

/// Builds the system for a register.
pub fn build(cx: &mut Ctx<'_>, layout: &RegisterLayout) -> Result<System, BuildError> {
    let g = cx.grid;
    let h = layout.header_row;
    let mut sys = System::new(cx.system.clone());
    sys.description = Some(format!(
        "Imported from worksheet `{}` (a runbook register, headers on row {}).",
        g.sheet,
        g.row_number(h)
    ));
    let mut notes = IndexMap::new();
    notes.insert("shape".to_string(), "register".to_string());
    notes.insert("header_row".to_string(), g.row_number(h).to_string());
    sys.provenance = Some(Provenance {
        kind: "sheet".into(),
        file: Some(cx.file.clone()),
        legacy_id: Some(g.sheet.clone()),
        notes,
    });
    let mut reg = Register {
        cx,
        g,
        layout,
        h,
        first_col: layout.cols.values().copied().min().unwrap_or(0),
        sys,
        used: BTreeSet::new(),
        prev_exec: None,
        owners: Vec::new(),
    };
    reg.header_findings();
    let rows = reg.rows();
    if rows.is_empty() {
        return Err(BuildError::EmptyRegister {
            header_row: g.row_number(h),
        });
    }
    for row in rows {
        reg.row(&row);
    }
    if reg.sys.execution.is_empty() {
        return Err(BuildError::NoRegisterRows {
            header_row: g.row_number(h),
        });
    }
    reg.owners_and_routes();
    Ok(reg.sys)
}

impl Register<'_, '_> {
    fn col(&self, role: Role) -> Option<usize> {
        self.layout.cols.get(&role).copied()
    }

    /// Findings about the header row: where it is, which column is which, which are not
    /// imported, merged cells filled, and a missing key column.
    fn header_findings(&mut self) {
        let (g, h, first_col) = (self.g, self.h, self.first_col);
        if h > 0 {
            self.cx.info(
                codes::SHEET_HEADER_ROW.id,
                format!(
                    "header row found on row {} (rows above it are titles or notes)",
                    g.row_number(h)
                ),
                h,
                first_col,
            );
        }
        let roles: Vec<String> = self
            .layout
            .cols
            .iter()
            .map(|(role, c)| {
                format!(
                    "{} = {} \"{}\"",
                    role.label(),
                    g.col_name(*c),
                    g.text(h, *c)
                )
            })
            .collect();
        self.cx.info(
            codes::SHEET_COLUMNS.id,
            format!("runbook register; columns: {}", roles.join(", ")),
            h,
            first_col,
        );
        for c in &self.layout.ignored {
            let text = g.text(h, *c);
            self.cx
                .info(
                    codes::SHEET_COLUMN_IGNORED.id,
                    format!(
                        "column {} \"{}\" matches no known header (or repeats one); not imported",
                        g.col_name(*c),
                        text
                    ),
                    h,
                    *c,
                )
                .help = Some(
                "rename the header to one of the synonyms in docs/importers/sheet.md to import it"
                    .into(),
            );
        }
        // Columns without a header but with data are trailing junk or forgotten headers.
        for c in 0..g.width() {
            if g.text(h, c).is_empty() && (h + 1..g.height()).any(|r| !g.text(r, c).is_empty()) {
                self.cx.warn(
                    codes::SHEET_COLUMN_IGNORED.id,
                    format!(
                        "column {} has values but no header; not imported",
                        g.col_name(c)
                    ),
                    h,
                    c,
                );
            }
        }
        for m in &g.merges {
            if m.end.0 > h {
                self.cx.info(
                    codes::SHEET_MERGED.id,
                    format!(
                        "merged cells {}:{} filled with the value of {}",
                        g.addr(m.start.0, m.start.1).split('!').nth(1).unwrap_or(""),
                        g.addr(m.end.0, m.end.1).split('!').nth(1).unwrap_or(""),
                        g.addr(m.start.0, m.start.1)
                    ),
                    m.start.0,
                    m.start.1,
                );
            }
        }
        if self.col(Role::Key).is_none() {
            self.cx.warn(codes::SHEET_NO_KEY.id, "no key column (key, idempotency key, dedupe key): event-triggered rows get no idempotency key, so a repeated delivery runs twice", h, first_col)
                .help = Some("add a `Key` column naming the payload field that identifies an event, e.g. `invoice.id`".into());
        }
    }

    /// The rows to import. Blank rows end a block; a lone text cell is a group heading.
    fn rows(&mut self) -> Vec<Row> {
        let (g, h, first_col) = (self.g, self.h, self.first_col);
        let mut rows = Vec::new();
        let mut block_start = true;
        let mut group: Option<String> = None;
        let mut blank = Vec::new();
        for r in h + 1..g.height() {
            if g.row_is_blank(r) {
                block_start = true;
                group = None;
                blank.push(g.row_number(r));
                continue;
            }
            if let Some(c) = self.heading_cell(r) {
                let text = g.text(r, c);
                self.cx.info(
                    codes::SHEET_GROUP.id,
                    format!(
                        "row {} holds only \"{text}\": read as a group heading for the rows below",
                        g.row_number(r)
                    ),
                    r,
                    c,
                );
                group = Some(text);
                block_start = true;
                continue;
            }
            rows.push(Row {
                r,
                block_start,
                group: group.clone(),
            });
            block_start = false;
        }
        if !blank.is_empty() {
            let list: Vec<String> = blank.iter().map(ToString::to_string).collect();
            self.cx.info(
                codes::SHEET_ROW_SKIPPED.id,
                format!(
                    "blank rows skipped (they separate groups of steps): {}",
                    list.join(", ")
                ),
                h,
                first_col,
            );
        }
        rows
    }

    /// The column of row `r`'s only filled cell when that makes the row a group heading.
    fn heading_cell(&self, r: usize) -> Option<usize> {
        let g = self.g;
        let filled: Vec<usize> = (0..g.width())
            .filter(|c| {
                !g.text(r, *c).is_empty() && g.get(r, *c).is_some_and(|x| x.merged_from.is_none())
            })
            .collect();
        let known = |c: &usize| self.layout.cols.values().any(|k| k == c);
        match filled.as_slice() {
            [c] if Some(*c) != self.col(Role::Action)
                && (Some(*c) == self.col(Role::Name)
                    || Some(*c) == self.col(Role::Id)
                    || !known(c)
                    || *c == self.first_col) =>
            {
                Some(*c)
            }
            _ => None,
        }
    }

    /// The first owner becomes the system's owner; every owner naming an email address or a
    /// channel becomes an alert route (on an assumed `error_rate < 1%` objective).
    fn owners_and_routes(&mut self) {
        let (h, first_col) = (self.h, self.first_col);
        let mut routes: Vec<String> = Vec::new();
        match self.owners.first() {
            None => {
                let (r, c) = (h, self.col(Role::Owner).unwrap_or(first_col));
                self.cx
                    .warn(
                        codes::SHEET_NO_OWNER.id,
                        "no owner or escalation given: the system has no owner and its alerts no route",
                        r,
                        c,
                    )
                    .help = Some(
                    "add an `Owner` or `Escalation` column with an email address or a #slack-channel"
                        .into(),
                );
            }
            Some((first, _, _)) => {
                self.sys.observability.owner = Some(first.clone());
                let mut seen = BTreeSet::new();
                for (o, r, c) in &self.owners {
                    if !seen.insert(o.clone()) {
                        continue;
                    }
                    match super::actions::route_for(o) {
                        Some(route) => {
                            if !routes.contains(&route) {
                                routes.push(route);
                            }
                        }
                        None => {
                            self.cx.warn(codes::SHEET_OWNER_NO_ROUTE.id, format!("owner `{o}` names no email address or #channel: no alert route for it"), *r, *c);
                        }
                    }
                }
            }
        }
        if !routes.is_empty() {
            self.sys
                .observability
                .slo
                .insert("error_rate".into(), "<1%".into());
            for route in &routes {
                self.sys.observability.alerts.push(Alert {
                    on: "error_rate > 1%".into(),
                    route: Some(route.clone()),
                    description: Some("Escalation from the runbook register".into()),
                });
            }
            self.cx.info(codes::SHEET_DEFAULT_SLO.id, "the register states no objective: `error_rate < 1%` was assumed so that the escalation routes have an alert", h, self.col(Role::Owner).unwrap_or(first_col));
        }
    }
}
