//! Which convention a worksheet follows, and where its header row is.
//!
//! Order of recognition: explicit decision-table markers (`if`/`then` header prefixes, a
//! hit-policy cell, a `Conditions`/`Outcomes` row spanning columns above the headers), then a
//! runbook register (known column headers), then a decision table by shape (condition-looking
//! cells left of plain outcome columns). Only the first [`SCAN_ROWS`] rows are searched for the
//! header row.

use super::conditions;
use super::grid::{Grid, Val};
use super::headers::{self, Role};
use std::collections::BTreeMap;

/// How many rows from the top may hold the header row.
pub const SCAN_ROWS: usize = 30;

/// A register's layout.
#[derive(Debug, Clone)]
pub struct RegisterLayout {
    /// Grid row of the headers.
    pub header_row: usize,
    /// Column of each recognised role (the first column naming it).
    pub cols: BTreeMap<Role, usize>,
    /// Columns with a header no role matches, and repeated roles.
    pub ignored: Vec<usize>,
}

/// How the condition/outcome split of a decision table was found.
#[derive(Debug, Clone, PartialEq)]
pub enum Split {
    /// `if`/`then` header prefixes.
    Prefixes,
    /// A row of `Conditions` / `Outcomes` labels above the headers.
    GroupRow(usize),
    /// Inferred from cell contents; the cell that showed it.
    Inferred((usize, usize)),
}

/// A decision table's layout.
#[derive(Debug, Clone)]
pub struct TableLayout {
    /// Grid row of the headers.
    pub header_row: usize,
    /// Condition columns.
    pub conditions: Vec<usize>,
    /// Outcome columns.
    pub outcomes: Vec<usize>,
    /// Other columns (rule numbers, annotations) that are not imported.
    pub ignored: Vec<usize>,
    /// Hit policy text and its cell.
    pub hit_policy: Option<(String, (usize, usize))>,
    /// How the split was found.
    pub split: Split,
}

/// A recognised worksheet.
#[derive(Debug, Clone)]
pub enum Shape {
    /// One row per automation or step.
    Register(RegisterLayout),
    /// One rule per row.
    Table(TableLayout),
}

const HIT_POLICIES: &[&str] = &[
    "u",
    "unique",
    "f",
    "first",
    "a",
    "any",
    "p",
    "priority",
    "c",
    "collect",
    "r",
    "rule order",
    "o",
    "output order",
    "c+",
    "c<",
    "c>",
    "c#",
];
const CONDITION_WORDS: &[&str] = &[
    "condition",
    "conditions",
    "input",
    "inputs",
    "if",
    "when",
    "criteria",
];
const OUTCOME_WORDS: &[&str] = &[
    "outcome",
    "outcomes",
    "output",
    "outputs",
    "result",
    "results",
    "then",
    "decision",
    "decisions",
    "action",
    "actions",
];

fn is_hit_policy(text: &str) -> bool {
    let t = text.trim().to_ascii_lowercase();
    HIT_POLICIES.contains(&t.as_str())
}

fn hit_policy_label(text: &str) -> Option<String> {
    let n = text.trim().to_ascii_lowercase();
    let rest = n
        .strip_prefix("hit policy")?
        .trim_start_matches([':', ' ', '='])
        .trim();
    HIT_POLICIES
        .contains(&rest)
        .then(|| rest.to_ascii_uppercase())
}

fn texts(g: &Grid, r: usize) -> Vec<(usize, String)> {
    (0..g.width())
        .map(|c| (c, g.text(r, c)))
        .filter(|(_, t)| !t.is_empty())
        .collect()
}

