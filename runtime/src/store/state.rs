//! State stores: the `state.*` operations over a system's declared `data.state` stores.
//!
//! An operation reads the entries it touches, computes their new values and its output here
//! (pure, so both SQL backends share one meaning), and the backend writes them in one
//! transaction together with the step's idempotency key and output. A repeat of the same key
//! (a retry, or a step re-driven after a crash) gets the remembered output and changes
//! nothing: an operation applies exactly once.

use crate::time::{Millis, UnixMillis};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// One `state.*` operation on one store.
#[derive(Debug, Clone, PartialEq)]
pub enum StateOp {
    /// `state.set`: stores `value` under `key`.
    Set {
        /// Entry key.
        key: String,
        /// New value.
        value: Value,
    },
    /// `state.get`: the value under `key`, else `default`.
    Get {
        /// Entry key.
        key: String,
        /// Output when the key is absent (null unless given).
        default: Value,
    },
    /// `state.increment`: adds `amount` to the number under `key` (absent counts as 0).
    Increment {
        /// Entry key.
        key: String,
        /// Amount to add (negative to decrement).
        amount: f64,
    },
    /// `state.remove`: deletes `key`.
    Remove {
        /// Entry key.
        key: String,
    },
    /// `state.push`: appends `value` to the list under `key` (absent is an empty list).
    Push {
        /// Entry key.
        key: String,
        /// Value appended.
        value: Value,
    },
    /// `state.pop`: takes the last item (or the first, with `first`) of the list under `key`.
    Pop {
        /// Entry key.
        key: String,
        /// Output when the list is absent or empty.
        default: Value,
        /// Takes the first item instead of the last.
        first: bool,
    },
    /// `state.set_many`: stores each `key: value` of the map.
    SetMany {
        /// Entries stored.
        values: Map<String, Value>,
    },
    /// `state.get_many`: the values of several keys (null for an absent one).
    GetMany {
        /// Entry keys.
        keys: Vec<String>,
    },
    /// `state.set_if`: stores `value` under `key` only if the key holds `previous` now (an
    /// absent key counts as null), a compare-and-set.
    SetIf {
        /// Entry key.
        key: String,
        /// New value.
        value: Value,
        /// The value the key must hold.
        previous: Value,
    },
    /// `state.clear`: removes every entry of the store.
    Clear,
    /// `table.find`: the records whose `field` equals one of `values` (a store used as a
    /// table: each entry a record, its key the record id, its value the record's fields).
    Find {
        /// Field compared.
        field: String,
        /// Values it may equal (compared as text).
        values: Vec<Value>,
    },
    /// `table.create`: a new record with the next free numeric id.
    Create {
        /// The record's fields.
        data: Map<String, Value>,
    },
    /// `table.update`: sets fields of an existing record.
    Update {
        /// Record id.
        id: String,
        /// Fields set (others kept).
        data: Map<String, Value>,
    },
}

impl StateOp {
    /// The keys the operation reads or writes, in a stable order.
    pub fn keys(&self) -> Vec<String> {
        match self {
            StateOp::Set { key, .. }
            | StateOp::SetIf { key, .. }
            | StateOp::Get { key, .. }
            | StateOp::Increment { key, .. }
            | StateOp::Remove { key }
            | StateOp::Push { key, .. }
            | StateOp::Pop { key, .. } => vec![key.clone()],
            StateOp::SetMany { values } => values.keys().cloned().collect(),
            StateOp::GetMany { keys } => keys.clone(),
            StateOp::Update { id, .. } => vec![id.clone()],
            StateOp::Find { .. } | StateOp::Create { .. } | StateOp::Clear => Vec::new(),
        }
    }

    /// Whether the operation reads every entry of the store (a search, or the next free id)
    /// rather than the entries [`StateOp::keys`] names.
    pub fn reads_all(&self) -> bool {
        matches!(
            self,
            StateOp::Find { .. } | StateOp::Create { .. } | StateOp::Clear
        )
    }

    /// Whether the operation writes nothing (reads are still remembered under their key, so
    /// a re-driven step sees the value it first saw).
    pub fn is_read(&self) -> bool {
        matches!(self, StateOp::Get { .. } | StateOp::GetMany { .. })
    }
}

/// A `state.*` operation as the engine hands it to the store.
#[derive(Debug, Clone, PartialEq)]
pub struct StateRequest {
    /// System name (stores are per system).
    pub system: String,
    /// Declared store name.
    pub store: String,
    /// The step's idempotency key: the operation applies once per key.
    pub idempotency_key: String,
    /// What to do.
    pub op: StateOp,
    /// The store's `ttl`: entries written now expire after it.
    pub ttl: Option<Millis>,
    /// Now (entries that expired before it count as absent).
    pub now: UnixMillis,
}

