//! `queue.publish`: a message to a named queue kept in the event store.
//!
//! The adapter only validates and shapes the message; the engine writes it in the same
//! transaction as the step's success, so a crash can neither lose nor duplicate it.

use super::{Adapter, AdapterError, Call, required};
use serde_json::{Value, json};

/// Publishes to named queues in the log.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueueAdapter;

#[async_trait::async_trait]
impl Adapter for QueueAdapter {
    async fn call(&self, call: &Call) -> Result<Value, AdapterError> {
        if call.operation != "publish" {
            return Err(AdapterError::permanent(format!(
                "queue has no operation `{}`; expected publish",
                call.operation
            )));
        }
        let queue = required(call, "queue")?;
        let queue = queue.strip_prefix("queue://").unwrap_or(queue);
        Ok(json!({
            "queue": queue,
            "message": call.params.get("message").or_else(|| call.params.get("body")).cloned().unwrap_or(Value::Null),
        }))
    }
}
