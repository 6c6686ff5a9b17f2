//! Semantic checks: everything that makes a well-shaped system still refuse to compile.

use crate::codes;
use crate::diag::Diagnostic;
use crate::expr;
use crate::model::*;
use crate::parse::SourceMap;
use crate::units;
use std::path::Path;

pub mod call;
mod digest;
mod flow;
mod state;
mod trigger;

use trigger::trigger;

/// Context for locating findings.
pub struct Located<'a> {
    /// Source positions (empty for systems built in code).
    pub map: &'a SourceMap,
    /// Directory the `.claw` file is in, for policy files; `None` skips file checks.
    pub base_dir: Option<&'a Path>,
    /// Expressions compiled so far (in this check, or across the checks of one import).
    pub exprs: &'a expr::ExprCache,
    /// Every layer key counts as written, whatever `map` holds: the system stands for its
    /// canonical text, which writes all five (an empty layer is then an error, as in a file).
    pub all_layers_written: bool,
}

impl Located<'_> {
    fn err(&self, code: crate::diag::Code, msg: impl Into<String>, path: &str) -> Diagnostic {
        Diagnostic::error(code, msg)
            .at(self.map.value(path))
            .at_path(path)
    }
}

/// Runs every semantic check on a parsed system.
pub fn validate(sys: &System, loc: &Located<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    identity(sys, loc, &mut out);
    for t in &sys.triggers {
        trigger(t, loc, &mut out);
    }
    // The expressions compiled here are also what the data-flow check reads `steps.<name>`
    // from: collected now rather than compiled a second time.
    let mut decision_reads = Vec::new();
    for d in &sys.decisions {
        decision(d, loc, &mut out, &mut decision_reads);
    }
    let mut reads = Vec::new();
    for x in &sys.execution {
        execution(x, loc, &mut out, &mut reads);
    }
    reads.append(&mut decision_reads);
    data(sys, loc, &mut out);
    state::steps(sys, loc, &mut out);
    digest::check(sys, loc, &mut out);
    call::steps(sys, loc, &mut out);
    observability(sys, loc, &mut out);
    names_across_layers(sys, loc, &mut out);
    flow::flow(sys, loc, reads, &mut out);
    out
}

/// Whether any string inside `v` holds `{{`: without one, a value has no template hole and no
/// template error (an unclosed `{{` is the only one), so there is nothing to check.
fn has_template(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => s.contains("{{"),
        serde_json::Value::Array(a) => a.iter().any(has_template),
        serde_json::Value::Object(m) => m.values().any(has_template),
        _ => false,
    }
}

/// Records the `steps.<name>` that compiled expressions read, at `path` (in reading order).
fn record_reads<'s>(
    user: flow::User<'s>,
    compiled: &[expr::Compiled],
    path: impl Fn() -> String,
    reads: &mut Vec<flow::Read<'s>>,
) {
    for c in compiled {
        for step in c.step_references() {
            reads.push(flow::Read {
                user,
                step,
                path: path(),
            });
        }
    }
}

fn identity(sys: &System, loc: &Located<'_>, out: &mut Vec<Diagnostic>) {
    // `decisions: []` is a statement ("no decisions"); a system that nothing starts, or that
    // does nothing, is a layer missing in all but name.
    for (layer, empty, example) in [
        (
            "triggers",
            sys.triggers.is_empty(),
            "triggers:\n  - order_created:\n      source: webhook\n      idempotency: order.id",
        ),
        (
            "execution",
            sys.execution.is_empty(),
            "execution:\n  - notify:\n      on: order_created\n      action: log.info",
        ),
    ] {
        if empty && (loc.all_layers_written || loc.map.values.contains_key(&format!("/{layer}"))) {
            out.push(
                loc.err(
                    codes::EMPTY_LAYER,
                    format!("the `{layer}` layer is empty: a system needs at least one item there"),
                    &format!("/{layer}"),
                )
                .with_help(format!("add at least one item, for example:\n\n{example}")),
            );
        }
    }
    if !sys.system.is_empty() && !units::is_name(&sys.system) {
        out.push(
            loc.err(
                codes::BAD_NAME,
                format!("`{}` is not a valid system name", sys.system),
                "/system",
            )
            .with_help("start with a letter; use letters, digits, `_` and `-`"),
        );
    }
    if !sys.version.is_empty() && semver::Version::parse(&sys.version).is_err() {
        out.push(
            loc.err(codes::BAD_VERSION, format!("`{}` is not a semantic version", sys.version), "/version")
                .with_label("expected MAJOR.MINOR.PATCH")
                .with_help("write e.g. `version: 1.0.0` (quote it if YAML reads it as a number: \"1.0\" is not semver)"),
        );
    }
}

