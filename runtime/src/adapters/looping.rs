//! `loop.items`: a pure step that builds the item list a `for_each` step loops over, the way
//! Looping by Zapier builds its iterations. It is what an imported Looping step becomes; the
//! steps after it carry `for_each: steps.<loop>.output.items`.
//!
//! Parameters (each optional except one source of items):
//! - `values`: a map of field name to a list, or to text split at `delimiter` (default `,`,
//!   how Zapier serialises line items). Iteration *i* gets each field's *i*-th value (empty
//!   text when a field's list is shorter), as "Create Loop From Line Items" / "From Text" do.
//! - `range`: `{start, end, increment}` (default increment 1), the numbers from `start` to
//!   `end` inclusive, as "Create Loop From Numbers" does; each item has the field `value`.
//! - `trim_whitespace` (default true), `iteration_start` (1-based, default 1) and
//!   `iteration_limit` (default and cap 500), as Zapier's fields of the same names.
//!
//! Every item also carries `loop_iteration` (1-based, counted from the first iteration kept)
//! and `loop_iteration_is_last`, the two fields Zapier adds. The output is
//! `{"items": [...], "count": n}`.

use super::{AdapterError, Call};
use claw_language::model::DEFAULT_MAX_ITEMS;
use serde_json::{Map, Value, json};

/// Builds the list from the already rendered parameters; no I/O.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoopAdapter;

#[async_trait::async_trait]
impl super::Adapter for LoopAdapter {
    async fn call(&self, call: &Call) -> Result<Value, AdapterError> {
        output(call)
    }
}

fn bad(call: &Call, what: impl std::fmt::Display) -> AdapterError {
    AdapterError::permanent(format!("{} in step `{}`: {what}", call.action, call.step))
}

