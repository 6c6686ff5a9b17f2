//! `poll` triggers: call the trigger's read `action` with its `with` parameters every
//! `every`, and turn each item of the answer into a run.
//!
//! **Items.** The adapter's output is read as follows: for `http.*` (an output with a
//! `body`) the body, otherwise the output itself. A JSON array is the list of items. A
//! JSON object holds the list in the first of these fields that is an array: `items`,
//! `data`, `results`, `records`, `entries`, `value` (GitHub, Stripe, most REST APIs,
//! Airtable, OData), or else in its only array-valued field (`{"invoices": [...]}`).
//! Anything else (a string, an object without a list, a truncated body) is a failed poll:
//! logged, counted, and tried again at the next interval.
//!
//! **Payload.** An object item is the run's payload (its fields are top-level variables);
//! another value becomes `{"item": value}`.
//!
//! **Deduplication.** Each item is accepted with the trigger's idempotency expression
//! evaluated on that payload (`invoice.id`), or, without one, the SHA-256 of the item's
//! JSON: the unique key in the database turns an item seen at an earlier poll (or by
//! another process on the same PostgreSQL) into a duplicate, not a run. An item whose key
//! expression fails is skipped with a warning naming the trigger.
//!
//! Parameters are rendered as templates (`{{ secrets.token }}` renders the reference, and
//! `secret://` references are resolved just before the call, like a step's). In
//! record-only mode nothing is polled: a read would have to reach the outside world.

use super::{TriggerError, item_payload};
use crate::adapters::{AdapterError, Call};
use crate::engine::{EngineError, Mode, Runtime, StartOptions};
use crate::secrets;
use claw_language::model::Source;
use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::Digest;
use std::time::Duration;

/// Object fields holding the list of items, in the order they are looked for.
pub const LIST_FIELDS: [&str; 6] = ["items", "data", "results", "records", "entries", "value"];

/// Longest a single poll call may take (shorter if the interval is shorter).
pub const MAX_POLL_TIMEOUT: Duration = Duration::from_secs(30);

/// One poll trigger ready to run.
#[derive(Debug, Clone)]
pub struct PollTrigger {
    /// The system the trigger belongs to.
    pub system: String,
    /// The trigger's name in that system.
    pub trigger: String,
    /// `adapter.operation`.
    pub action: String,
    /// Parameters (templates).
    pub with: Value,
    /// Time between two polls (`every:`).
    pub every: Duration,
    /// Whether an idempotency expression is set (else items are keyed by content hash).
    pub keyed: bool,
}

/// What one poll did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PollOutcome {
    /// Items in the answer.
    pub items: usize,
    /// New runs started.
    pub started: Vec<String>,
    /// Items already seen (their key existed).
    pub duplicates: usize,
    /// Items skipped because their key could not be computed.
    pub skipped: usize,
}