fn check_expr(
    text: &str,
    path: &str,
    what: &str,
    loc: &Located<'_>,
    out: &mut Vec<Diagnostic>,
) -> Option<expr::Compiled> {
    match loc.exprs.compile(text) {
        Ok(c) => Some(c),
        Err(e) => {
            let mut d = loc
                .err(codes::BAD_EXPRESSION, format!("{what} `{text}` is not a valid expression: {}", e.message), path)
                .with_help("expressions are CEL: `order.total > 100 && order.country == 'FR'`; see docs/expressions.md");
            if let Some(off) = e.offset {
                narrow(&mut d, text, off..off + 1);
            }
            out.push(d);
            None
        }
    }
}

/// Checks every template hole inside a value; returns the compiled holes.
fn check_templates(
    v: &serde_json::Value,
    path: &str,
    loc: &Located<'_>,
    out: &mut Vec<Diagnostic>,
) -> Vec<expr::Compiled> {
    let mut holes = Vec::new();
    if !has_template(v) {
        return holes;
    }
    match v {
        serde_json::Value::String(s) => match expr::template_pieces(s) {
            Ok(pieces) => {
                for p in pieces {
                    if let expr::Piece::Hole(e, _) = p
                        && let Some(c) = check_expr(&e, path, "template hole", loc, out)
                    {
                        holes.push(c);
                    }
                }
            }
            Err(e) => out.push(
                loc.err(
                    codes::BAD_TEMPLATE,
                    format!("template `{s}`: {}", e.message),
                    path,
                )
                .with_help("holes are written `{{ expression }}`; write `\\{{` for literal braces"),
            ),
        },
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                holes.extend(check_templates(x, &format!("{path}/{i}"), loc, out));
            }
        }
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                holes.extend(check_templates(x, &format!("{path}/{k}"), loc, out));
            }
        }
        _ => {}
    }
    holes
}

fn check_duration(text: &str, path: &str, loc: &Located<'_>, out: &mut Vec<Diagnostic>) {
    if let Err(e) = units::parse_duration(text) {
        out.push(
            loc.err(codes::BAD_DURATION, e.to_string(), path)
                .with_help("durations: 500ms, 30s, 5m, 1h30m, 365d"),
        );
    }
}

fn check_action(a: &str, path: &str, loc: &Located<'_>, out: &mut Vec<Diagnostic>) {
    let ok = a.split_once('.').is_some_and(|(ad, op)| {
        units::is_name(ad)
            && !op.is_empty()
            && op.split('.').all(|p| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            })
    });
    if !ok {
        out.push(
            loc.err(
                codes::BAD_VALUE,
                format!("action `{a}` is not `adapter.operation`"),
                path,
            )
            .with_help("e.g. `http.post`, `shell.run`, `slack.post`, `carrier.book`"),
        );
    }
}

