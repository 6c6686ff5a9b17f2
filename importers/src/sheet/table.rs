//! A decision table (condition columns, outcome columns, one rule per row) to a system with a
//! webhook trigger carrying the inputs and one ordered `rules` decision.

use super::Ctx;
use super::conditions::{self, Bound};
use super::detect::{Split, TableLayout};
use super::error::BuildError;
use crate::sheet::codes;
use claw_language::{
    Decision, Execution, Logic, Provenance, Rule, RuleDefault, Source, System, Trigger,
};
use indexmap::IndexMap;

/// Variables (condition columns, with their bound) and outcome names, by column.
type Vars = Vec<(usize, String, Bound)>;
type Outs = Vec<(usize, String)>;

/// Builds the system for a decision table: findings about its layout, one rule per row with an
/// outcome (a catch-all row becoming the default), a webhook trigger carrying the inputs, the
/// `rules` decision and a step logging its outcome.
pub fn build(cx: &mut Ctx<'_>, layout: &TableLayout) -> Result<System, BuildError> {
    let g = cx.grid;
    let h = layout.header_row;
    let mut sys = System::new(cx.system.clone());
    sys.description = Some(format!(
        "Imported from worksheet `{}` (a decision table, headers on row {}).",
        g.sheet,
        g.row_number(h)
    ));
    let mut notes = IndexMap::new();
    notes.insert("shape".to_string(), "decision_table".to_string());
    notes.insert("header_row".to_string(), g.row_number(h).to_string());
    if let Some((p, _)) = &layout.hit_policy {
        notes.insert("hit_policy".to_string(), p.clone());
    }
    sys.provenance = Some(Provenance {
        kind: "sheet".into(),
        file: Some(cx.file.clone()),
        legacy_id: Some(g.sheet.clone()),
        notes,
    });
    let first = layout.conditions.first().copied().unwrap_or(0);
    layout_findings(cx, layout, first);
    let (vars, outs) = variables(cx, layout);
    let mut rules = read_rules(cx, layout, &vars, &outs, first);
    let default = catch_all(cx, &mut rules, first);
    if rules.is_empty() {
        return Err(BuildError::NoRules {
            header_row: g.row_number(h),
        });
    }
    let mut inputs: Vec<String> = Vec::new();
    for (_, v, _) in &vars {
        if !inputs.contains(v) {
            inputs.push(v.clone());
        }
    }
    let mut trigger = Trigger::new("evaluate", Source::Webhook);
    trigger.description = Some(format!("POST the inputs ({}) as JSON", inputs.join(", ")));
    sys.triggers.push(trigger);
    let dname = {
        let s = claw_language::units::slug(&g.sheet);
        if s.starts_with("s_") || s == "evaluate" || s == "record_outcome" {
            "decide".to_string()
        } else {
            s
        }
    };
    let mut d = Decision {
        name: dname,
        description: Some(format!(
            "Decision table {}:{}",
            g.addr(h, first),
            g.addr(
                g.height().saturating_sub(1),
                layout.outcomes.last().copied().unwrap_or(first)
            )
            .split('!')
            .nth(1)
            .unwrap_or("")
        )),
        on: Vec::new(),
        inputs,
        logic: Logic::Rules {
            rules: rules.into_iter().map(|(_, r)| r).collect(),
            default,
        },
        emits: Vec::new(),
        legacy: IndexMap::new(),
    };
    d.legacy
        .insert("header_row".into(), g.row_number(h).to_string());
    // A table only decides; the outcome is logged so the system does something observable
    // until a real consumer step is added.
    let mut x = Execution::new("record_outcome", d.name.clone(), "log.info");
    x.description =
        Some("Logs the decided outcome; replace or follow with the step that acts on it".into());
    x.with.insert(
        "message".into(),
        serde_json::Value::String(format!("{}: {{{{ decisions.{}.output }}}}", d.name, d.name)),
    );
    cx.info(codes::SHEET_OUTCOME_LOGGED.id, format!("the table's outcome is logged by step `record_outcome` (log.info); add the step that acts on `decisions.{}.output`", d.name), h, layout.outcomes.first().copied().unwrap_or(first));
    sys.decisions.push(d);
    sys.execution.push(x);
    Ok(sys)
}

