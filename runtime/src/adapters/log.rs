//! `log.debug|info|warn|error`: a structured log line with the run id and step.

use super::{Adapter, AdapterError, Call};
use serde_json::{Value, json};

/// Writes log lines through `tracing`.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogAdapter;

#[async_trait::async_trait]
impl Adapter for LogAdapter {
    async fn call(&self, call: &Call) -> Result<Value, AdapterError> {
        let message = call
            .params
            .get("message")
            .map(|m| m.as_str().map_or_else(|| m.to_string(), str::to_string))
            .unwrap_or_default();
        let (run, step, system) = (&call.run_id, &call.step, &call.system);
        match call.operation.as_str() {
            "debug" => tracing::debug!(run_id = %run, step = %step, system = %system, "{message}"),
            "info" => tracing::info!(run_id = %run, step = %step, system = %system, "{message}"),
            "warn" => tracing::warn!(run_id = %run, step = %step, system = %system, "{message}"),
            "error" => tracing::error!(run_id = %run, step = %step, system = %system, "{message}"),
            other => {
                return Err(AdapterError::permanent(format!(
                    "log has no operation `{other}`; expected debug, info, warn or error"
                )));
            }
        }
        Ok(json!({"logged": message}))
    }
}