impl StateRequest {
    /// When an entry written now expires.
    pub fn expires_at(&self) -> Option<i64> {
        self.ttl.map(|t| self.now.0.saturating_add(t.0))
    }
}

/// An operation that cannot apply to the values it found (the same input fails the same way).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StateError {
    /// `increment` on a value that is not a number.
    #[error("state.increment: the value under `{key}` is not a number: {value}")]
    NotANumber {
        /// Entry key.
        key: String,
        /// What it holds.
        value: Value,
    },
    /// `table.update` of a record that does not exist.
    #[error("table.update: no record `{id}`")]
    NoRecord {
        /// Record id.
        id: String,
    },
    /// `push` or `pop` on a value that is not a list.
    #[error("the value under `{key}` is not a list: {value}")]
    NotAList {
        /// Entry key.
        key: String,
        /// What it holds.
        value: Value,
    },
}

/// What an operation does: the entries to write (`None` deletes) and the step's output.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// New values by key; `None` removes the entry.
    pub writes: Vec<(String, Option<Value>)>,
    /// The step's output.
    pub output: Value,
}

/// A number as stored: integers stay integers (Zapier's counters are whole numbers).
fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        json!(n as i64)
    } else {
        json!(n)
    }
}

/// A stored value read as a number: a JSON number or numeric text (templates render text).
fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Computes an operation over the current values of its keys (absent keys are missing from
/// `current`).
pub fn apply(op: &StateOp, current: &BTreeMap<String, Value>) -> Result<Applied, StateError> {
    let get = |k: &str| current.get(k).cloned();
    let done = |writes, output| Ok(Applied { writes, output });
    match op {
        StateOp::Set { key, value } => done(
            vec![(key.clone(), Some(value.clone()))],
            json!({"key": key, "value": value}),
        ),
        StateOp::Get { key, default } => {
            let found = get(key);
            let exists = found.is_some();
            let value = found.unwrap_or_else(|| default.clone());
            done(
                Vec::new(),
                json!({"key": key, "value": value, "found": exists}),
            )
        }
        StateOp::Increment { key, amount } => {
            let previous = match get(key) {
                None => 0.0,
                Some(v) => as_number(&v).ok_or_else(|| StateError::NotANumber {
                    key: key.clone(),
                    value: v.clone(),
                })?,
            };
            let value = number(previous + amount);
            done(
                vec![(key.clone(), Some(value.clone()))],
                json!({"key": key, "value": value, "previous": number(previous)}),
            )
        }
        StateOp::Remove { key } => {
            let existed = current.contains_key(key);
            done(
                vec![(key.clone(), None)],
                json!({"key": key, "removed": existed}),
            )
        }
        StateOp::Push { key, value } => {
            let mut list = list_at(key, get(key))?;
            list.push(value.clone());
            let out = json!({"key": key, "value": value, "list": list, "length": list.len()});
            done(vec![(key.clone(), Some(Value::Array(list)))], out)
        }
        StateOp::Pop {
            key,
            default,
            first,
        } => {
            let mut list = list_at(key, get(key))?;
            let taken = match (list.is_empty(), first) {
                (true, _) => None,
                (false, true) => Some(list.remove(0)),
                (false, false) => list.pop(),
            };
            let found = taken.is_some();
            let value = taken.unwrap_or_else(|| default.clone());
            let out = json!({"key": key, "value": value, "found": found, "length": list.len()});
            let writes = if found {
                vec![(key.clone(), Some(Value::Array(list)))]
            } else {
                Vec::new()
            };
            done(writes, out)
        }
        StateOp::SetMany { values } => done(
            values
                .iter()
                .map(|(k, v)| (k.clone(), Some(v.clone())))
                .collect(),
            json!({"values": values}),
        ),
        StateOp::GetMany { keys } => {
            let values: Map<String, Value> = keys
                .iter()
                .map(|k| (k.clone(), get(k).unwrap_or(Value::Null)))
                .collect();
            done(Vec::new(), json!({"values": values}))
        }
        StateOp::SetIf {
            key,
            value,
            previous,
        } => {
            let now = get(key).unwrap_or(Value::Null);
            let set = now == *previous;
            let writes = if set {
                vec![(key.clone(), Some(value.clone()))]
            } else {
                Vec::new()
            };
            let kept = if set { value.clone() } else { now };
            done(writes, json!({"key": key, "value": kept, "set": set}))
        }
        StateOp::Clear => done(
            current.keys().map(|k| (k.clone(), None)).collect(),
            json!({"removed": current.len()}),
        ),
        StateOp::Find { .. } | StateOp::Create { .. } | StateOp::Update { .. } => {
            super::table::apply(op, current)
        }
    }
}

/// The list under `key`: absent is empty; a non-list is an error.
fn list_at(key: &str, v: Option<Value>) -> Result<Vec<Value>, StateError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => Ok(a),
        Some(other) => Err(StateError::NotAList {
            key: key.to_string(),
            value: other,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::{StateError, StateOp, apply};
    use serde_json::{Value, json};
    use std::collections::BTreeMap;

    fn cur(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn increment_counts_from_zero_and_reads_numeric_text() {
        let op = StateOp::Increment {
            key: "n".into(),
            amount: 1.0,
        };
        let a = apply(&op, &cur(&[])).unwrap();
        assert_eq!(a.writes, vec![("n".into(), Some(json!(1)))]);
        let a = apply(&op, &cur(&[("n", json!("41"))])).unwrap();
        assert_eq!(a.output["value"], json!(42));
        assert_eq!(a.output["previous"], json!(41));
        let half = StateOp::Increment {
            key: "n".into(),
            amount: 0.5,
        };
        assert_eq!(
            apply(&half, &cur(&[("n", json!(1))])).unwrap().output["value"],
            json!(1.5)
        );
        assert!(matches!(
            apply(&op, &cur(&[("n", json!("x"))])),
            Err(StateError::NotANumber { .. })
        ));
    }

    #[test]
    fn get_gives_the_default_when_absent() {
        let op = StateOp::Get {
            key: "k".into(),
            default: json!("none"),
        };
        let a = apply(&op, &cur(&[])).unwrap();
        assert_eq!(
            a.output,
            json!({"key": "k", "value": "none", "found": false})
        );
        assert!(a.writes.is_empty());
        let a = apply(&op, &cur(&[("k", json!(3))])).unwrap();
        assert_eq!(a.output["value"], json!(3));
    }

    #[test]
    fn push_and_pop_are_a_stack_or_a_queue() {
        let push = StateOp::Push {
            key: "l".into(),
            value: json!("c"),
        };
        let a = apply(&push, &cur(&[("l", json!(["a", "b"]))])).unwrap();
        assert_eq!(a.writes[0].1, Some(json!(["a", "b", "c"])));
        let pop = |first| StateOp::Pop {
            key: "l".into(),
            default: Value::Null,
            first,
        };
        let l = cur(&[("l", json!(["a", "b"]))]);
        assert_eq!(apply(&pop(false), &l).unwrap().output["value"], json!("b"));
        assert_eq!(apply(&pop(true), &l).unwrap().output["value"], json!("a"));
        let empty = apply(&pop(false), &cur(&[])).unwrap();
        assert_eq!(empty.output["found"], json!(false));
        assert!(empty.writes.is_empty());
        assert!(apply(&push, &cur(&[("l", json!("text"))])).is_err());
    }

    #[test]
    fn compare_and_set_and_clear() {
        let op = StateOp::SetIf {
            key: "k".into(),
            value: json!(2),
            previous: json!(1),
        };
        let a = apply(&op, &cur(&[("k", json!(1))])).unwrap();
        assert_eq!(a.output, json!({"key": "k", "value": 2, "set": true}));
        let b = apply(&op, &cur(&[("k", json!(5))])).unwrap();
        assert_eq!(b.output, json!({"key": "k", "value": 5, "set": false}));
        assert!(b.writes.is_empty());
        let c = apply(&StateOp::Clear, &cur(&[("a", json!(1)), ("b", json!(2))])).unwrap();
        assert_eq!(c.output, json!({"removed": 2}));
        assert_eq!(c.writes.len(), 2);
    }

    #[test]
    fn many_at_once() {
        let mut values = serde_json::Map::new();
        values.insert("a".into(), json!(1));
        values.insert("b".into(), json!(2));
        let a = apply(&StateOp::SetMany { values }, &cur(&[])).unwrap();
        assert_eq!(a.writes.len(), 2);
        let get = StateOp::GetMany {
            keys: vec!["a".into(), "z".into()],
        };
        let a = apply(&get, &cur(&[("a", json!(1))])).unwrap();
        assert_eq!(a.output, json!({"values": {"a": 1, "z": null}}));
    }
}
