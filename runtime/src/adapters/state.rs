//! `state.*`: operations on a system's declared `data.state` stores, kept in the event
//! store's database (what Storage by Zapier becomes).
//!
//! Operations: `set` (`key`, `value`), `get` (`key`, `default`), `increment` (`key`,
//! `amount`, default 1), `remove` (`key`), `push` (`key`, `value`), `pop` (`key`, `default`,
//! `from: start|end`), `set_many` (`values`, a map), `get_many` (`keys`, a list or
//! comma-separated text), `set_if` (`key`, `value`, `previous`: set only if the key holds
//! `previous`), `clear`. Every operation names its store with `store`.
//!
//! `table.*` treats a store as a table of records (what a Zapier Table becomes, loaded with
//! `claw table load`): `find` (`field`, `value`: one value or a list of accepted values),
//! `create` (`data`, the record's fields; the id is the next free number), `update` (`id`,
//! `data`). They name their store with `table`. The adapter only
//! reads the parameters; the store applies the operation exactly once per idempotency key
//! (see [`crate::store::state`]).

use super::{Adapter, AdapterError, Call, required};
use crate::engine::Clock;
use crate::store::state::{StateOp, StateRequest};
use crate::store::{EventStore, StoreError};
use crate::time::{Millis, UnixMillis};
use claw_language::lint::{STATE_OPERATIONS, TABLE_OPERATIONS};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The declared stores of every loaded system: (system, store) → the store's `ttl`.
pub type DeclaredStores = BTreeMap<(String, String), Option<Millis>>;

/// Applies `state.*` operations through the event store.
pub struct StateAdapter {
    store: Arc<dyn EventStore>,
    declared: DeclaredStores,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for StateAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateAdapter")
            .field("declared", &self.declared)
            .finish()
    }
}

impl StateAdapter {
    /// An adapter over `store` for the declared stores (an undeclared one is refused).
    pub fn new(
        store: Arc<dyn EventStore>,
        declared: DeclaredStores,
        clock: Arc<dyn Clock>,
    ) -> StateAdapter {
        StateAdapter {
            store,
            declared,
            clock,
        }
    }
}

/// A key parameter: text, or a number or boolean written as text (templates of ids).
fn key_param(call: &Call, name: &str) -> Result<String, AdapterError> {
    match call.params.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(v @ (Value::Number(_) | Value::Bool(_))) => Ok(v.to_string()),
        _ => Err(AdapterError::permanent(format!(
            "{} in step `{}` needs a non-empty `{name}`",
            call.action, call.step
        ))),
    }
}

fn param(call: &Call, name: &str) -> Value {
    call.params.get(name).cloned().unwrap_or(Value::Null)
}

/// `increment`'s `amount`: a number or numeric text; 1 when absent.
fn amount(call: &Call) -> Result<f64, AdapterError> {
    let bad = || {
        AdapterError::permanent(format!(
            "state.increment in step `{}`: `amount` must be a number",
            call.step
        ))
    };
    match call.params.get("amount") {
        None | Some(Value::Null) => Ok(1.0),
        Some(Value::Number(n)) => n.as_f64().ok_or_else(bad),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(1.0),
        Some(Value::String(s)) => s.trim().parse().map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}

/// `get_many`'s `keys`: a list, or comma-separated text.
fn keys(call: &Call) -> Result<Vec<String>, AdapterError> {
    match call.params.get("keys") {
        Some(Value::Array(a)) => Ok(a
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()),
        Some(Value::String(s)) => Ok(s
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect()),
        _ => Err(AdapterError::permanent(format!(
            "state.get_many in step `{}` needs `keys` (a list or comma-separated text)",
            call.step
        ))),
    }
}

/// A map parameter (`data` of `table.create`/`table.update`); absent is empty.
fn map_param(call: &Call, name: &str) -> Result<Map<String, Value>, AdapterError> {
    match call.params.get(name) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(_) => Err(AdapterError::permanent(format!(
            "{} in step `{}` needs `{name}` to be a map",
            call.action, call.step
        ))),
    }
}

/// The operation a `table.*` call asks for.
fn table_op_of(call: &Call) -> Result<StateOp, AdapterError> {
    Ok(match call.operation.as_str() {
        "find" => StateOp::Find {
            field: key_param(call, "field")?,
            values: match call.params.get("value") {
                // Zapier's `in` takes a list whose items may be lists (line items): flattened.
                Some(Value::Array(a)) => a
                    .iter()
                    .flat_map(|v| match v {
                        Value::Array(inner) => inner.clone(),
                        other => vec![other.clone()],
                    })
                    .collect(),
                Some(v) => vec![v.clone()],
                None => Vec::new(),
            },
        },
        "create" => StateOp::Create {
            data: map_param(call, "data")?,
        },
        "update" => StateOp::Update {
            id: key_param(call, "id")?,
            data: map_param(call, "data")?,
        },
        other => {
            return Err(AdapterError::permanent(format!(
                "table has no operation `{other}`; expected one of {}",
                TABLE_OPERATIONS.join(", ")
            )));
        }
    })
}

