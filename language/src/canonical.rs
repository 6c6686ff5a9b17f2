//! Checking a system as `claw check` would check its canonical text, without reading the text
//! back. Importers render thousands of systems and must never write one that `claw check`
//! refuses; parsing each rendered text again cost most of an import's time.
//!
//! The argument: for a system inside [`round_trips`], `parse(to_claw(s))` gives `s` again with
//! no diagnostic and nothing dropped (tests/roundtrip.rs, a property over arbitrary strings,
//! numbers and nesting), so `claw check` of the text validates an equal system; validation
//! depends on the text only through spans and through which layer keys were written, and the
//! writer writes all five. tests/canonical.rs checks the conclusion directly: over generated
//! systems and every importer's sample output, [`errors`] reports exactly the errors of
//! `check_text(to_claw(s))`. A system outside [`round_trips`] gets `None`: check its text.

use crate::diag::Diagnostic;
use crate::expr::ExprCache;
use crate::model::*;
use serde_json::Value;
use std::collections::HashSet;

/// Most lists and mappings nested in one parameter value (`with`, `then`, table rows) inside
/// [`round_trips`]: the tests cover this depth; the YAML loader refuses 64 levels in all.
pub const MAX_VALUE_DEPTH: usize = 8;

/// Longest mapping key inside [`round_trips`], in bytes. YAML refuses implicit keys longer than
/// 1024 characters and the writer never writes explicit (`? `) keys; a quoted key can take six
/// characters per byte (`\u0001`), so 128 bytes stay under the limit whatever they hold.
pub const MAX_KEY_LEN: usize = 128;

/// Whether `to_claw(sys)` is proven to read back as `sys` with no diagnostic: item names are
/// names (the parser refuses others) and unique in their list (the parser drops repeats), every
/// step has an `on` (required, and left out when empty), `retries` is at most 1000 (the
/// parser's range), a rules table is not empty, parameter
/// values nest at most [`MAX_VALUE_DEPTH`] levels, keys are at most [`MAX_KEY_LEN`] bytes and
/// numbers are what YAML reads back as numbers (`i64` or `f64`; not a `u64` above `i64::MAX`).
pub fn round_trips(sys: &System) -> bool {
    names_ok(sys.triggers.iter().map(|t| t.name.as_str()))
        && names_ok(sys.decisions.iter().map(|d| d.name.as_str()))
        && names_ok(sys.execution.iter().map(|x| x.name.as_str()))
        && names_ok(sys.data.state.iter().map(|s| s.name.as_str()))
        && names_ok(sys.data.tables.iter().map(|t| t.name.as_str()))
        && sys
            .triggers
            .iter()
            .all(|t| params_ok(&t.with) && smap_ok(&t.legacy))
        && sys.decisions.iter().all(decision_ok)
        && sys.execution.iter().all(|x| {
            // `on` is required; the writer leaves an empty list out.
            !x.on.is_empty()
                && x.retries.is_none_or(|r| r <= 1000)
                && params_ok(&x.with)
                && smap_ok(&x.legacy)
        })
        && sys.data.tables.iter().all(|t| t.rows.iter().all(params_ok))
        && sys.provenance.as_ref().is_none_or(|p| smap_ok(&p.notes))
        && smap_ok(&sys.observability.slo)
}

/// The errors `claw check` reports on `to_claw(sys)` (code, message and model path; no spans,
/// since no text was read), or `None` when `sys` is outside [`round_trips`]. Lints are not
/// run: they are warnings, and a caller deciding whether to write needs the errors only.
pub fn errors(sys: &System, exprs: &ExprCache) -> Option<Vec<Diagnostic>> {
    if !round_trips(sys) {
        return None;
    }
    let map = crate::parse::SourceMap::default();
    let loc = crate::validate::Located {
        map: &map,
        base_dir: None,
        exprs,
        all_layers_written: true,
    };
    let mut found = crate::validate::validate(sys, &loc);
    found.retain(Diagnostic::is_error);
    Some(found)
}

/// Whether `claw check` accepts `to_claw(sys)`, when that is known without reading the text:
/// `Some(true)` or `Some(false)` inside [`round_trips`], `None` outside it.
pub fn is_valid(sys: &System, exprs: &ExprCache) -> Option<bool> {
    errors(sys, exprs).map(|e| e.is_empty())
}

fn names_ok<'a>(names: impl Iterator<Item = &'a str>) -> bool {
    let mut seen = HashSet::new();
    names
        .into_iter()
        .all(|n| crate::units::is_name(n) && seen.insert(n))
}

fn decision_ok(d: &Decision) -> bool {
    smap_ok(&d.legacy)
        && match &d.logic {
            // An empty table is written `rules:` with nothing, which reads back as null.
            Logic::Rules { rules, default } => {
                !rules.is_empty()
                    && rules.iter().all(|r| params_ok(&r.then))
                    && default.as_ref().is_none_or(|df| params_ok(&df.then))
            }
            Logic::When(_) | Logic::Policy(_) => true,
        }
}

fn smap_ok(m: &indexmap::IndexMap<String, String>) -> bool {
    m.keys().all(|k| k.len() <= MAX_KEY_LEN)
}

fn params_ok(m: &indexmap::IndexMap<String, Value>) -> bool {
    m.iter()
        .all(|(k, v)| k.len() <= MAX_KEY_LEN && value_ok(v, 1))
}

fn value_ok(v: &Value, depth: usize) -> bool {
    match v {
        Value::Number(n) => n.is_i64() || n.as_f64().is_some_and(f64::is_finite) && n.is_f64(),
        Value::Array(a) => depth <= MAX_VALUE_DEPTH && a.iter().all(|x| value_ok(x, depth + 1)),
        Value::Object(m) => {
            depth <= MAX_VALUE_DEPTH
                && m.iter()
                    .all(|(k, x)| k.len() <= MAX_KEY_LEN && value_ok(x, depth + 1))
        }
        Value::Null | Value::Bool(_) | Value::String(_) => true,
    }
}
