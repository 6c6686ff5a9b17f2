//! The expression language: CEL (crate `cel`) for conditions, keys, alert rules and template holes.
//!
//! Alert conditions may use unit literals (`1%`, `500ms`), which are rewritten to plain
//! numbers (ratios and seconds) before CEL sees them. Templates are strings with
//! `{{ expr }}` holes; `\{{` writes a literal `{{`.

use cel::common::ast::{Expr, IdedExpr};
use std::sync::Arc;
use thiserror::Error;

/// An expression that failed to compile or evaluate.
#[derive(Debug, Clone, Error, PartialEq)]
#[error("{message}")]
pub struct ExprError {
    /// What went wrong.
    pub message: String,
    /// Byte offset in the expression text, when known.
    pub offset: Option<usize>,
}

/// Words CEL reserves: never usable as identifiers (a payload field of that name is read as
/// `payload["in"]`).
pub const RESERVED_WORDS: &[&str] = &[
    "true",
    "false",
    "null",
    "in",
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "void",
    "while",
];

/// Names the runtime puts in every expression's scope beside the payload's own fields.
pub const SCOPE_NAMES: &[&str] = &["steps", "decisions", "trigger", "payload"];

/// The CEL standard library plus the formatter functions ([`crate::format`]), built once:
/// `Context::default()` rebuilds the library on every evaluation, which showed up in runtime
/// profiles. It is immutable after construction, so sharing it is not shared mutable state.
fn stdlib() -> Arc<cel::Env> {
    static STDLIB: std::sync::OnceLock<Arc<cel::Env>> = std::sync::OnceLock::new();
    STDLIB
        .get_or_init(|| {
            let mut env = cel::Env::stdlib();
            // The names are fixed and distinct (a unit test registers them too), so this
            // cannot fail; an environment without them would only make calls to them fail.
            if let Err(e) = crate::format::register(&mut env) {
                debug_assert!(false, "registering the formatter functions: {e}");
            }
            Arc::new(env)
        })
        .clone()
}

/// A compiled CEL expression.
#[derive(Clone)]
pub struct Compiled {
    program: Arc<cel::Program>,
    source: String,
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Compiled({:?})", self.source)
    }
}

/// Compiles a CEL expression.
pub fn compile(text: &str) -> Result<Compiled, ExprError> {
    if text.trim().is_empty() {
        return Err(ExprError {
            message: "empty expression".into(),
            offset: Some(0),
        });
    }
    // The CEL parser is third-party code; never let a bug in it take the process down.
    // Compiled by the environment, whose parser also reads optional fields (`a.?b`).
    let parsed = std::panic::catch_unwind(|| stdlib().compile(text));
    match parsed {
        Ok(Ok(p)) => {
            check_calls(p.expression(), text)?;
            Ok(Compiled {
                program: Arc::new(p),
                source: text.to_string(),
            })
        }
        Ok(Err(errs)) => {
            let first = errs.errors.first();
            let offset = first.map(|e| column_offset(text, e.pos));
            let msg = first
                .map(|e| e.msg.clone())
                .unwrap_or_else(|| "syntax error".into());
            Err(ExprError {
                message: format!("not a valid CEL expression: {msg}"),
                offset,
            })
        }
        Err(_) => Err(ExprError {
            message: "not a valid CEL expression (the parser gave up)".into(),
            offset: None,
        }),
    }
}

/// Member functions of CEL's standard library: `text.size()` on a variable named `text` is
/// such a call, not a formatter function.
const STD_METHODS: &[&str] = &[
    "contains",
    "endsWith",
    "startsWith",
    "matches",
    "size",
    "hasValue",
    "value",
    "orValue",
    "or",
    "getFullYear",
    "getMonth",
    "getDate",
    "getDayOfMonth",
    "getDayOfWeek",
    "getDayOfYear",
    "getHours",
    "getMinutes",
    "getSeconds",
    "getMilliseconds",
];

