//! `call.return`: a called run's reply to the system that called it (Return from a
//! Sub-Zap). The step's output is the reply; the caller's `system.call` reads it from this
//! run's events (see the engine's `call`), so the adapter only shapes it.

use super::{Adapter, AdapterError, Call};
use serde_json::{Value, json};

/// The `call` adapter: `call.return` with `with: {output: {...}}`.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReplyAdapter;

/// The reply a `call.return` call gives: its `output` mapping (empty when absent). Pure, so
/// record-only mode gives the same reply and the caller's later steps render.
pub(crate) fn output(call: &Call) -> Result<Value, AdapterError> {
    if call.operation != "return" {
        return Err(AdapterError::permanent(format!(
            "`{}` is not an operation of the `call` adapter (the only one is `call.return`)",
            call.action
        )));
    }
    match call.params.get("output") {
        None | Some(Value::Null) => Ok(json!({})),
        Some(o @ Value::Object(_)) => Ok(o.clone()),
        Some(_) => Err(AdapterError::permanent(format!(
            "call.return in step `{}`: `output` must be a mapping",
            call.step
        ))),
    }
}

#[async_trait::async_trait]
impl Adapter for ReplyAdapter {
    async fn call(&self, call: &Call) -> Result<Value, AdapterError> {
        output(call)
    }
}