fn decision<'s>(
    d: &'s Decision,
    loc: &Located<'_>,
    out: &mut Vec<Diagnostic>,
    reads: &mut Vec<flow::Read<'s>>,
) {
    let path = format!("/decisions/{}", d.name);
    let user = flow::User::Decision(&d.name);
    match &d.logic {
        Logic::When(w) => {
            let p = format!("{path}/when");
            if let Some(c) = check_expr(w, &p, "condition", loc, out) {
                record_reads(user, &[c], || p.clone(), reads);
            }
        }
        Logic::Rules { rules, default } => {
            if rules.is_empty() {
                out.push(loc.err(
                    codes::DECISION_LOGIC,
                    format!("decision `{}` has an empty `rules` table", d.name),
                    &format!("{path}/rules"),
                ));
            }
            for (i, r) in rules.iter().enumerate() {
                let rp = format!("{path}/rules/{i}");
                let ip = format!("{rp}/if");
                if let Some(c) = check_expr(&r.condition, &ip, "rule condition", loc, out) {
                    record_reads(user, &[c], || ip.clone(), reads);
                }
                for (k, v) in &r.then {
                    check_templates(v, &format!("{rp}/then/{k}"), loc, out);
                }
            }
            if let Some(df) = default {
                for (k, v) in &df.then {
                    check_templates(v, &format!("{path}/default/then/{k}"), loc, out);
                }
            }
        }
        Logic::Policy(p) => {
            let pp = format!("{path}/policy");
            let ext = Path::new(p)
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("");
            if !matches!(ext, "cel" | "js" | "ts") {
                out.push(loc.err(
                    codes::BAD_VALUE,
                    format!("policy `{p}` must be a .cel, .js or .ts file"),
                    &pp,
                ));
            } else if let Some(base) = loc.base_dir {
                let full = base.join(p.strip_prefix("./").unwrap_or(p));
                match std::fs::read_to_string(&full) {
                    Ok(text) if ext == "cel" => {
                        if let Err(e) = expr::compile(text.trim()) {
                            out.push(loc.err(codes::BAD_EXPRESSION, format!("policy `{p}` is not a valid CEL expression: {}", e.message), &pp));
                        }
                    }
                    Ok(_) => {}
                    Err(_) => out.push(
                        loc.err(codes::MISSING_POLICY, format!("policy file `{p}` does not exist (looked for {})", full.display()), &pp)
                            .with_help("policy paths are relative to the .claw file; create the file or fix the path"),
                    ),
                }
            }
        }
    }
}

fn execution<'s>(
    x: &'s Execution,
    loc: &Located<'_>,
    out: &mut Vec<Diagnostic>,
    reads: &mut Vec<flow::Read<'s>>,
) {
    let path = format!("/execution/{}", x.name);
    let user = flow::User::Execution(&x.name);
    // An empty action is a missing `action:` key, which the parser already reported.
    if !x.action.is_empty() {
        check_action(&x.action, &format!("{path}/action"), loc, out);
    }
    for (k, v) in &x.with {
        if has_template(v) {
            let p = format!("{path}/with/{k}");
            let holes = check_templates(v, &p, loc, out);
            record_reads(user, &holes, || p.clone(), reads);
        }
    }
    // The data-flow check reads the delay's holes before the idempotency key's.
    let mut delay_reads = Vec::new();
    let mut key_reads = Vec::new();
    if let Some(b) = &x.backoff
        && let Err(e) = units::parse_backoff(b)
    {
        out.push(loc.err(
            codes::BAD_BACKOFF,
            e.to_string(),
            &format!("{path}/backoff"),
        ));
    }
    if let Some(t) = &x.timeout {
        check_duration(t, &format!("{path}/timeout"), loc, out);
    }
    if let Some(k) = &x.idempotency {
        let p = format!("{path}/idempotency");
        if let Some(c) = check_expr(k, &p, "idempotency key", loc, out) {
            record_reads(user, &[c], || p.clone(), &mut key_reads);
        }
    }
    if let Some(dl) = &x.dead_letter
        && let Err(e) = units::check_uri(dl, units::DEAD_LETTER_SCHEMES)
    {
        out.push(loc.err(
            codes::BAD_URI,
            format!("dead letter: {e}"),
            &format!("{path}/dead_letter"),
        ));
    }
    if let Some(d) = &x.delay {
        let p = format!("{path}/delay");
        if d.contains("{{") {
            let holes = check_templates(&serde_json::Value::String(d.clone()), &p, loc, out);
            record_reads(user, &holes, || p.clone(), &mut delay_reads);
        } else {
            check_duration(d, &p, loc, out);
        }
    }
    if let Some(f) = &x.for_each {
        let p = format!("{path}/for_each");
        if let Some(c) = check_expr(f, &p, "for_each list", loc, out) {
            record_reads(user, &[c], || p.clone(), &mut key_reads);
        }
    }
    if x.max_items == Some(0) {
        out.push(
            loc.err(
                codes::BAD_VALUE,
                "max_items must be at least 1",
                &format!("{path}/max_items"),
            )
            .with_help("leave it out for Zapier's cap of 500 items"),
        );
    }
    if x.for_each.is_none() && (x.on_item_failure.is_some() || x.max_items.is_some()) {
        let key = if x.on_item_failure.is_some() {
            "on_item_failure"
        } else {
            "max_items"
        };
        out.push(
            loc.err(
                codes::LOOP_WITHOUT_ITEMS,
                format!("`{key}` only applies to a step with `for_each`"),
                &format!("{path}/{key}"),
            )
            .with_help("add `for_each: <expression giving a list>`, or remove the key"),
        );
    }
    reads.append(&mut delay_reads);
    reads.append(&mut key_reads);
}