/// Calls of the formatter namespaces (`text.upper(x)`) must name a function of the library
/// with an argument count it accepts: checked when compiling, so `claw check` reports a typo
/// rather than a run failing on it.
fn check_calls(e: &IdedExpr, text: &str) -> Result<(), ExprError> {
    let mut err: Option<(String, String)> = None;
    walk(e, &mut |x| {
        let Expr::Call(call) = &x.expr else { return };
        let Some(Expr::Ident(ns)) = call.target.as_ref().map(|t| &t.expr) else {
            return;
        };
        if err.is_some() || !crate::format::NAMESPACES.contains(&ns.as_str()) {
            return;
        }
        let name = format!("{ns}.{}", call.func_name);
        match crate::format::function(&name) {
            Some(f) if !f.arities.contains(&call.args.len()) => {
                let want: Vec<String> = f.arities.iter().map(usize::to_string).collect();
                err = Some((
                    format!(
                        "`{name}` takes {} argument(s), not {}",
                        want.join(" or "),
                        call.args.len()
                    ),
                    name,
                ));
            }
            None if !STD_METHODS.contains(&call.func_name.as_str()) => {
                let names: Vec<&str> = crate::format::FUNCTIONS
                    .iter()
                    .filter(|f| f.name.starts_with(&format!("{ns}.")))
                    .map(|f| f.name)
                    .collect();
                let hint = names
                    .iter()
                    .map(|n| (strsim::jaro_winkler(&name, n), *n))
                    .filter(|(score, _)| *score >= 0.8)
                    .max_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|(_, n)| format!("; did you mean `{n}`?"))
                    .unwrap_or_default();
                err = Some((format!("`{name}` is not a formatter function{hint}"), name));
            }
            _ => {}
        }
    });
    match err {
        Some((message, name)) => Err(ExprError {
            message,
            offset: text.find(&name),
        }),
        None => Ok(()),
    }
}

/// Compiled expressions by source text, for one check or the checks of one import: a generated
/// system repeats the same texts thousands of times (every crontab trigger's idempotency key is
/// `trigger.scheduled_at`), imported Zaps share their conditions, and validation compiles some
/// texts more than once (the flow check reads step references again). Owned by whoever runs
/// the checks, never shared globally; holds at most [`ExprCache::LIMIT`] texts (then starts
/// over), so a long import stays in bounded memory.
#[derive(Default)]
pub struct ExprCache {
    compiled: std::cell::RefCell<std::collections::HashMap<String, Result<Compiled, ExprError>>>,
}

impl ExprCache {
    /// Most texts remembered at once.
    pub const LIMIT: usize = 10_000;

    /// [`compile`], remembered by text.
    pub fn compile(&self, text: &str) -> Result<Compiled, ExprError> {
        if let Some(r) = self.compiled.borrow().get(text) {
            return r.clone();
        }
        let r = compile(text);
        let mut m = self.compiled.borrow_mut();
        if m.len() >= Self::LIMIT {
            m.clear();
        }
        m.insert(text.to_string(), r.clone());
        r
    }
}

impl std::fmt::Debug for ExprCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ExprCache({} texts)", self.compiled.borrow().len())
    }
}

/// CEL positions are (line, column) with 1-based lines; convert to a byte offset.
fn column_offset(text: &str, pos: (isize, isize)) -> usize {
    let (line, col) = (pos.0.max(1) as usize, pos.1.max(0) as usize);
    let mut offset = 0;
    for (i, l) in text.split('\n').enumerate() {
        if i + 1 == line {
            return offset + l.char_indices().nth(col).map(|(b, _)| b).unwrap_or(l.len());
        }
        offset += l.len() + 1;
    }
    text.len()
}

/// Rewrites unit literals (`1%` → `0.01`, `500ms` → `0.5`, `2m` → `120.0`) for alert conditions.
pub fn desugar_units(text: &str) -> String {
    UNIT_LITERAL
        .replace_all(text, |caps: &regex::Captures<'_>| {
            let num: f64 = caps[1].parse().unwrap_or(0.0);
            let v = match &caps[2] {
                "%" => num / 100.0,
                unit => crate::units::unit_seconds(num, unit).unwrap_or(num),
            };
            format!("{v:?}")
        })
        .into_owned()
}

/// A unit literal (`1%`, `500ms`, `2m`, `1d`), its units taken from
/// [`crate::units::DURATION_UNITS`]; compiled once, read-only afterwards.
static UNIT_LITERAL: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    let units: Vec<&str> = crate::units::DURATION_UNITS
        .iter()
        .map(|(u, _)| *u)
        .collect();
    regex::Regex::new(&format!(
        r"\b(\d+(?:\.\d+)?)(%|{})(?:\b|$|\s|\))",
        units.join("|")
    ))
    .expect("constant pattern compiles")
});

impl Compiled {
    /// The source text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Root variable names the expression reads (`order` in `order.id`).
    pub fn root_variables(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .program
            .references()
            .variables()
            .into_iter()
            .map(str::to_string)
            .collect();
        v.sort();
        v
    }

