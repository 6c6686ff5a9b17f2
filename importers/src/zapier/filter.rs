//! `filter_criteria` → one CEL condition, exactly: criteria sharing a `group` are AND'd, groups
//! are OR'd, and a criterion with `action: stop` passes when its match does *not* hold.
//! A criterion we cannot translate (unknown operator, dangling field, bad literal) becomes
//! `false`: it fails closed, never silently passes.

use super::refs::cel_string;
use serde_json::Value;

/// The field a filter criterion reads, as a CEL path (with what a presence test needs).
#[derive(Debug, Clone)]
pub struct FieldRef {
    /// Full expression (`steps.find.output.count`).
    pub expr: String,
    /// The container of the last key and that key, for presence tests (`'count' in steps.find.output`).
    pub parent: String,
    /// Last key.
    pub last: String,
}

/// Something the translation could not do exactly; the importer turns these into findings.
#[derive(Debug, Clone, PartialEq)]
pub enum Issue {
    /// A `match` key nobody has documented: the criterion fails closed.
    UnknownOperator(String),
    /// A `match` key not seen in real exports, read by its name.
    InferredOperator {
        /// The key.
        key: String,
        /// How it was read.
        reading: String,
    },
    /// The field could not be resolved (dangling or untranslatable reference).
    BadOperand(String),
    /// A literal value the operator cannot use (`igreater` with "abc").
    BadValue {
        /// The operator key as written in the export.
        op: String,
        /// The literal value it was given.
        value: String,
    },
    /// A value that is itself a reference is compared case-sensitively.
    DynamicCase(String),
    /// `iexact` read as case-insensitive (the help centre says "Exactly matches" is case-sensitive).
    ExactCase,
    /// A criterion with no `match` and no key outside Fallback/Always-run paths.
    Empty,
}

/// The value a field is compared with: literal text from the filter, or an expression built
/// from a reference.
#[derive(Debug, Clone)]
pub enum CompareValue {
    /// Literal text.
    Lit(String),
    /// An expression giving the value.
    Expr(String),
}

/// What a Zapier filter operator compares (its `match` key, without the `i` and `not` parts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Contains,
    Exact,
    Starts,
    Ends,
    In,
    Greater,
    Less,
    NumEq,
    After,
    Before,
    DateEq,
    True,
    False,
    Exists,
}

fn lookup(n: &str) -> Option<Comparison> {
    Some(match n {
        "contains" | "contain" => Comparison::Contains,
        "exact" | "exactly" | "exactlymatches" | "matches" => Comparison::Exact,
        "startswith" | "starts" | "startwith" | "start" => Comparison::Starts,
        "endswith" | "ends" | "endwith" | "end" => Comparison::Ends,
        "in" | "isin" | "oneof" => Comparison::In,
        "greater" | "greaterthan" | "gt" | "numbergreater" | "numbergreaterthan" => {
            Comparison::Greater
        }
        "less" | "lessthan" | "lt" | "numberless" | "numberlessthan" => Comparison::Less,
        "numberequal" | "numberequals" | "numeq" | "eq" | "equal" | "equals" => Comparison::NumEq,
        "after" | "dateafter" | "datetimeafter" | "dtafter" => Comparison::After,
        "before" | "datebefore" | "datetimebefore" | "dtbefore" => Comparison::Before,
        "dateequal" | "dateequals" | "datetimeequal" | "dtequal" | "dateeq" => Comparison::DateEq,
        "boolean" | "true" | "istrue" | "booleantrue" | "bool" => Comparison::True,
        "false" | "isfalse" | "booleanfalse" => Comparison::False,
        "exist" | "exists" => Comparison::Exists,
        _ => return None,
    })
}

/// Reads a `match` key: the operator, whether it is case-insensitive, and whether it is negated.
fn operator(key: &str) -> Option<(Comparison, bool, bool)> {
    let n: String = key
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let try_one = |s: &str| -> Option<(Comparison, bool)> {
        if let Some(op) = lookup(s) {
            return Some((op, false));
        }
        s.strip_prefix('i').and_then(lookup).map(|op| (op, true))
    };
    if let Some((op, ci)) = try_one(&n) {
        return Some((op, ci, false));
    }
    let body = n.strip_prefix('i').unwrap_or(&n);
    let ci_outer = body.len() != n.len();
    for neg in ["doesnot", "isnot", "not"] {
        if let Some((op, ci)) = body.strip_prefix(neg).and_then(try_one) {
            return Some((op, ci || ci_outer, true));
        }
    }
    None
}

/// Keys seen in real exports (no assumption to report).
const SEEN: &[&str] = &[
    "icontains",
    "iexact",
    "iexist",
    "igreater",
    "iless",
    "boolean",
];