/// A parameter read as a whole number: JSON numbers and numeric text (Zapier sends text).
fn int(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The output of a `loop.items` call (also used by the record-only stand-in: it is pure).
pub(crate) fn output(call: &Call) -> Result<Value, AdapterError> {
    if call.operation != "items" {
        return Err(bad(call, "the loop adapter has only the operation `items`"));
    }
    let p = &call.params;
    let trim = p
        .get("trim_whitespace")
        .map(|v| !matches!(v, Value::Bool(false)) && v != "false")
        .unwrap_or(true);
    let mut rows = match (p.get("values"), p.get("range")) {
        (Some(Value::Object(values)), _) => from_values(values, delimiter(p), trim),
        (_, Some(r)) => from_range(call, r)?,
        _ => return Err(bad(call, "needs `values` (a map) or `range`")),
    };
    let start = int(p.get("iteration_start")).unwrap_or(1).max(1) as usize;
    let cap = DEFAULT_MAX_ITEMS as usize;
    let limit = int(p.get("iteration_limit"))
        .map(|l| (l.max(0) as usize).min(cap))
        .unwrap_or(cap);
    rows = rows.into_iter().skip(start - 1).take(limit).collect();
    let n = rows.len();
    let items: Vec<Value> = rows
        .into_iter()
        .enumerate()
        .map(|(i, mut m)| {
            m.insert("loop_iteration".into(), json!(i + 1));
            m.insert("loop_iteration_is_last".into(), json!(i + 1 == n));
            Value::Object(m)
        })
        .collect();
    Ok(json!({"items": items, "count": n}))
}

fn delimiter(p: &Value) -> &str {
    p.get("delimiter")
        .and_then(Value::as_str)
        .filter(|d| !d.is_empty())
        .unwrap_or(",")
}

/// One row per iteration from field → values; a field's values are a list or delimited text.
fn from_values(values: &Map<String, Value>, delim: &str, trim: bool) -> Vec<Map<String, Value>> {
    let lists: Vec<(&String, Vec<Value>)> = values
        .iter()
        .map(|(k, v)| {
            let list = match v {
                Value::Array(a) => a.clone(),
                Value::String(s) if s.is_empty() => Vec::new(),
                Value::String(s) => s.split(delim).map(|x| json!(x)).collect(),
                Value::Null => Vec::new(),
                other => vec![other.clone()],
            };
            let list = list
                .into_iter()
                .map(|x| match x {
                    Value::String(s) if trim => Value::String(s.trim().to_string()),
                    x => x,
                })
                .collect();
            (k, list)
        })
        .collect();
    let n = lists.iter().map(|(_, l)| l.len()).max().unwrap_or(0);
    (0..n)
        .map(|i| {
            lists
                .iter()
                .map(|(k, l)| ((*k).clone(), l.get(i).cloned().unwrap_or(json!(""))))
                .collect()
        })
        .collect()
}

/// One row per number from `start` to `end` inclusive, by `increment`.
fn from_range(call: &Call, r: &Value) -> Result<Vec<Map<String, Value>>, AdapterError> {
    let (Some(start), Some(end)) = (int(r.get("start")), int(r.get("end"))) else {
        return Err(bad(call, "`range` needs whole numbers `start` and `end`"));
    };
    let step = int(r.get("increment")).unwrap_or(1);
    if step == 0 || (end - start).signum() * step.signum() < 0 {
        return Err(bad(
            call,
            format!("`range` from {start} to {end} never ends by {step}"),
        ));
    }
    let cap = DEFAULT_MAX_ITEMS as usize;
    let mut rows = Vec::new();
    let mut v = start;
    while (step > 0 && v <= end) || (step < 0 && v >= end) {
        if rows.len() == cap {
            break;
        }
        let mut m = Map::new();
        m.insert("value".into(), json!(v));
        rows.push(m);
        v += step;
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::output;
    use crate::adapters::Call;
    use serde_json::{Value, json};

    fn run(params: Value) -> Value {
        let call = Call {
            system: "s".into(),
            run_id: "r".into(),
            step: "l".into(),
            action: "loop.items".into(),
            operation: "items".into(),
            params,
            idempotency_key: "k".into(),
            timeout: std::time::Duration::from_secs(1),
        };
        output(&call).unwrap_or_else(|e| json!({"error": e.message}))
    }

    #[test]
    fn line_items_zip_fields_and_trim() {
        // Zapier "Create Loop From Line Items": iteration i takes each field's i-th value;
        // a shorter field gives empty text; trim_whitespace trims each value.
        let out = run(json!({"values": {"email": "a@x.io, b@x.io", "name": ["A"]}}));
        assert_eq!(out["count"], 2);
        assert_eq!(
            out["items"][0],
            json!({"email": "a@x.io", "name": "A", "loop_iteration": 1, "loop_iteration_is_last": false})
        );
        assert_eq!(
            out["items"][1],
            json!({"email": "b@x.io", "name": "", "loop_iteration": 2, "loop_iteration_is_last": true})
        );
    }

    #[test]
    fn start_and_limit_cut_the_list() {
        let out = run(
            json!({"values": {"n": "1,2,3,4,5"}, "iteration_start": "2", "iteration_limit": "2"}),
        );
        assert_eq!(out["count"], 2);
        assert_eq!(out["items"][0]["n"], "2");
        assert_eq!(out["items"][1]["n"], "3");
        assert_eq!(out["items"][0]["loop_iteration"], 1);
    }

    #[test]
    fn ranges_count_inclusively_and_cap_at_500() {
        let out = run(json!({"range": {"start": 1, "end": 5, "increment": 2}}));
        assert_eq!(out["items"].as_array().map(Vec::len), Some(3));
        assert_eq!(out["items"][2]["value"], 5);
        assert_eq!(
            run(json!({"range": {"start": 1, "end": 10000}}))["count"],
            500
        );
        assert!(
            run(json!({"range": {"start": 1, "end": 5, "increment": -1}}))["error"].is_string()
        );
    }

    #[test]
    fn text_splits_at_the_delimiter() {
        let out =
            run(json!({"values": {"word": "a|b"}, "delimiter": "|", "trim_whitespace": false}));
        assert_eq!(out["items"][1]["word"], "b");
    }
}