    /// Names of steps read through `steps.<name>`.
    pub fn step_references(&self) -> Vec<String> {
        let mut out = Vec::new();
        walk(self.program.expression(), &mut |e| {
            if let Expr::Select(sel) = &e.expr
                && let Expr::Ident(root) = &sel.operand.expr
                && root == "steps"
                && !out.contains(&sel.field)
            {
                out.push(sel.field.clone());
            }
            if let Expr::Call(call) = &e.expr {
                // steps["name"] is an index call.
                if call.func_name == "_[_]"
                    && call.args.len() == 2
                    && let (Expr::Ident(root), Expr::Literal(lit)) =
                        (&call.args[0].expr, &call.args[1].expr)
                    && root == "steps"
                    && let cel::common::ast::LiteralValue::String(s) = lit
                {
                    let s = s.to_string();
                    if !out.contains(&s) {
                        out.push(s);
                    }
                }
            }
        });
        out
    }

    /// Evaluates with the top-level keys of `scope` (a JSON object) as variables.
    pub fn eval(&self, scope: &serde_json::Value) -> Result<serde_json::Value, ExprError> {
        let mut ctx = cel::Context::with_env(stdlib());
        // Only the variables the expression names are converted: converting the whole scope
        // made every evaluation cost the size of the payload and of every step's output (a
        // loop's items each rendered their templates over the whole list).
        let refs = self.program.references();
        if let serde_json::Value::Object(map) = scope {
            for (k, v) in map.iter().filter(|(k, _)| refs.has_variable(k)) {
                let val = cel::to_value(v).map_err(|e| ExprError {
                    message: format!("cannot pass `{k}` to the expression: {e}"),
                    offset: None,
                })?;
                ctx.add_variable_from_value(k.clone(), val);
            }
        }
        let program = self.program.clone();
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| program.execute(&ctx)))
            .map_err(|_| ExprError {
                message: format!("evaluating `{}` failed inside the CEL engine", self.source),
                offset: None,
            })?
            .map_err(|e| ExprError {
                message: format!("evaluating `{}`: {e}", self.source),
                offset: None,
            })?;
        out.json().map_err(|e| ExprError {
            message: format!(
                "the result of `{}` is not JSON-representable: {e:?}",
                self.source
            ),
            offset: None,
        })
    }

    /// Evaluates to a boolean; anything else is an error (a condition never guesses).
    pub fn eval_bool(&self, scope: &serde_json::Value) -> Result<bool, ExprError> {
        match self.eval(scope)? {
            serde_json::Value::Bool(b) => Ok(b),
            other => Err(ExprError {
                message: format!("`{}` gave {other}, not true/false", self.source),
                offset: None,
            }),
        }
    }
}

fn walk(e: &IdedExpr, f: &mut impl FnMut(&IdedExpr)) {
    f(e);
    match &e.expr {
        Expr::Call(c) => {
            if let Some(t) = &c.target {
                walk(t, f);
            }
            for a in &c.args {
                walk(a, f);
            }
        }
        Expr::Select(s) => walk(&s.operand, f),
        Expr::List(l) => l.elements.iter().for_each(|x| walk(x, f)),
        Expr::Map(m) => {
            for entry in &m.entries {
                if let cel::common::ast::EntryExpr::MapEntry(me) = &entry.expr {
                    walk(&me.key, f);
                    walk(&me.value, f);
                }
            }
        }
        Expr::Comprehension(c) => {
            for x in [
                &c.iter_range,
                &c.accu_init,
                &c.loop_cond,
                &c.loop_step,
                &c.result,
            ] {
                walk(x, f);
            }
        }
        _ => {}
    }
}

/// One piece of a template.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// Literal text.
    Text(String),
    /// A `{{ expr }}` hole: the expression and its byte offset in the template.
    Hole(String, usize),
}

/// Splits a template into text and holes. An unclosed `{{` is an error.
pub fn template_pieces(t: &str) -> Result<Vec<Piece>, ExprError> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    let b = t.as_bytes();
    while i < t.len() {
        if t[i..].starts_with("\\{{") {
            text.push_str("{{");
            i += 3;
        } else if t[i..].starts_with("{{") {
            let close = t[i + 2..].find("}}").ok_or(ExprError {
                message: "`{{` without a closing `}}` (write `\\{{` for a literal `{{`)".into(),
                offset: Some(i),
            })?;
            if !text.is_empty() {
                out.push(Piece::Text(std::mem::take(&mut text)));
            }
            let inner = &t[i + 2..i + 2 + close];
            let lead = inner.len() - inner.trim_start().len();
            out.push(Piece::Hole(inner.trim().to_string(), i + 2 + lead));
            i += close + 4;
        } else {
            let ch_len = utf8_len(b[i]);
            text.push_str(&t[i..(i + ch_len).min(t.len())]);
            i += ch_len;
        }
    }
    if !text.is_empty() {
        out.push(Piece::Text(text));
    }
    Ok(out)
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// Renders a template. A template that is exactly one hole keeps the value's type.
pub fn render_template(t: &str, scope: &serde_json::Value) -> Result<serde_json::Value, ExprError> {
    let pieces = template_pieces(t)?;
    if let [Piece::Hole(e, _)] = pieces.as_slice() {
        return compile(e)?.eval(scope);
    }
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Text(s) => out.push_str(&s),
            Piece::Hole(e, _) => match compile(&e)?.eval(scope)? {
                serde_json::Value::String(s) => out.push_str(&s),
                serde_json::Value::Null => {}
                other => out.push_str(&other.to_string()),
            },
        }
    }
    Ok(serde_json::Value::String(out))
}