/// Finds the convention a worksheet follows, if any.
pub fn detect(g: &Grid) -> Option<Shape> {
    let scan = g.height().min(SCAN_ROWS);
    // A hit policy written as "Hit policy: FIRST" anywhere above the headers.
    let mut policy_note: Option<(String, (usize, usize))> = None;
    for r in 0..scan {
        for (c, t) in texts(g, r) {
            if let Some(p) = hit_policy_label(&t) {
                policy_note.get_or_insert((p, (r, c)));
            }
        }
    }
    for r in 0..scan {
        let cells = texts(g, r);
        if cells.len() < 2 {
            continue;
        }
        let has_data = r + 1 < g.height();
        // 1. `if`/`then` prefixes.
        let norm: Vec<(usize, String)> = cells
            .iter()
            .map(|(c, t)| (*c, headers::normalise(t)))
            .collect();
        let ifs: Vec<usize> = norm
            .iter()
            .filter(|(_, n)| (n.starts_with("if ") || n.starts_with("when ")) && n.len() > 5)
            .map(|(c, _)| *c)
            .collect();
        let thens: Vec<usize> = norm
            .iter()
            .filter(|(_, n)| n.starts_with("then ") && n.len() > 5)
            .map(|(c, _)| *c)
            .collect();
        let policy_cell = cells
            .first()
            .filter(|(_, t)| is_hit_policy(t))
            .map(|(c, t)| (t.trim().to_ascii_uppercase(), (r, *c)));
        if has_data && !ifs.is_empty() && !thens.is_empty() {
            let ignored = cells
                .iter()
                .map(|(c, _)| *c)
                .filter(|c| !ifs.contains(c) && !thens.contains(c))
                .collect();
            return Some(Shape::Table(TableLayout {
                header_row: r,
                conditions: ifs,
                outcomes: thens,
                ignored,
                hit_policy: policy_cell.or(policy_note),
                split: Split::Prefixes,
            }));
        }
        // 2. A group row above: `Conditions` over some columns, `Outcomes` over others.
        if has_data && let Some(layout) = group_row(g, r) {
            return Some(Shape::Table(TableLayout {
                hit_policy: policy_cell.or(policy_note),
                ..layout
            }));
        }
        // 3. A hit-policy cell leading the header row: the rest is split by shape.
        if has_data && policy_cell.is_some() && cells.len() >= 3 {
            let cols: Vec<usize> = cells.iter().skip(1).map(|(c, _)| *c).collect();
            if let Some((conds, outs, evidence)) = infer_split(g, r, &cols, true) {
                let ignored = vec![cells[0].0];
                return Some(Shape::Table(TableLayout {
                    header_row: r,
                    conditions: conds,
                    outcomes: outs,
                    ignored,
                    hit_policy: policy_cell,
                    split: Split::Inferred(evidence),
                }));
            }
        }
    }
    // 4. A register: the row naming the most roles, with an action, trigger or schedule.
    if let Some(layout) = register_layout(g, scan) {
        return Some(Shape::Register(layout));
    }
    // 5. A decision table by shape: the first row of ≥2 text headers with data below.
    table_by_shape(g, scan, policy_note)
}

/// The register header row among the first `scan` rows: the one naming the most roles, one
/// of them an action, trigger or schedule.
fn register_layout(g: &Grid, scan: usize) -> Option<RegisterLayout> {
    let mut best: Option<(usize, RegisterLayout)> = None;
    for r in 0..scan {
        let mut cols = BTreeMap::new();
        let mut ignored = Vec::new();
        for (c, t) in texts(g, r) {
            match headers::role_of(&t) {
                Some(role) if !cols.contains_key(&role) => {
                    cols.insert(role, c);
                }
                _ => ignored.push(c),
            }
        }
        let core = [Role::Action, Role::Trigger, Role::Schedule]
            .iter()
            .any(|k| cols.contains_key(k));
        if core && cols.len() >= 2 && best.as_ref().is_none_or(|(n, _)| cols.len() > *n) {
            best = Some((
                cols.len(),
                RegisterLayout {
                    header_row: r,
                    cols,
                    ignored,
                },
            ));
        }
    }
    best.map(|(_, layout)| layout)
}

/// A decision table told apart by the shape of its cells: the first row of at least two text
/// headers with data below, if its columns split into conditions and outcomes.
fn table_by_shape(
    g: &Grid,
    scan: usize,
    policy_note: Option<(String, (usize, usize))>,
) -> Option<Shape> {
    for r in 0..scan {
        let cells = texts(g, r);
        let all_text = cells
            .iter()
            .all(|(c, _)| matches!(g.get(r, *c).map(|x| &x.val), Some(Val::Text(_))));
        if cells.len() < 2 || !all_text || r + 1 >= g.height() {
            continue;
        }
        let cols: Vec<usize> = cells.iter().map(|(c, _)| *c).collect();
        if let Some((conds, outs, evidence)) = infer_split(g, r, &cols, false) {
            return Some(Shape::Table(TableLayout {
                header_row: r,
                conditions: conds,
                outcomes: outs,
                ignored: Vec::new(),
                hit_policy: policy_note,
                split: Split::Inferred(evidence),
            }));
        }
        // Only the first plausible header row is considered: a table further down would be a guess.
        break;
    }
    None
}

