//! Decision-table cells to CEL: `*`/blank = any, comparisons (`<= 30`), ranges (`10-20`,
//! `[10..20]`), lists (`EU, UK` of one-word items, or `a | b` of any items), negation
//! (`not x`), plain values (equality), and `min`/`max` headers that turn a plain number into a
//! bound. A comma in prose (`Machine complete, with ventilator, monitor`) is text, not a list.

use regex::Regex;
use serde_json::Value;
use std::sync::LazyLock;

/// How a condition column compares a plain value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// Equal to the value (`=` or a bare value).
    Eq,
    /// `max X` header: value ≤ cell.
    Max,
    /// `min X` header: value ≥ cell.
    Min,
}

/// Splits a condition header into the variable it tests and how a plain number compares.
pub fn header_variable(header: &str) -> (String, Bound) {
    let n = super::headers::normalise(header);
    let mut words: Vec<&str> = n.split(' ').collect();
    if matches!(words.first(), Some(&"if") | Some(&"when") | Some(&"input")) && words.len() > 1 {
        words.remove(0);
    }
    let (bound, rest) = match words.as_slice() {
        ["max" | "maximum" | "up", "to", rest @ ..] if !rest.is_empty() => {
            (Bound::Max, rest.to_vec())
        }
        ["max" | "maximum", rest @ ..] if !rest.is_empty() => (Bound::Max, rest.to_vec()),
        ["min" | "minimum", rest @ ..] if !rest.is_empty() => (Bound::Min, rest.to_vec()),
        ["at", "least", rest @ ..] if !rest.is_empty() => (Bound::Min, rest.to_vec()),
        [rest @ .., "max" | "maximum"] if !rest.is_empty() => (Bound::Max, rest.to_vec()),
        [rest @ .., "min" | "minimum"] if !rest.is_empty() => (Bound::Min, rest.to_vec()),
        rest => (Bound::Eq, rest.to_vec()),
    };
    (variable_name(&rest.join(" ")), bound)
}

/// A CEL identifier for a header: `Order total` → `order_total`.
pub fn variable_name(text: &str) -> String {
    let s = claw_language::units::slug(text);
    // CEL reserves a few words, and the runtime puts a few names in scope; payload fields
    // of those names are read with a suffix.
    let reserved = claw_language::expr::RESERVED_WORDS
        .iter()
        .chain(claw_language::expr::SCOPE_NAMES);
    if reserved.clone().any(|w| *w == s) {
        format!("{s}_value")
    } else {
        s
    }
}

fn re(s: &str) -> Regex {
    Regex::new(s).unwrap_or_else(|e| panic!("bad built-in pattern {s}: {e}"))
}

