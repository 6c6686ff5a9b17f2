//! The `table.*` operations: a `data.state` store used as a table of records (what a Zapier
//! Table becomes). Each entry is a record: its key the record id, its value the map of the
//! record's fields. Pure, like the `state.*` operations beside it ([`super::state`]), and
//! applied through the same exactly-once transaction.

use super::state::{Applied, StateError, StateOp};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// A cell as text, for comparisons: text as it is, other values as JSON.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Record ids in table order: numeric ids by number, then the others by text.
fn ordered(current: &BTreeMap<String, Value>) -> Vec<(&String, &Value)> {
    let mut v: Vec<(&String, &Value)> = current.iter().collect();
    v.sort_by_key(|(k, _)| (k.parse::<u64>().unwrap_or(u64::MAX), (*k).clone()));
    v
}

fn record(id: &str, data: &Value) -> Value {
    json!({"id": id, "data": data})
}

/// Computes a `table.*` operation over the store's records (all of them for `find` and
/// `create`, the one named for `update`).
pub(super) fn apply(
    op: &StateOp,
    current: &BTreeMap<String, Value>,
) -> Result<Applied, StateError> {
    match op {
        StateOp::Find { field, values } => {
            let wanted: Vec<String> = values.iter().map(text).collect();
            let records: Vec<Value> = ordered(current)
                .into_iter()
                .filter(|(_, data)| {
                    data.get(field)
                        .is_some_and(|v| wanted.iter().any(|w| *w == text(v)))
                })
                .map(|(id, data)| record(id, data))
                .collect();
            let first = records.first().cloned();
            // A miss gives every field the table's records have, empty: later steps that read
            // a field of the found record render "" as in Zapier ("success on miss"), not fail.
            let empty: Map<String, Value> = current
                .values()
                .filter_map(Value::as_object)
                .flat_map(|m| m.keys().cloned())
                .map(|k| (k, Value::String(String::new())))
                .collect();
            Ok(Applied {
                writes: Vec::new(),
                output: json!({
                    "found": first.is_some(),
                    "count": records.len(),
                    "id": first.as_ref().map_or(Value::Null, |r| r["id"].clone()),
                    "data": first.as_ref().map_or(Value::Object(empty), |r| r["data"].clone()),
                    "results": records,
                }),
            })
        }
        StateOp::Create { data } => {
            let next = current
                .keys()
                .filter_map(|k| k.parse::<u64>().ok())
                .max()
                .map_or(1, |n| n + 1)
                .to_string();
            let data = Value::Object(data.clone());
            Ok(Applied {
                writes: vec![(next.clone(), Some(data.clone()))],
                output: record(&next, &data),
            })
        }
        StateOp::Update { id, data } => {
            let Some(Value::Object(old)) = current.get(id) else {
                return Err(StateError::NoRecord { id: id.clone() });
            };
            let mut merged: Map<String, Value> = old.clone();
            merged.extend(data.clone());
            let merged = Value::Object(merged);
            Ok(Applied {
                writes: vec![(id.clone(), Some(merged.clone()))],
                output: record(id, &merged),
            })
        }
        _ => super::state::apply(op, current),
    }
}

#[cfg(test)]
mod tests {
    use super::apply;
    use crate::store::state::StateOp;
    use serde_json::{Map, Value, json};
    use std::collections::BTreeMap;

    fn fields(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn create_find_update() {
        let mut t = BTreeMap::new();
        let c = apply(
            &StateOp::Create {
                data: fields(json!({"email": "a@x.org"})),
            },
            &t,
        )
        .unwrap();
        assert_eq!(c.output["id"], json!("1"));
        t.insert("1".to_string(), json!({"email": "a@x.org", "page": "p1"}));
        t.insert("10".to_string(), json!({"email": "b@x.org", "page": 7}));
        t.insert("2".to_string(), json!({"email": "a@x.org", "page": "p2"}));
        let next = apply(&StateOp::Create { data: Map::new() }, &t).unwrap();
        assert_eq!(next.output["id"], json!("11"));
        let find = StateOp::Find {
            field: "email".into(),
            values: vec![json!("a@x.org"), json!("c@x.org")],
        };
        let f = apply(&find, &t).unwrap();
        assert_eq!(f.output["count"], json!(2));
        assert_eq!(f.output["id"], json!("1"));
        assert_eq!(f.output["results"][1]["data"]["page"], json!("p2"));
        let miss = StateOp::Find {
            field: "email".into(),
            values: vec![json!("z@x.org")],
        };
        let m = apply(&miss, &t).unwrap();
        assert_eq!(m.output["found"], json!(false));
        assert_eq!(m.output["data"], json!({"email": "", "page": ""}));
        let by_number = StateOp::Find {
            field: "page".into(),
            values: vec![json!("7")],
        };
        assert_eq!(apply(&by_number, &t).unwrap().output["id"], json!("10"));
        let u = StateOp::Update {
            id: "2".into(),
            data: fields(json!({"page": "p9"})),
        };
        let u = apply(&u, &t).unwrap();
        assert_eq!(u.output["data"], json!({"email": "a@x.org", "page": "p9"}));
        let missing = StateOp::Update {
            id: "99".into(),
            data: Map::new(),
        };
        assert!(apply(&missing, &t).is_err());
    }
}