fn data(sys: &System, loc: &Located<'_>, out: &mut Vec<Diagnostic>) {
    if !sys.data.events.retention.is_empty() {
        check_duration(
            &sys.data.events.retention,
            "/data/events/retention",
            loc,
            out,
        );
    }
    for s in &sys.data.state {
        let p = format!("/data/state/{}", s.name);
        if let Some(t) = &s.ttl {
            check_duration(t, &format!("{p}/ttl"), loc, out);
        }
        if let Some(k) = &s.key {
            check_expr(k, &format!("{p}/key"), "state key", loc, out);
        }
    }
    for t in &sys.data.tables {
        if let (Some(src), Some(base)) = (&t.source, loc.base_dir)
            && !base.join(src).exists()
        {
            out.push(loc.err(
                codes::MISSING_FILE,
                format!("table source `{src}` does not exist"),
                &format!("/data/tables/{}/source", t.name),
            ));
        }
    }
}

fn observability(sys: &System, loc: &Located<'_>, out: &mut Vec<Diagnostic>) {
    for (name, obj) in &sys.observability.slo {
        if let Err(e) = units::parse_objective(obj) {
            out.push(loc.err(
                codes::BAD_OBJECTIVE,
                format!("SLO `{name}`: {e}"),
                &format!("/observability/slo/{name}"),
            ));
        }
    }
    for (i, a) in sys.observability.alerts.iter().enumerate() {
        let p = format!("/observability/alerts/{i}");
        let text = expr::desugar_units(&a.on);
        if let Err(e) = loc.exprs.compile(&text) {
            out.push(
                loc.err(
                    codes::BAD_EXPRESSION,
                    format!("alert condition `{}` is not valid: {}", a.on, e.message),
                    &format!("{p}/on"),
                )
                .with_help("e.g. `error_rate > 1%` or `dispatch_latency_p95 > 800ms`"),
            );
        }
        if let Some(r) = &a.route
            && let Err(e) = units::check_uri(r, units::ROUTE_SCHEMES)
        {
            out.push(loc.err(
                codes::BAD_URI,
                format!("alert route: {e}"),
                &format!("{p}/route"),
            ));
        }
    }
}

fn names_across_layers(sys: &System, loc: &Located<'_>, out: &mut Vec<Diagnostic>) {
    // Triggers, decisions and executions share one namespace because their names become events.
    let mut seen: std::collections::HashMap<&str, &str> = std::collections::HashMap::with_capacity(
        sys.triggers.len() + sys.decisions.len() + sys.execution.len(),
    );
    let items = sys
        .triggers
        .iter()
        .map(|t| ("triggers", t.name.as_str()))
        .chain(sys.decisions.iter().map(|d| ("decisions", d.name.as_str())))
        .chain(sys.execution.iter().map(|x| ("execution", x.name.as_str())));
    for (layer, name) in items {
        if let Some(first) = seen.get(name) {
            if *first != layer {
                out.push(
                    loc.err(
                        codes::DUPLICATE_NAME,
                        format!("`{name}` names both an item of `{first}` and one of `{layer}`"),
                        &format!("/{layer}/{name}"),
                    )
                    .with_help("names become event names; rename one of them"),
                );
            }
        } else {
            seen.insert(name, layer);
        }
    }
}

/// Narrows a diagnostic from a whole scalar to a byte range inside it, when the scalar is
/// written on one line (plain or quoted) so source offsets and text offsets line up.
fn narrow(d: &mut Diagnostic, text: &str, range: std::ops::Range<usize>) {
    let Some(span) = d.span.as_mut() else { return };
    let quote = match span.len.checked_sub(text.len()) {
        Some(0) => 0,
        Some(2) => 1,
        _ => return,
    };
    if text.contains('\n')
        || range.start > text.len()
        || !text.is_char_boundary(range.start.min(text.len()))
    {
        return;
    }
    let start = range.start.min(text.len());
    let end = range.end.clamp(start, text.len());
    span.offset += start + quote;
    span.column += text[..start].chars().count() + quote;
    span.len = (end - start).max(usize::from(start < text.len()));
}
