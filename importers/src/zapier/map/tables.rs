//! Zapier Tables steps (`TableCLIAPI`: `find_record`, `create_record`, `update_record`) →
//! `table.*` steps on a `data.state` store standing for the table.
//!
//! A Zapier Table's records are not in the export: the store starts empty and the rows are
//! loaded with `claw table load SYSTEM TABLE rows.csv` (one `claw::import::table_rows_missing`
//! finding per table says so). Records keep Zapier's field ids as their keys (`f3` for the
//! param `field_data_key: data__f3`; the field's name, from `meta.parammap`, is in the
//! finding), so later steps' references to `data.f3` still read the same field. `find_record`
//! reads `field_data_key`, `lookup_value` and `operator` (`in`: any of the listed values;
//! `exact` or none: the one value); another operator keeps the step `unported.*`.
//! `create_record` and `update_record` have not been seen in an export: their fields are read
//! from `data__<field id>` params, the record from `record_id` or `id`.

use super::{Mapper, plain};
use crate::findings::Finding;
use crate::zapier::codes;
use crate::zapier::model::Node;
use claw_language::{Execution, System};
use serde_json::{Map, Value};

/// The prefix of every store standing for a Zapier Table.
const TABLE_PREFIX: &str = "zapier_table";

/// The store a Zapier Table becomes: named from its id (stable, not secret; Zapier's ids are
/// ULIDs, letters and digits).
fn store_name(table_id: &str) -> String {
    let s: String = table_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if s.is_empty() {
        TABLE_PREFIX.to_string()
    } else {
        format!("{TABLE_PREFIX}_{s}")
    }
}

/// A field id from a `data__f3`-style key.
fn field_id(key: &str) -> &str {
    key.strip_prefix("data__").unwrap_or(key)
}

impl Mapper<'_> {
    /// Maps the Zapier Tables step at node `i` into `x`. False when it stays unported (the
    /// finding is noted and `x.action` set).
    pub(super) fn zapier_table(&mut self, i: usize, n: &Node, x: &mut Execution) -> bool {
        let name = self.names[i].clone();
        let params = n.params.clone().unwrap_or_default();
        let table_id = params.get("table_id").map(plain).unwrap_or_default();
        let parammap = n.meta("parammap").and_then(Value::as_object);
        let title = parammap
            .and_then(|m| m.get("table_id"))
            .map(plain)
            .unwrap_or_default();
        let store = store_name(&table_id);
        let op = match n.action() {
            "find_record" | "find_records" => self.find_record(i, &params, x),
            "create_record" => Ok(("create", record_data(&params, x))),
            "update_record" => {
                let id = params.get("record_id").or_else(|| params.get("id"));
                if let Some(id) = id {
                    x.with
                        .insert("id".into(), self.rewrite(id, i, "table", "id"));
                }
                Ok(("update", record_data(&params, x)))
            }
            other => Err(format!("the action `{other}` has no `table.*` equivalent")),
        };
        let op = match op {
            Ok((op, ())) => op,
            Err(why) => {
                x.with.clear();
                self.keep_unported(i, n, x, "Zapier Tables", &why);
                return false;
            }
        };
        // `data` holds the raw params until here: rewrite their references now.
        if let Some(Value::Object(d)) = x.with.get("data").cloned() {
            let rewritten: Map<String, Value> = d
                .iter()
                .map(|(k, v)| (k.clone(), self.rewrite(v, i, "table", k)))
                .collect();
            x.with.insert("data".into(), Value::Object(rewritten));
        }
        x.action = format!("table.{op}");
        x.with
            .shift_insert(0, "table".into(), Value::String(store.clone()));
        let field = parammap
            .and_then(|m| m.get("field_data_key"))
            .map(plain)
            .map(|f| {
                format!(
                    "; the searched field `{}` is `{f}`",
                    x.with.get("field").map(plain).unwrap_or_default()
                )
            })
            .unwrap_or_default();
        self.note(
            Finding::warning(
                codes::TABLE_ROWS_MISSING.id,
                format!(
                    "Zapier Tables step `{name}` became `{}` on the store `{store}` standing for the table `{table_id}` {title:?}: its records are not in the export; load them with `claw table load {} {store} rows.csv` (a header row of Zapier's field ids, f1, f2, …, and an optional `id` column){field}",
                    x.action, self.system
                ),
                self.origin(Some(i)),
            )
            .at_path(format!("/execution/{name}"))
            .with_help(codes::TABLE_ROWS_MISSING.fix),
        );
        true
    }

    /// `find_record`: the field, the value(s) and the operator.
    fn find_record(
        &mut self,
        i: usize,
        params: &Map<String, Value>,
        x: &mut Execution,
    ) -> Result<(&'static str, ()), String> {
        let operator = params.get("operator").map(plain).unwrap_or_default();
        if !matches!(operator.as_str(), "" | "in" | "exact" | "equals" | "is") {
            return Err(format!(
                "the search operator `{operator}` has no `table.find` equivalent (exact match only)"
            ));
        }
        let Some(field) = params.get("field_data_key").map(plain) else {
            return Err("the export names no searched field (`field_data_key`)".into());
        };
        x.with
            .insert("field".into(), Value::String(field_id(&field).to_string()));
        let value = params.get("lookup_value").cloned().unwrap_or(Value::Null);
        x.with
            .insert("value".into(), self.rewrite(&value, i, "table", "value"));
        Ok(("find", ()))
    }
}

/// A record's fields from `data__<field id>` params, under `with.data` (references are
/// rewritten by the caller).
fn record_data(params: &Map<String, Value>, x: &mut Execution) {
    let data: Map<String, Value> = params
        .iter()
        .filter(|(k, _)| k.starts_with("data__"))
        .map(|(k, v)| (field_id(k).to_string(), v.clone()))
        .collect();
    x.with.insert("data".into(), Value::Object(data));
}

/// Declares, under `data.state`, every Zapier Table store the system's `table.*` steps name.
pub(super) fn declare_tables(sys: &mut System) {
    super::builtin::declare_state(
        sys,
        ("table", "table", TABLE_PREFIX),
        "Zapier Table records (load them with `claw table load`)",
        None,
    );
}

#[cfg(test)]
mod tests {
    use super::{field_id, store_name};

    #[test]
    fn names() {
        assert_eq!(field_id("data__f3"), "f3");
        assert_eq!(
            store_name("01JYEPSEARXB2Z6BJRCMFGXBC2"),
            "zapier_table_01jyepsearxb2z6bjrcmfgxbc2"
        );
    }
}