static CMP: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?P<op><=|>=|!=|<>|==|=|<|>|≤|≥|≠)\s*(?P<v>.+)$"));
static RANGE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?P<lo_b>[\[\(\]])\s*(?P<lo>-?[\d.]+)\s*(?:\.\.|,|;)\s*(?P<hi>-?[\d.]+)\s*(?P<hi_b>[\]\)\[])$|^(?P<a>-?\d+(?:\.\d+)?)\s*(?:-|–|\.\.|to)\s*(?P<b>-?\d+(?:\.\d+)?)$",
    )
});
static NUMBER: LazyLock<Regex> = LazyLock::new(|| re(r"^-?\d+(?:\.\d+)?$"));
static THOUSANDS: LazyLock<Regex> = LazyLock::new(|| re(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$"));

/// A literal in CEL: numbers as numbers, TRUE/FALSE as booleans, the rest as a quoted string.
pub fn literal(text: &str) -> String {
    let t = text.trim();
    let plain = t.replace(',', "");
    if NUMBER.is_match(t) || THOUSANDS.is_match(t) {
        return number_literal(&plain);
    }
    match t.to_ascii_lowercase().as_str() {
        "true" | "yes" => return "true".into(),
        "false" | "no" => return "false".into(),
        _ => {}
    }
    let unquoted = t.trim_matches('"').trim_matches('\'');
    format!("'{}'", unquoted.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Numbers compare as doubles so that an integer payload field and a fractional bound compare.
fn number_literal(s: &str) -> String {
    if s.contains('.') {
        s.to_string()
    } else {
        format!("{s}.0")
    }
}

/// The JSON value of an outcome cell.
pub fn outcome_value(text: &str) -> Value {
    let t = text.trim();
    if NUMBER.is_match(t) {
        if let Ok(i) = t.parse::<i64>() {
            return Value::from(i);
        }
        if let Ok(f) = t.parse::<f64>() {
            return Value::from(f);
        }
    }
    match t.to_ascii_lowercase().as_str() {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::String(t.to_string()),
    }
}

/// Whether a cell means "any value".
pub fn is_any(text: &str) -> bool {
    matches!(
        text.trim().to_ascii_lowercase().as_str(),
        "" | "*" | "-" | "any" | "n/a" | "—" | "–"
    )
}

/// Whether a cell's shape only makes sense as a condition (used to infer the split).
pub fn looks_like_condition(text: &str) -> bool {
    let t = text.trim();
    t == "*"
        || t == "-"
        || t.eq_ignore_ascii_case("any")
        || CMP.is_match(t)
        || RANGE.is_match(t)
        || t.to_ascii_lowercase().starts_with("not ")
        || list_items(t).is_some()
}

/// The alternatives of a list cell, in the two documented list syntaxes: items separated by `|`
/// (`Machine complete | Monitor only`), or by commas when every item is one word or number
/// (`EU, UK`, `10, 20`). Anything else with commas (a sentence, `1,000`) is one value.
fn list_items(t: &str) -> Option<Vec<&str>> {
    let items = |sep: char| -> Vec<&str> {
        t.split(sep)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    };
    if t.contains('|') {
        let v = items('|');
        return (v.len() >= 2).then_some(v);
    }
    if !t.contains(',') || THOUSANDS.is_match(t) {
        return None;
    }
    let v = items(',');
    (v.len() >= 2 && v.iter().all(|i| !i.contains(char::is_whitespace))).then_some(v)
}

/// The CEL test of `var` against one cell; `None` means any value.
pub fn condition(var: &str, bound: Bound, cell: &str) -> Option<String> {
    let t = cell.trim();
    if is_any(t) {
        return None;
    }
    if let Some(rest) = t
        .strip_prefix("not ")
        .or_else(|| t.strip_prefix("NOT "))
        .or_else(|| t.strip_prefix("Not "))
    {
        return Some(match condition(var, Bound::Eq, rest) {
            Some(c) => format!("!({c})"),
            None => "false".into(),
        });
    }
    if let Some(c) = CMP.captures(t) {
        let op = match &c["op"] {
            "=" | "==" => "==",
            "<>" | "≠" | "!=" => "!=",
            "≤" => "<=",
            "≥" => ">=",
            o => o,
        };
        return Some(format!("{var} {op} {}", literal(&c["v"])));
    }
    if let Some(c) = RANGE.captures(t) {
        let (lo, hi, lo_op, hi_op) = match (c.name("lo"), c.name("hi")) {
            (Some(lo), Some(hi)) => (
                lo.as_str(),
                hi.as_str(),
                if &c["lo_b"] == "[" { ">=" } else { ">" },
                if &c["hi_b"] == "]" { "<=" } else { "<" },
            ),
            _ => (
                c.name("a").map_or("", |m| m.as_str()),
                c.name("b").map_or("", |m| m.as_str()),
                ">=",
                "<=",
            ),
        };
        return Some(format!(
            "{var} {lo_op} {} && {var} {hi_op} {}",
            number_literal(lo),
            number_literal(hi)
        ));
    }
    if let Some(items) = list_items(t) {
        let items: Vec<String> = items.into_iter().map(literal).collect();
        return Some(format!("{var} in [{}]", items.join(", ")));
    }
    let lit = literal(t);
    let numeric = !lit.starts_with('\'') && lit != "true" && lit != "false";
    Some(match bound {
        Bound::Max if numeric => format!("{var} <= {lit}"),
        Bound::Min if numeric => format!("{var} >= {lit}"),
        _ => format!("{var} == {lit}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use claw_language::expr::compile;
    use serde_json::json;

    fn holds(cond: &str, scope: Value) -> bool {
        compile(cond)
            .unwrap_or_else(|e| panic!("{cond}: {e:?}"))
            .eval_bool(&scope)
            .unwrap_or_else(|e| panic!("{cond}: {e:?}"))
    }

    #[test]
    fn cells_become_cel_that_evaluates_as_meant() {
        let c = condition("amount", Bound::Eq, "<= 30").unwrap();
        assert_eq!(c, "amount <= 30.0");
        assert!(holds(&c, json!({"amount": 30})));
        assert!(!holds(&c, json!({"amount": 30.5})));
        let c = condition("amount", Bound::Eq, "10-20").unwrap();
        assert!(
            holds(&c, json!({"amount": 10}))
                && holds(&c, json!({"amount": 20}))
                && !holds(&c, json!({"amount": 21}))
        );
        let c = condition("amount", Bound::Eq, "(10..20]").unwrap();
        assert!(!holds(&c, json!({"amount": 10})) && holds(&c, json!({"amount": 20})));
        let c = condition("region", Bound::Eq, "EU, UK").unwrap();
        assert_eq!(c, "region in ['EU', 'UK']");
        assert!(holds(&c, json!({"region": "UK"})) && !holds(&c, json!({"region": "US"})));
        let c = condition("weight", Bound::Max, "30").unwrap();
        assert!(holds(&c, json!({"weight": 12.5})) && !holds(&c, json!({"weight": 31})));
        let c = condition("tier", Bound::Eq, "not gold").unwrap();
        assert!(holds(&c, json!({"tier": "silver"})) && !holds(&c, json!({"tier": "gold"})));
        let c = condition("name", Bound::Eq, "O'Brien").unwrap();
        assert!(holds(&c, json!({"name": "O'Brien"})));
        let c = condition("total", Bound::Eq, "> 1,000").unwrap();
        assert!(holds(&c, json!({"total": 1001})));
        let c = condition(
            "kit",
            Bound::Eq,
            "Machine complete, with ventilator, monitor",
        )
        .unwrap();
        assert_eq!(c, "kit == 'Machine complete, with ventilator, monitor'");
        assert!(!holds(&c, json!({"kit": "monitor"})));
        let c = condition("kit", Bound::Eq, "Machine complete | monitor").unwrap();
        assert!(holds(&c, json!({"kit": "monitor"})) && !holds(&c, json!({"kit": "Machine"})));
        assert!(!looks_like_condition("Call Jane, then Bob"));
        assert_eq!(condition("x", Bound::Eq, "*"), None);
        assert_eq!(condition("x", Bound::Eq, ""), None);
    }

    #[test]
    fn headers() {
        assert_eq!(header_variable("max weight"), ("weight".into(), Bound::Max));
        assert_eq!(
            header_variable("IF Order total"),
            ("order_total".into(), Bound::Eq)
        );
        assert_eq!(
            header_variable("Amount (min)"),
            ("amount".into(), Bound::Min)
        );
        assert_eq!(header_variable("in"), ("in_value".into(), Bound::Eq));
    }
}