fn describe(op: Comparison, ci: bool, neg: bool) -> String {
    let base = match op {
        Comparison::Contains => "text contains",
        Comparison::Exact => "text exactly matches",
        Comparison::Starts => "text starts with",
        Comparison::Ends => "text ends with",
        Comparison::In => "text is in (comma-separated list)",
        Comparison::Greater => "number greater than",
        Comparison::Less => "number less than",
        Comparison::NumEq => "number equals",
        Comparison::After => "date/time after",
        Comparison::Before => "date/time before",
        Comparison::DateEq => "date/time equals",
        Comparison::True => "boolean is true",
        Comparison::False => "boolean is false",
        Comparison::Exists => "exists",
    };
    format!(
        "{}{base}{}",
        if neg { "not: " } else { "" },
        if ci { " (case-insensitive)" } else { "" }
    )
}

/// One criterion's match (before `action: stop` negation).
fn criterion(m: &str, operand: &FieldRef, value: &CompareValue, issues: &mut Vec<Issue>) -> String {
    let Some((op, ci, neg)) = operator(m) else {
        issues.push(Issue::UnknownOperator(m.to_string()));
        return "false".into();
    };
    if !SEEN.contains(&m) {
        issues.push(Issue::InferredOperator {
            key: m.to_string(),
            reading: describe(op, ci, neg),
        });
    }
    if m == "iexact" {
        issues.push(Issue::ExactCase);
    }
    let out = match value {
        CompareValue::Lit(v) => literal_test(m, op, ci, operand, v, issues),
        CompareValue::Expr(e) => expression_test(m, op, ci, operand, e, issues),
    };
    if neg { format!("!({out})") } else { out }
}

/// The test of a field against a literal value `v` (operator text `m`, read as `op`,
/// case-insensitive when `ci`); `false` with an issue when `v` does not fit the operator.
fn literal_test(
    m: &str,
    op: Comparison,
    ci: bool,
    operand: &FieldRef,
    v: &str,
    issues: &mut Vec<Issue>,
) -> String {
    let k = &operand.expr;
    let s = format!("string({k})");
    let text_re =
        |pattern: String| format!("{s}.matches({})", cel_string(&format!("(?i){pattern}")));
    let bad = |issues: &mut Vec<Issue>, v: &str| {
        issues.push(Issue::BadValue {
            op: m.to_string(),
            value: v.to_string(),
        });
        "false".to_string()
    };
    match op {
        Comparison::Contains if ci => text_re(regex::escape(v)),
        Comparison::Contains => format!("{s}.contains({})", cel_string(v)),
        Comparison::Exact if ci => text_re(format!("^{}$", regex::escape(v))),
        Comparison::Exact => format!("{s} == {}", cel_string(v)),
        Comparison::Starts if ci => text_re(format!("^{}", regex::escape(v))),
        Comparison::Starts => format!("{s}.startsWith({})", cel_string(v)),
        Comparison::Ends if ci => text_re(format!("{}$", regex::escape(v))),
        Comparison::Ends => format!("{s}.endsWith({})", cel_string(v)),
        Comparison::In => {
            let alts: Vec<String> = v.split(',').map(|x| regex::escape(x.trim())).collect();
            let pat = format!("^({})$", alts.join("|"));
            if ci {
                text_re(pat)
            } else {
                format!("{s}.matches({})", cel_string(&pat))
            }
        }
        Comparison::Greater | Comparison::Less | Comparison::NumEq => {
            match v.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => format!("double({k}) {} {n:?}", cmp(op)),
                _ => bad(issues, v),
            }
        }
        Comparison::After | Comparison::Before | Comparison::DateEq => {
            if chrono::DateTime::parse_from_rfc3339(v.trim()).is_ok() {
                format!(
                    "timestamp({s}) {} timestamp({})",
                    cmp(op),
                    cel_string(v.trim())
                )
            } else {
                bad(issues, v)
            }
        }
        Comparison::True | Comparison::False | Comparison::Exists => value_free_test(op, operand),
    }
}

/// The test of a field against a `{{ }}` expression `e` (operator text `m`, read as `op`);
/// case-insensitivity cannot be kept (an issue says so), and `in` needs a literal list.
fn expression_test(
    m: &str,
    op: Comparison,
    ci: bool,
    operand: &FieldRef,
    e: &str,
    issues: &mut Vec<Issue>,
) -> String {
    let k = &operand.expr;
    let s = format!("string({k})");
    match op {
        Comparison::Contains | Comparison::Exact | Comparison::Starts | Comparison::Ends => {
            if ci {
                issues.push(Issue::DynamicCase(m.to_string()));
            }
            let f = match op {
                Comparison::Contains => "contains",
                Comparison::Starts => "startsWith",
                Comparison::Ends => "endsWith",
                _ => "",
            };
            if f.is_empty() {
                format!("{s} == string({e})")
            } else {
                format!("{s}.{f}(string({e}))")
            }
        }
        Comparison::Greater | Comparison::Less | Comparison::NumEq => {
            format!("double({k}) {} double({e})", cmp(op))
        }
        Comparison::After | Comparison::Before | Comparison::DateEq => {
            format!("timestamp({s}) {} timestamp(string({e}))", cmp(op))
        }
        Comparison::In => {
            issues.push(Issue::BadValue {
                op: m.to_string(),
                value: format!("{{{{ {e} }}}}"),
            });
            "false".into()
        }
        Comparison::True | Comparison::False | Comparison::Exists => value_free_test(op, operand),
    }
}