/// How the conditions were told from the outcomes, columns not imported, and the hit policy.
fn layout_findings(cx: &mut Ctx<'_>, layout: &TableLayout, first: usize) {
    let g = cx.grid;
    let h = layout.header_row;
    let describe = |cols: &[usize]| {
        cols.iter()
            .map(|c| format!("{} \"{}\"", g.col_name(*c), g.text(h, *c)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let how = match &layout.split {
        Split::Prefixes => "from the `if`/`then` header prefixes".to_string(),
        Split::GroupRow(r) => format!("from the group labels on row {}", g.row_number(*r)),
        Split::Inferred((r, c)) => format!(
            "inferred: conditions end at the last column with a condition-shaped cell or min/max header ({} `{}`); check it",
            g.addr(*r, *c),
            g.text(*r, *c)
        ),
    };
    let f = cx.info(
        codes::SHEET_TABLE_SPLIT.id,
        format!(
            "decision table; conditions: {}; outcomes: {}; split {how}",
            describe(&layout.conditions),
            describe(&layout.outcomes)
        ),
        h,
        first,
    );
    if matches!(layout.split, Split::Inferred(_)) {
        f.level = crate::findings::Level::Warning;
        f.help = Some("prefix headers with `if`/`then` (or add a Conditions/Outcomes row above them) to state the split".into());
    }
    for c in &layout.ignored {
        cx.info(codes::SHEET_COLUMN_IGNORED.id, format!("column {} \"{}\" is neither condition nor outcome (rule number or annotation); not imported", g.col_name(*c), g.text(h, *c)), h, *c);
    }
    match &layout.hit_policy {
        Some((p, (r, c))) => match p.as_str() {
            "F" | "FIRST" => {
                cx.info(codes::SHEET_HIT_POLICY.id, format!("hit policy {p}: rules are tried in order and the first that holds wins, as in .claw"), *r, *c);
            }
            "U" | "UNIQUE" | "A" | "ANY" => {
                cx.info(codes::SHEET_HIT_POLICY.id, format!("hit policy {p}: imported as first-hit; with {p} at most one outcome applies, so the order does not change the result (overlaps are not checked)"), *r, *c);
            }
            other => {
                cx.warn(codes::SHEET_HIT_POLICY.id, format!("hit policy {other} (collect, priority or output order) has no .claw equivalent: imported as first-hit, so only the first matching rule's outcome is used"), *r, *c);
            }
        },
        None => {
            cx.info(
                codes::SHEET_HIT_POLICY.id,
                "no hit policy given: rules are tried in order and the first that holds wins",
                h,
                first,
            );
        }
    }
}

/// The condition variables and the outcome names (deduplicated) from the header row.
fn variables(cx: &Ctx<'_>, layout: &TableLayout) -> (Vars, Outs) {
    let g = cx.grid;
    let h = layout.header_row;
    let mut vars: Vec<(usize, String, Bound)> = Vec::new();
    for c in &layout.conditions {
        let (v, b) = conditions::header_variable(&g.text(h, *c));
        vars.push((*c, v, b));
    }
    let mut outs: Vec<(usize, String)> = Vec::new();
    for c in &layout.outcomes {
        let header = super::headers::normalise(&g.text(h, *c));
        let header = header.strip_prefix("then ").unwrap_or(&header).to_string();
        let mut name = conditions::variable_name(&header);
        let mut n = 2;
        while outs.iter().any(|(_, o)| *o == name) {
            name = format!("{}_{n}", conditions::variable_name(&header));
            n += 1;
        }
        outs.push((*c, name));
    }
    (vars, outs)
}

/// One rule per row with an outcome whose conditions compile; other rows skipped with a warning.
fn read_rules(
    cx: &mut Ctx<'_>,
    layout: &TableLayout,
    vars: &Vars,
    outs: &Outs,
    first: usize,
) -> Vec<(usize, Rule)> {
    let g = cx.grid;
    let h = layout.header_row;
    let mut rules: Vec<(usize, Rule)> = Vec::new();
    for r in h + 1..g.height() {
        if g.row_is_blank(r) {
            continue;
        }
        let mut then = IndexMap::new();
        for (c, name) in outs {
            let text = cx.clean(r, *c);
            if !text.is_empty() {
                let mut v = conditions::outcome_value(&text);
                super::escape_literal(&mut v);
                then.insert(name.clone(), v);
            }
        }
        if then.is_empty() {
            cx.warn(
                codes::SHEET_ROW_SKIPPED.id,
                format!("row {} has no outcome; skipped", g.row_number(r)),
                r,
                layout.outcomes.first().copied().unwrap_or(0),
            );
            continue;
        }
        let mut clauses = Vec::new();
        for (c, v, b) in vars {
            let text = cx.clean(r, *c);
            if let Some(cl) = conditions::condition(v, *b, &text) {
                clauses.push(if clauses_need_parens(&cl) {
                    format!("({cl})")
                } else {
                    cl
                });
            }
        }
        let condition = if clauses.is_empty() {
            "true".to_string()
        } else {
            clauses.join(" && ")
        };
        if claw_language::expr::compile(&condition).is_err() {
            cx.warn(codes::SHEET_ROW_SKIPPED.id, format!("row {}: the conditions do not form a valid expression (`{condition}`); skipped", g.row_number(r)), r, first);
            continue;
        }
        rules.push((
            r,
            Rule {
                condition,
                then,
                emit: None,
            },
        ));
    }
    rules
}

/// A catch-all row (condition `true`) becomes the table's default and the rules after it are
/// dropped as shadowed; without one, a finding says the run stops when no rule holds.
fn catch_all(
    cx: &mut Ctx<'_>,
    rules: &mut Vec<(usize, Rule)>,
    first: usize,
) -> Option<RuleDefault> {
    let g = cx.grid;
    let mut default = None;
    if let Some(pos) = rules.iter().position(|(_, rule)| rule.condition == "true") {
        // Rules after a catch-all can never hold.
        for (r, _) in rules.iter().skip(pos + 1) {
            cx.warn(codes::SHEET_RULE_SHADOWED.id, format!("row {} comes after the catch-all rule on row {} and can never apply; not imported", g.row_number(*r), g.row_number(rules[pos].0)), *r, first);
        }
        let (r, catch) = rules[pos].clone();
        rules.truncate(pos);
        if rules.is_empty() {
            // A table of only a catch-all: keep it as the single rule so the table is not empty.
            rules.push((r, catch));
        } else {
            cx.info(
                codes::SHEET_NO_DEFAULT.id,
                format!(
                    "row {} matches anything: it becomes the table's `default`",
                    g.row_number(r)
                ),
                r,
                first,
            );
            default = Some(RuleDefault {
                then: catch.then,
                emit: None,
            });
        }
    } else if let Some((r, _)) = rules.last() {
        cx.info(
            codes::SHEET_NO_DEFAULT.id,
            "no catch-all rule (a row of `*`): when no rule holds, the run stops",
            *r,
            first,
        );
    }
    default
}

fn clauses_need_parens(c: &str) -> bool {
    c.contains("&&") || c.contains("||")
}
