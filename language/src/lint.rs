//! Lints: warnings about what a system lacks. Importers reuse exactly these to flag
//! what a legacy setup never had.

use crate::codes;
use crate::diag::{Code, Diagnostic};
use crate::model::*;
use crate::parse::SourceMap;

/// Adapters the runtime ships. Others are plug-ins: allowed, with a warning.
pub const BUILTIN_ADAPTERS: &[&str] = &[
    "http", "shell", "code", "log", "format", "loop", "slack", "webhook", "queue", "delay",
    "email", "rss", "state", "table", "digest", "system", "call",
];

/// The operations of the built-in `state` adapter (`state.set`, …), over `data.state` stores.
pub const STATE_OPERATIONS: &[&str] = &[
    "set",
    "get",
    "increment",
    "remove",
    "push",
    "pop",
    "set_many",
    "get_many",
    "set_if",
    "clear",
];

/// The operations of the built-in `table` adapter (`table.find`, …), over `data.state` stores
/// used as tables of records.
pub const TABLE_OPERATIONS: &[&str] = &["find", "create", "update"];

/// The operations of the built-in `digest` adapter, over `data.digests` digests: `append` adds
/// an entry (and releases the batch when a `count` digest fills), `release` releases by hand.
pub const DIGEST_OPERATIONS: &[&str] = &["append", "release"];

/// Adapters whose operations have no outside effect, so retries and dead letters are moot.
const PURE_ADAPTERS: &[&str] = &["log", "delay", "code", "format", "loop", "call"];

/// Every lint's code and one-line fix hint, for callers that list them (the hint is the code's
/// registered `fix`; see [`crate::codes`]).
pub fn lints() -> impl Iterator<Item = (&'static str, &'static str)> {
    codes::lints().map(|c| (c.id, c.fix))
}

fn warn(code: Code, msg: String, path: &str, map: &SourceMap) -> Diagnostic {
    Diagnostic::warning(code, msg)
        .at(map.key(path))
        .at_path(path)
        .with_help(code.fix)
}

/// Whether an execution has effects outside the runtime.
pub fn is_side_effecting(x: &Execution) -> bool {
    !PURE_ADAPTERS.contains(&x.adapter())
}

/// Runs every lint, in reporting order: triggers, decision inputs, execution, observability.
pub fn lint(sys: &System, map: &SourceMap) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    triggers(sys, map, &mut out);
    decision_inputs(sys, map, &mut out);
    execution(sys, map, &mut out);
    observability(sys, map, &mut out);
    out
}

/// Triggers without an idempotency key, and disabled ones.
fn triggers(sys: &System, map: &SourceMap, out: &mut Vec<Diagnostic>) {
    for t in &sys.triggers {
        let p = format!("/triggers/{}", t.name);
        // A called run's key is its caller step's key: a repeated call attaches to it.
        if t.idempotency.is_none() && t.source != Source::Call {
            out.push(warn(
                codes::LINT_NO_IDEMPOTENCY,
                format!(
                    "trigger `{}` has no idempotency key: a repeated delivery would run twice",
                    t.name
                ),
                &p,
                map,
            ));
        }
        if !t.is_enabled() {
            out.push(warn(
                codes::LINT_DISABLED,
                format!(
                    "trigger `{}` is disabled: it is declared but never starts",
                    t.name
                ),
                &p,
                map,
            ));
        }
    }
}

/// Decision inputs that no table, state store, step or trigger declares.
fn decision_inputs(sys: &System, map: &SourceMap, out: &mut Vec<Diagnostic>) {
    let mut names: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    names.extend(sys.data.tables.iter().map(|t| t.name.as_str()));
    names.extend(sys.data.state.iter().map(|t| t.name.as_str()));
    names.extend(sys.execution.iter().map(|t| t.name.as_str()));
    names.extend(sys.decisions.iter().map(|t| t.name.as_str()));
    names.extend(sys.triggers.iter().map(|t| t.name.as_str()));
    names.extend(["steps", "decisions", "trigger", "payload"]);
    for d in &sys.decisions {
        for (i, input) in d.inputs.iter().enumerate() {
            let root = input.split(['.', '[']).next().unwrap_or(input);
            if !names.contains(root) {
                out.push(warn(
                    codes::LINT_UNRESOLVED_INPUT,
                    format!("decision `{}` reads input `{input}`, which no table, state store or step declares (it must come in the payload)", d.name),
                    &format!("/decisions/{}/inputs/{i}", d.name),
                    map,
                ));
            }
        }
    }
}