/// The tests that ignore the value: boolean true, boolean false, and (for any other `op`,
/// which callers never pass) exists.
fn value_free_test(op: Comparison, operand: &FieldRef) -> String {
    let s = format!("string({})", operand.expr);
    match op {
        Comparison::True => format!("{s}.matches('(?i)^(true|yes|1)$')"),
        Comparison::False => format!("{s}.matches('(?i)^(false|no|0)$')"),
        _ => format!("{} in {}", cel_string(&operand.last), operand.parent),
    }
}

fn cmp(op: Comparison) -> &'static str {
    match op {
        Comparison::Greater | Comparison::After => ">",
        Comparison::Less | Comparison::Before => "<",
        _ => "==",
    }
}

/// One criterion as read from the export.
#[derive(Debug, Clone)]
pub struct Criterion {
    /// Group id (criteria sharing it are AND'd).
    pub group: String,
    /// Field reference text.
    pub key: String,
    /// Compared value.
    pub value: String,
    /// Operator key (absent in Fallback/Always-run placeholders).
    pub matcher: Option<String>,
    /// `continue` or `stop`.
    pub stop: bool,
}

/// Reads `filter_criteria`.
pub fn criteria(v: Option<&Value>) -> Vec<Criterion> {
    let Some(Value::Array(items)) = v else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(Value::as_object)
        .map(|c| {
            let text = |k: &str| match c.get(k) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            Criterion {
                group: text("group"),
                key: text("key"),
                value: text("value"),
                matcher: c.get("match").and_then(Value::as_str).map(str::to_string),
                stop: c.get("action").and_then(Value::as_str) == Some("stop"),
            }
        })
        .collect()
}

/// Whether a criterion is an empty placeholder (Fallback / Always run paths).
pub fn is_placeholder(c: &Criterion) -> bool {
    c.matcher.is_none() && c.key.trim().is_empty()
}

/// Translates a filter. `resolve_key` turns a criterion key into an operand and `resolve_value`
/// a value into a literal or expression (both report what they could not do).
pub fn condition(
    crits: &[Criterion],
    resolve_key: &mut dyn FnMut(&str) -> Result<FieldRef, Issue>,
    resolve_value: &mut dyn FnMut(&str) -> Result<CompareValue, Issue>,
    issues: &mut Vec<Issue>,
) -> String {
    if crits.is_empty() {
        issues.push(Issue::Empty);
        return "false".into();
    }
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for c in crits {
        let expr = match (&c.matcher, resolve_key(&c.key)) {
            (None, _) => {
                issues.push(Issue::Empty);
                "false".to_string()
            }
            (Some(_), Err(e)) => {
                issues.push(e);
                "false".to_string()
            }
            (Some(m), Ok(operand)) => match resolve_value(&c.value) {
                Err(e) => {
                    issues.push(e);
                    "false".to_string()
                }
                Ok(value) => {
                    let e = criterion(m, &operand, &value, issues);
                    // An untranslatable match fails closed whatever the action says.
                    if c.stop && e != "false" {
                        format!("!({e})")
                    } else {
                        e
                    }
                }
            },
        };
        match groups.iter_mut().find(|(g, _)| *g == c.group) {
            Some((_, v)) => v.push(expr),
            None => groups.push((c.group.clone(), vec![expr])),
        }
    }
    let ors: Vec<String> = groups
        .into_iter()
        .map(|(_, ands)| {
            if ands.len() == 1 {
                ands.into_iter().next().unwrap_or_default()
            } else {
                ands.iter()
                    .map(|a| format!("({a})"))
                    .collect::<Vec<_>>()
                    .join(" && ")
            }
        })
        .collect();
    if ors.len() == 1 {
        ors.into_iter().next().unwrap_or_else(|| "false".into())
    } else {
        ors.iter()
            .map(|o| format!("({o})"))
            .collect::<Vec<_>>()
            .join(" || ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names() {
        assert_eq!(
            operator("icontains"),
            Some((Comparison::Contains, true, false))
        );
        assert_eq!(operator("iexist"), Some((Comparison::Exists, true, false)));
        assert_eq!(
            operator("does_not_contain"),
            Some((Comparison::Contains, false, true))
        );
        assert_eq!(
            operator("inot_exist"),
            Some((Comparison::Exists, true, true))
        );
        assert_eq!(operator("in"), Some((Comparison::In, false, false)));
        assert_eq!(operator("iin"), Some((Comparison::In, true, false)));
        assert_eq!(operator("wobble"), None);
    }
}