/// The operation a call asks for.
pub(crate) fn op_of(call: &Call) -> Result<StateOp, AdapterError> {
    if call.action.starts_with("table.") {
        return table_op_of(call);
    }
    Ok(match call.operation.as_str() {
        "set" => StateOp::Set {
            key: key_param(call, "key")?,
            value: param(call, "value"),
        },
        "get" => StateOp::Get {
            key: key_param(call, "key")?,
            default: param(call, "default"),
        },
        "increment" => StateOp::Increment {
            key: key_param(call, "key")?,
            amount: amount(call)?,
        },
        "remove" => StateOp::Remove {
            key: key_param(call, "key")?,
        },
        "push" => StateOp::Push {
            key: key_param(call, "key")?,
            value: param(call, "value"),
        },
        "pop" => StateOp::Pop {
            key: key_param(call, "key")?,
            default: param(call, "default"),
            first: call.params.get("from").and_then(Value::as_str) == Some("start"),
        },
        "set_many" => StateOp::SetMany {
            values: match call.params.get("values") {
                Some(Value::Object(m)) => m.clone(),
                _ => {
                    return Err(AdapterError::permanent(format!(
                        "state.set_many in step `{}` needs `values`, a map",
                        call.step
                    )));
                }
            },
        },
        "get_many" => StateOp::GetMany { keys: keys(call)? },
        "set_if" => StateOp::SetIf {
            key: key_param(call, "key")?,
            value: param(call, "value"),
            previous: param(call, "previous"),
        },
        "clear" => StateOp::Clear,
        other => {
            return Err(AdapterError::permanent(format!(
                "state has no operation `{other}`; expected one of {}",
                STATE_OPERATIONS.join(", ")
            )));
        }
    })
}

/// What a `state.*` or `table.*` call would give on an empty store, without touching one: the
/// record-only stand-in's output, shaped like the real one so later steps' templates render.
pub(crate) fn recorded_output(call: &Call) -> Result<Value, AdapterError> {
    let op = op_of(call)?;
    // An update needs its record: on the empty store it would fail; record what it would set.
    if let StateOp::Update { id, data } = &op {
        return Ok(serde_json::json!({"id": id, "data": data}));
    }
    crate::store::state::apply(&op, &std::collections::BTreeMap::new())
        .map(|a| a.output)
        .map_err(|e| AdapterError::permanent(format!("step `{}`: {e}", call.step)))
}

#[async_trait::async_trait]
impl Adapter for StateAdapter {
    async fn call(&self, call: &Call) -> Result<Value, AdapterError> {
        // A `table.*` step names its store `table`; a `state.*` step, `store`.
        let store_param = if call.action.starts_with("table.") {
            "table"
        } else {
            "store"
        };
        let store = required(call, store_param)?;
        let Some(ttl) = self.declared.get(&(call.system.clone(), store.to_string())) else {
            return Err(AdapterError::permanent(format!(
                "{} in step `{}`: `{store}` is not a state store declared under data.state",
                call.action, call.step
            )));
        };
        let req = StateRequest {
            system: call.system.clone(),
            store: store.to_string(),
            idempotency_key: call.idempotency_key.clone(),
            op: op_of(call)?,
            ttl: *ttl,
            now: UnixMillis::from(self.clock.now()),
        };
        self.store.apply_state(&req).await.map_err(|e| match e {
            StoreError::State(e) => AdapterError::permanent(format!("step `{}`: {e}", call.step)),
            StoreError::NoStateStores => AdapterError::permanent(e.to_string()),
            other => AdapterError::retryable(format!("{}: {other}", call.action)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::recorded_output;
    use crate::adapters::Call;
    use serde_json::json;

    fn call(action: &str, params: serde_json::Value) -> Call {
        let (_, op) = action.split_once('.').unwrap_or_default();
        Call {
            system: "s".into(),
            run_id: "r".into(),
            step: "x".into(),
            action: action.into(),
            operation: op.into(),
            params,
            idempotency_key: "k".into(),
            timeout: std::time::Duration::from_secs(1),
        }
    }

    /// Record-only: the output a real call gives on an empty store, so later steps render.
    #[test]
    fn recorded_outputs_have_the_real_shape() {
        let inc = call("state.increment", json!({"store": "c", "key": "n"}));
        assert_eq!(recorded_output(&inc).unwrap()["value"], json!(1));
        let get = call(
            "state.get",
            json!({"store": "c", "key": "n", "default": "d"}),
        );
        assert_eq!(recorded_output(&get).unwrap()["value"], json!("d"));
        let find = call(
            "table.find",
            json!({"table": "t", "field": "f1", "value": "a"}),
        );
        assert_eq!(recorded_output(&find).unwrap()["found"], json!(false));
        let upd = call(
            "table.update",
            json!({"table": "t", "id": "3", "data": {"f": 1}}),
        );
        assert_eq!(
            recorded_output(&upd).unwrap(),
            json!({"id": "3", "data": {"f": 1}})
        );
        assert!(recorded_output(&call("state.nope", json!({}))).is_err());
    }
}