/// Renders every string inside a JSON value as a template.
pub fn render_value(
    v: &serde_json::Value,
    scope: &serde_json::Value,
) -> Result<serde_json::Value, ExprError> {
    use serde_json::Value;
    Ok(match v {
        Value::String(s) => render_template(s, scope)?,
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|x| render_value(x, scope))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| Ok((k.clone(), render_value(x, scope)?)))
                .collect::<Result<_, ExprError>>()?,
        ),
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn evaluates_over_payload() {
        let c = compile("order.weight > 10 && order.region == 'EU'").unwrap();
        assert!(
            c.eval_bool(&json!({"order": {"weight": 12.5, "region": "EU"}}))
                .unwrap()
        );
        assert!(
            !c.eval_bool(&json!({"order": {"weight": 3, "region": "EU"}}))
                .unwrap()
        );
    }

    #[test]
    fn finds_step_references() {
        let c = compile("steps.fetch.output.id + steps['other'].output.x").unwrap();
        assert_eq!(
            c.step_references(),
            vec!["fetch".to_string(), "other".to_string()]
        );
    }

    #[test]
    fn syntax_errors_have_offsets() {
        let e = compile("order.id ==").unwrap_err();
        assert!(e.offset.is_some());
    }

    /// Formatter calls are checked when compiling: unknown names (with a suggestion) and wrong
    /// argument counts; standard methods on a variable named like a namespace still compile.
    #[test]
    fn formatter_calls_are_checked() {
        let e = compile("text.titlecse(name)").unwrap_err();
        assert!(
            e.message.contains("did you mean `text.titlecase`"),
            "{}",
            e.message
        );
        assert_eq!(e.offset, Some(0));
        let e = compile("x + text.truncate(name)").unwrap_err();
        assert!(
            e.message.contains("takes 2 or 3 or 4 argument(s), not 1"),
            "{}",
            e.message
        );
        assert!(compile("text.size() > 1 && date.startsWith('2024')").is_ok());
        assert!(compile("steps.a.output.text.upper()").is_ok());
    }

    /// Optional field reads (`a.?b.orValue(d)`): what the Zapier importer uses for a mapped
    /// field that may be absent.
    #[test]
    fn optional_fields() {
        let c = compile("payload.?nick.orValue('friend')").unwrap();
        assert_eq!(c.eval(&json!({"payload": {}})).unwrap(), json!("friend"));
        assert_eq!(
            c.eval(&json!({"payload": {"nick": "Al"}})).unwrap(),
            json!("Al")
        );
    }

    #[test]
    fn units_in_alerts() {
        assert_eq!(desugar_units("error_rate > 1%"), "error_rate > 0.01");
        assert_eq!(desugar_units("p95 > 500ms"), "p95 > 0.5");
        // Every duration unit `.claw` accepts is converted, not only s/m/h.
        assert_eq!(desugar_units("age > 1d"), "age > 86400.0");
        assert_eq!(desugar_units("age > 2w"), "age > 1209600.0");
        assert_eq!(desugar_units("wait > 5min"), "wait > 300.0");
        assert!(compile(&desugar_units("error_rate > 1% || latency > 2s")).is_ok());
    }

    #[test]
    fn templates() {
        let scope = json!({"order": {"id": 7, "name": "x"}});
        assert_eq!(render_template("{{ order.id }}", &scope).unwrap(), json!(7));
        assert_eq!(
            render_template("#{{ order.id }}-{{order.name}}", &scope).unwrap(),
            json!("#7-x")
        );
        assert_eq!(
            render_template("\\{{ raw }}", &scope).unwrap(),
            json!("{{ raw }}")
        );
        assert!(template_pieces("{{ open").is_err());
    }
}
