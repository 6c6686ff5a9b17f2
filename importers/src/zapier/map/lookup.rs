//! Lookup Table by Zapier steps (`LookupTableCLIAPI`) → a `data.tables` table holding the
//! lookup's rows, and a pure `format.value` step that reads it.
//!
//! The table is `<step>_lookup` with the rows `{key, value}` in the export's order; the step's
//! value is an exact (case-sensitive) match of the lookup key against the `key` column, else
//! the fallback, as Zapier's lookup does; an empty key gives an empty output (Zapier uses the
//! fallback only for a value that matches no row). Its output is `{output: …}`, the shape Zapier gives
//! (`{{N__output}}`). No export with a Lookup Table step has been seen
//! (../shared/reference/zapier-export-format.md §5): the params are read by the names of the
//! Formatter's lookup transform (`table`, `fallback`, the key in `inputs`) and the app's own
//! (`lookup_key`, `lookup_table`, `fallback_value`). A table whose keys or values are
//! references (not static data) keeps the step `unported.*` with a finding.

use super::Mapper;
use crate::findings::Finding;
use crate::zapier::codes;
use crate::zapier::model::Node;
use claw_language::Execution;
use claw_language::model::Table;
use indexmap::IndexMap;
use serde_json::{Map, Value};

const KEY_PARAMS: &[&str] = &["lookup_key", "key", "inputs", "input"];
const TABLE_PARAMS: &[&str] = &["table", "lookup_table", "rows"];
const FALLBACK_PARAMS: &[&str] = &["fallback", "fallback_value", "default"];

/// The first of `names` that `params` has.
fn first<'p>(params: &'p Map<String, Value>, names: &[&str]) -> Option<&'p Value> {
    names.iter().find_map(|k| params.get(*k))
}

/// A cell as text (Zapier's lookup table holds text).
fn cell(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.contains("{{") => Some(s.clone()),
        Value::Number(_) | Value::Bool(_) => Some(v.to_string()),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

/// The table's (key, value) pairs: a map, a list of `{key, value}` rows, or a list of pairs.
/// `None` when it is none of those, or holds references.
fn pairs(table: &Value) -> Option<Vec<(String, String)>> {
    match table {
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| {
                (!k.contains("{{"))
                    .then_some(())
                    .and(cell(v).map(|v| (k.clone(), v)))
            })
            .collect(),
        Value::Array(rows) => rows
            .iter()
            .map(|r| match r {
                Value::Object(o) => Some((cell(o.get("key")?)?, cell(o.get("value")?)?)),
                Value::Array(p) if p.len() == 2 => Some((cell(&p[0])?, cell(&p[1])?)),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

impl Mapper<'_> {
    /// Maps the Lookup Table step at node `i` into `x` and its table into the mapper's tables.
    /// False when it stays unported (the finding is noted and `x.action` set).
    pub(super) fn lookup_table(&mut self, i: usize, n: &Node, x: &mut Execution) -> bool {
        let name = self.names[i].clone();
        let params = n.params.clone().unwrap_or_default();
        let rows = first(&params, TABLE_PARAMS).and_then(pairs);
        let Some(rows) = rows.filter(|r| !r.is_empty()) else {
            let why = "the export has no static table (`table` as a map or rows of key and value, without references)";
            self.keep_unported(i, n, x, "Lookup Table", why);
            return false;
        };
        let table = format!("{name}_lookup");
        let key = first(&params, KEY_PARAMS).cloned().unwrap_or(Value::Null);
        let key = self.arg(i, &key, false);
        let fallback = first(&params, FALLBACK_PARAMS)
            .cloned()
            .unwrap_or(Value::String(String::new()));
        let fallback = self.arg(i, &fallback, false);
        let matched = format!("{table}.filter(r, r.key == string({key}))");
        x.action = "format.value".into();
        // An empty key gives nothing, not the fallback: Zapier uses the fallback only for a
        // value that matches no row.
        x.with.insert(
            "value".into(),
            Value::String(format!(
                "{{{{ string({key}) == '' ? '' : (size({matched}) > 0 ? {matched}[0].value : {fallback}) }}}}"
            )),
        );
        let count = rows.len();
        self.tables.push(Table {
            name: table.clone(),
            description: Some(format!("Lookup Table by Zapier rows of step `{name}`")),
            source: None,
            key: Some("key".into()),
            rows: rows
                .into_iter()
                .map(|(k, v)| {
                    let mut row = IndexMap::new();
                    row.insert("key".to_string(), Value::String(k));
                    row.insert("value".to_string(), Value::String(v));
                    row
                })
                .collect(),
        });
        self.note(
            Finding::info(
                codes::LOOKUP_TABLE_MAPPED.id,
                format!(
                    "Lookup Table step `{name}` became `format.value` reading the table `{table}` ({count} rows, under data.tables): exact match on the key, else the fallback (an empty key gives an empty output)"
                ),
                self.origin(Some(i)),
            )
            .at_path(format!("/execution/{name}"))
            .with_help(codes::LOOKUP_TABLE_MAPPED.fix),
        );
        true
    }
}

#[cfg(test)]
mod tests {
    use super::pairs;
    use serde_json::json;

    #[test]
    fn tables_in_each_shape() {
        let want = Some(vec![("a".into(), "1".into()), ("b".into(), "x".into())]);
        assert_eq!(pairs(&json!({"a": "1", "b": "x"})), want);
        assert_eq!(
            pairs(&json!([{"key": "a", "value": 1}, {"key": "b", "value": "x"}])),
            want
        );
        assert_eq!(pairs(&json!([["a", "1"], ["b", "x"]])), want);
        assert_eq!(pairs(&json!({"a": "{{1__x}}"})), None);
        assert_eq!(pairs(&json!("a,b")), None);
    }
}
