//! Triggers that pull work in: [`poll`] (a read operation called every interval) and
//! [`queue`] (named queues in the log, the ones `queue.publish` and `queue://` dead
//! letters write). Webhooks live in [`crate::server`], schedules in [`crate::scheduler`].
//!
//! Both turn items into runs through [`crate::Runtime::accept`], so deduplication is the
//! database's: the trigger's idempotency key (its expression evaluated on each item, or a
//! stable default) hits the `UNIQUE (system, trigger_name, idempotency_key)` constraint,
//! and an item seen again returns the first run instead of starting one.

pub mod poll;
pub mod queue;

use serde_json::{Map, Value};

/// The payload of a run started from one item: an object item is the payload itself (its
/// fields are top-level variables, as for a webhook); any other value is wrapped as
/// `{"item": value}`.
pub fn item_payload(item: Value) -> Value {
    match item {
        Value::Object(_) => item,
        other => {
            let mut m = Map::new();
            m.insert("item".into(), other);
            Value::Object(m)
        }
    }
}

/// Why a trigger is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("system `{system}`, trigger `{trigger}`: {message}")]
pub struct TriggerError {
    /// The system the trigger belongs to.
    pub system: String,
    /// The trigger's name in that system.
    pub trigger: String,
    /// What makes it unusable.
    pub message: String,
}
