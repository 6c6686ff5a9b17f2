//! `code.js`: JavaScript in the sandbox (Zapier Code steps: `inputData` in, `output` out).
//!
//! Params: `code` (the script) and `input` (becomes `inputData`). Failures are permanent:
//! the same script on the same input fails the same way.

use super::{Adapter, AdapterError, Call, required};
use crate::sandbox::{self, Limits};
use serde_json::Value;

/// Runs sandboxed JavaScript.
#[derive(Debug, Clone, Copy, Default)]
pub struct CodeAdapter {
    limits: Option<Limits>,
}

impl CodeAdapter {
    /// With explicit limits.
    pub fn with_limits(limits: Limits) -> Self {
        CodeAdapter {
            limits: Some(limits),
        }
    }
}

#[async_trait::async_trait]
impl Adapter for CodeAdapter {
    async fn call(&self, call: &Call) -> Result<Value, AdapterError> {
        if call.operation != "js" {
            return Err(AdapterError::permanent(format!(
                "code has no operation `{}`; expected js",
                call.operation
            )));
        }
        let code = required(call, "code")?.to_string();
        let input = call.params.get("input").cloned().unwrap_or(Value::Null);
        let mut limits = self.limits.unwrap_or_default();
        limits.time = limits.time.min(call.timeout);
        let step = call.step.clone();
        tokio::task::spawn_blocking(move || sandbox::run(&code, &input, limits))
            .await
            .map_err(|e| AdapterError::permanent(format!("code.js in step `{step}`: {e}")))?
            .map_err(|e| AdapterError::permanent(format!("code.js in step `{}`: {e}", call.step)))
    }
}