/// Why a poll failed.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    /// The read operation failed.
    #[error("poll `{trigger}`: {source}")]
    Call {
        /// The poll trigger whose call failed.
        trigger: String,
        /// Adapter error (secrets redacted).
        source: AdapterError,
    },
    /// The answer holds no list of items.
    #[error("poll `{trigger}`: {message}")]
    Shape {
        /// The poll trigger whose answer has the wrong shape.
        trigger: String,
        /// What was found.
        message: String,
    },
    /// Accepting an item failed (store or draining).
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// The list of items in a read operation's output (see the module docs).
pub fn items_of(output: &Value) -> Result<Vec<Value>, String> {
    if output.get("truncated").and_then(Value::as_bool) == Some(true) {
        return Err("the response body was cut at 1 MiB; page the API (e.g. `limit`)".into());
    }
    let body = match output.get("body") {
        Some(b) if output.get("status").is_some() => b,
        _ => output,
    };
    match body {
        Value::Array(a) => Ok(a.clone()),
        Value::Object(m) => {
            if let Some(a) = LIST_FIELDS
                .iter()
                .find_map(|f| m.get(*f).and_then(Value::as_array))
            {
                return Ok(a.clone());
            }
            let arrays: Vec<(&String, &Vec<Value>)> = m
                .iter()
                .filter_map(|(k, v)| v.as_array().map(|a| (k, a)))
                .collect();
            match arrays.as_slice() {
                [(_, a)] => Ok((*a).clone()),
                [] => Err(format!(
                    "the answer is an object without a list; expected a JSON array or an object with one of {}",
                    LIST_FIELDS.join(", ")
                )),
                many => Err(format!(
                    "the answer has several lists ({}) and none of {}",
                    many.iter()
                        .map(|(k, _)| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    LIST_FIELDS.join(", ")
                )),
            }
        }
        Value::String(s) => Err(format!(
            "the answer is not JSON: {}",
            s.chars().take(80).collect::<String>()
        )),
        other => Err(format!("the answer is `{other}`, not a list")),
    }
}

/// The default key of an item: SHA-256 of its JSON.
pub fn content_key(item: &Value) -> String {
    format!(
        "sha256:{}",
        hex::encode(sha2::Sha256::digest(item.to_string().as_bytes()))
    )
}

/// Names read as `secrets.NAME` in a trigger's parameters.
fn secret_scope(with: &Value) -> Value {
    let mut names = Map::new();
    for n in crate::secrets::referenced_names(&with.to_string()) {
        let v = Value::String(format!("secret://{n}"));
        names.insert(n, v);
    }
    json!({ "secrets": names })
}

/// Drives every poll trigger of a runtime.
#[derive(Debug, Clone)]
pub struct Poller {
    rt: Runtime,
    triggers: Vec<PollTrigger>,
}

impl Poller {
    /// Collects the enabled poll triggers of every loaded system.
    pub fn new(rt: Runtime) -> Result<Poller, TriggerError> {
        let mut triggers = Vec::new();
        for sys in rt.systems() {
            for t in &sys.triggers {
                let tr = &t.trigger;
                if tr.source != Source::Poll || !tr.is_enabled() {
                    continue;
                }
                let err = |message: String| TriggerError {
                    system: sys.name().to_string(),
                    trigger: tr.name.clone(),
                    message,
                };
                let every = tr
                    .every
                    .as_deref()
                    .ok_or_else(|| err("a poll trigger needs `every:`".into()))
                    .and_then(|e| {
                        claw_language::units::parse_duration(e).map_err(|e| err(e.to_string()))
                    })?;
                if every.is_zero() {
                    return Err(err("`every:` must be longer than zero".into()));
                }
                let action = tr
                    .action
                    .clone()
                    .ok_or_else(|| err("a poll trigger needs `action:` (e.g. http.get)".into()))?;
                if rt.adapters().get(adapter_prefix(&action)).is_none() {
                    return Err(err(format!(
                        "no adapter `{}` is installed for `{action}`",
                        adapter_prefix(&action)
                    )));
                }
                triggers.push(PollTrigger {
                    system: sys.name().to_string(),
                    trigger: tr.name.clone(),
                    action,
                    with: serde_json::to_value(&tr.with).unwrap_or(Value::Null),
                    every,
                    keyed: t.idempotency.is_some(),
                });
            }
        }
        Ok(Poller { rt, triggers })
    }

    /// The triggers it drives.
    pub fn triggers(&self) -> &[PollTrigger] {
        &self.triggers
    }

    /// Polls one trigger once: calls the read operation and accepts every new item.
    pub async fn poll_once(&self, t: &PollTrigger) -> Result<PollOutcome, PollError> {
        let now = self.rt.clock().now();
        let call_err = |source: AdapterError| PollError::Call {
            trigger: t.trigger.clone(),
            source,
        };
        let params =
            claw_language::expr::render_value(&t.with, &secret_scope(&t.with)).map_err(|e| {
                call_err(AdapterError::permanent(format!(
                    "rendering `with`: {}",
                    e.message
                )))
            })?;
        let (resolved, used) = self
            .rt
            .secrets()
            .resolve(&params)
            .map_err(|e| call_err(AdapterError::permanent(e.to_string())))?;
        let prefix = adapter_prefix(&t.action);
        let adapter = self.rt.adapters().get(prefix).ok_or_else(|| {
            call_err(AdapterError::permanent(format!(
                "no adapter `{prefix}` is installed"
            )))
        })?;
        let timeout = t.every.min(MAX_POLL_TIMEOUT);
        let call = Call {
            system: t.system.clone(),
            run_id: format!("poll:{}:{}", t.system, t.trigger),
            step: t.trigger.clone(),
            action: t.action.clone(),
            operation: t
                .action
                .split_once('.')
                .map(|(_, o)| o.to_string())
                .unwrap_or_default(),
            params: resolved,
            idempotency_key: format!("poll:{}:{}:{}", t.system, t.trigger, now.timestamp_millis()),
            timeout,
        };
        let output =
            match tokio::time::timeout(timeout + Duration::from_secs(5), adapter.call(&call)).await
            {
                Ok(Ok(mut v)) => {
                    secrets::redact(&mut v, &used);
                    v
                }
                Ok(Err(mut e)) => {
                    e.message = secrets::redact_str(&e.message, &used);
                    return Err(call_err(e));
                }
                Err(_) => {
                    return Err(call_err(AdapterError::retryable(format!(
                        "timed out after {timeout:?}"
                    ))));
                }
            };
        let items = items_of(&output).map_err(|message| PollError::Shape {
            trigger: t.trigger.clone(),
            message,
        })?;
        let mut out = PollOutcome {
            items: items.len(),
            ..Default::default()
        };
        for item in items {
            let key = (!t.keyed).then(|| content_key(&item));
            let opts = StartOptions {
                key,
                origin: Some(json!({"poll": t.trigger, "polled_at": now.to_rfc3339()})),
                ..Default::default()
            };
            match self
                .rt
                .accept(&t.system, &t.trigger, item_payload(item), opts)
                .await
            {
                Ok(a) if a.duplicate => out.duplicates += 1,
                Ok(a) => out.started.push(a.run_id),
                Err(EngineError::BadKey { message, .. }) => {
                    tracing::warn!(system = %t.system, trigger = %t.trigger, error = %message, "poll item skipped: its idempotency key cannot be computed");
                    out.skipped += 1;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(out)
    }

    /// Polls every trigger at start and then every `every`, until the runtime drains.
    pub async fn run(self) {
        let mut tasks = tokio::task::JoinSet::new();
        for t in self.triggers.clone() {
            let me = self.clone();
            tasks.spawn(async move { me.run_one(t).await });
        }
        while tasks.join_next().await.is_some() {}
    }

    async fn run_one(&self, t: PollTrigger) {
        if self.rt.mode() == Mode::RecordOnly {
            tracing::info!(system = %t.system, trigger = %t.trigger, "record-only mode: poll trigger not started");
            return;
        }
        let mut tick = tokio::time::interval(t.every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if self.rt.is_draining() {
                return;
            }
            match self.poll_once(&t).await {
                Ok(o) if !o.started.is_empty() => {
                    tracing::info!(system = %t.system, trigger = %t.trigger, items = o.items, started = o.started.len(), duplicates = o.duplicates, "poll");
                }
                Ok(_) => {}
                Err(PollError::Engine(EngineError::Draining)) => return,
                Err(e) => {
                    tracing::warn!(system = %t.system, trigger = %t.trigger, error = %e, "poll failed; trying again at the next interval");
                }
            }
        }
    }
}

fn adapter_prefix(action: &str) -> &str {
    action.split_once('.').map(|(p, _)| p).unwrap_or(action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_from_arrays_list_fields_and_single_lists() {
        assert_eq!(
            items_of(&json!({"status": 200, "body": [1, 2]})).unwrap(),
            vec![json!(1), json!(2)]
        );
        assert_eq!(
            items_of(&json!({"status": 200, "body": {"data": [{"id": 1}], "has_more": false}}))
                .unwrap(),
            vec![json!({"id": 1})]
        );
        assert_eq!(
            items_of(&json!({"status": 200, "body": {"invoices": [{"id": 1}], "next": null}}))
                .unwrap(),
            vec![json!({"id": 1})]
        );
        // A custom adapter may answer the list directly.
        assert_eq!(items_of(&json!([{"a": 1}])).unwrap(), vec![json!({"a": 1})]);
        assert!(items_of(&json!({"status": 200, "body": {"a": [1], "b": [2]}})).is_err());
        assert!(items_of(&json!({"status": 200, "body": "<html>"})).is_err());
        assert!(items_of(&json!({"status": 200, "body": {"n": 1}})).is_err());
        assert!(items_of(&json!({"status": 200, "body": "[1,", "truncated": true})).is_err());
    }

    #[test]
    fn payloads_and_content_keys() {
        assert_eq!(item_payload(json!({"id": 1})), json!({"id": 1}));
        assert_eq!(item_payload(json!(7)), json!({"item": 7}));
        assert_eq!(content_key(&json!({"a": 1})), content_key(&json!({"a": 1})));
        assert_ne!(content_key(&json!({"a": 1})), content_key(&json!({"a": 2})));
    }

    proptest::proptest! {
        #[test]
        fn items_of_never_panics(s in "\\PC{0,120}") {
            let v: Value = serde_json::from_str(&s).unwrap_or(Value::String(s));
            let _ = items_of(&json!({"status": 200, "body": v}));
        }
    }
}