fn group_row(g: &Grid, r: usize) -> Option<TableLayout> {
    let labels = texts(g, r);
    let mut conds = Vec::new();
    let mut outs = Vec::new();
    for (c, t) in &labels {
        let n = headers::normalise(t);
        if CONDITION_WORDS.contains(&n.as_str()) {
            conds.push(*c);
        } else if OUTCOME_WORDS.contains(&n.as_str()) {
            outs.push(*c);
        } else {
            return None;
        }
    }
    // A group label spans columns (merged or repeated); a lone register header row does not.
    let spans = |v: &[usize]| v.len() >= 2;
    if conds.is_empty() || outs.is_empty() || !(spans(&conds) || spans(&outs)) {
        return None;
    }
    let header = r + 1;
    if texts(g, header).len() < 2 {
        return None;
    }
    let owner = |c: usize| -> Option<bool> {
        // Columns under a label; a label that was not merged covers the columns up to the next label.
        let mut last = None;
        for (lc, _) in &labels {
            if *lc <= c {
                last = Some(*lc);
            }
        }
        last.map(|l| conds.contains(&l))
    };
    let mut c_cols = Vec::new();
    let mut o_cols = Vec::new();
    let mut ignored = Vec::new();
    for (c, _) in texts(g, header) {
        match owner(c) {
            Some(true) => c_cols.push(c),
            Some(false) => o_cols.push(c),
            None => ignored.push(c),
        }
    }
    if c_cols.is_empty() || o_cols.is_empty() {
        return None;
    }
    Some(TableLayout {
        header_row: header,
        conditions: c_cols,
        outcomes: o_cols,
        ignored,
        hit_policy: None,
        split: Split::GroupRow(r),
    })
}

/// Condition columns, outcome columns, and the cell that decided the split.
type SplitCols = (Vec<usize>, Vec<usize>, (usize, usize));

/// Splits columns into conditions (left) and outcomes (right): the conditions end at the last
/// column holding a condition-shaped cell or a `min`/`max` header. `lenient` (a hit policy was
/// given) falls back to "last column is the outcome".
fn infer_split(g: &Grid, header: usize, cols: &[usize], lenient: bool) -> Option<SplitCols> {
    let mut last_cond: Option<(usize, (usize, usize))> = None;
    for (i, c) in cols.iter().enumerate() {
        let (_, bound) = conditions::header_variable(&g.text(header, *c));
        if bound != conditions::Bound::Eq {
            last_cond = Some((i, (header, *c)));
            continue;
        }
        for r in header + 1..g.height() {
            let t = g.text(r, *c);
            if !t.is_empty() && conditions::looks_like_condition(&t) {
                last_cond = Some((i, (r, *c)));
                break;
            }
        }
    }
    let (split_at, evidence) = match last_cond {
        Some((i, ev)) if i + 1 < cols.len() => (i + 1, ev),
        Some(_) => return None,
        None if lenient && cols.len() >= 2 => (cols.len() - 1, (header, cols[cols.len() - 1])),
        None => return None,
    };
    Some((
        cols[..split_at].to_vec(),
        cols[split_at..].to_vec(),
        evidence,
    ))
}

/// The headers a person would see on a worksheet that matched nothing: the first row with two
/// or more cells (else the first non-blank row), as `A1 "text"`.
pub fn header_candidates(g: &Grid) -> Vec<String> {
    let scan = g.height().min(SCAN_ROWS);
    let row = (0..scan)
        .find(|r| texts(g, *r).len() >= 2)
        .or_else(|| (0..scan).find(|r| !texts(g, *r).is_empty()));
    match row {
        Some(r) => texts(g, r)
            .into_iter()
            .map(|(c, t)| {
                format!(
                    "{}{} \"{}\"",
                    g.col_name(c),
                    g.row_number(r),
                    t.chars().take(40).collect::<String>()
                )
            })
            .collect(),
        None => Vec::new(),
    }
}