/// Unported, plug-in and disabled steps, and side-effecting steps without retries, dead
/// letter or timeout.
fn execution(sys: &System, map: &SourceMap, out: &mut Vec<Diagnostic>) {
    for x in &sys.execution {
        let p = format!("/execution/{}", x.name);
        if x.action.starts_with("unported.") {
            out.push(warn(
                codes::LINT_UNPORTED_STEP,
                format!(
                    "execution `{}` is an unported legacy step (`{}`)",
                    x.name, x.action
                ),
                &format!("{p}/action"),
                map,
            ));
            continue;
        }
        if !BUILTIN_ADAPTERS.contains(&x.adapter()) {
            out.push(warn(
                codes::LINT_UNKNOWN_ADAPTER,
                format!(
                    "execution `{}` uses adapter `{}`, which is not built in",
                    x.name,
                    x.adapter()
                ),
                &format!("{p}/action"),
                map,
            ));
        }
        if !x.is_enabled() {
            out.push(warn(
                codes::LINT_DISABLED,
                format!(
                    "execution `{}` is disabled: it is declared but skipped",
                    x.name
                ),
                &p,
                map,
            ));
        }
        if is_side_effecting(x) {
            if x.retries.is_none() {
                out.push(warn(
                    codes::LINT_NO_RETRIES,
                    format!(
                        "execution `{}` has no retries: one transient failure loses the work",
                        x.name
                    ),
                    &p,
                    map,
                ));
            }
            if x.dead_letter.is_none() {
                out.push(warn(
                    codes::LINT_NO_DEAD_LETTER,
                    format!(
                        "execution `{}` has no dead letter: work that keeps failing is dropped",
                        x.name
                    ),
                    &p,
                    map,
                ));
            }
            if x.timeout.is_none() {
                out.push(warn(
                    codes::LINT_NO_TIMEOUT,
                    format!(
                        "execution `{}` has no timeout: a hung call blocks the run",
                        x.name
                    ),
                    &p,
                    map,
                ));
            }
        }
    }
}

/// A system without SLO or owner, SLOs no alert watches, alerts without a route.
fn observability(sys: &System, map: &SourceMap, out: &mut Vec<Diagnostic>) {
    let obs = &sys.observability;
    if obs.slo.is_empty() {
        out.push(warn(
            codes::LINT_NO_SLO,
            "the system declares no SLO: nobody can tell whether it is healthy".into(),
            "/observability",
            map,
        ));
    }
    let conditions: Vec<Vec<String>> = obs
        .alerts
        .iter()
        .map(|a| {
            crate::expr::compile(&crate::expr::desugar_units(&a.on))
                .map(|c| c.root_variables())
                .unwrap_or_default()
        })
        .collect();
    for name in obs.slo.keys() {
        if !conditions.iter().any(|vars| vars.iter().any(|v| v == name)) {
            out.push(warn(
                codes::LINT_SLO_WITHOUT_ALERT,
                format!("SLO `{name}` has no alert: a breach would go unnoticed"),
                &format!("/observability/slo/{name}"),
                map,
            ));
        }
    }
    for (i, a) in obs.alerts.iter().enumerate() {
        if a.route.is_none() {
            out.push(warn(
                codes::LINT_ALERT_WITHOUT_ROUTE,
                format!("alert `{}` has no route: it fires to nobody", a.on),
                &format!("/observability/alerts/{i}/on"),
                map,
            ));
        }
    }
    if obs.owner.is_none() {
        out.push(warn(
            codes::LINT_NO_OWNER,
            "the system has no owner".into(),
            "/observability",
            map,
        ));
    }
}
