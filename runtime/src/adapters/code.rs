//! `code.js`: JavaScript in the sandbox (Zapier Code steps: `inputData` in, `output` out).
//!
//! Params: `code` (the script; or `file`, read at load by [`crate::plan`]) and `input`
//! (becomes `inputData`). Failures are permanent: the same script on the same input fails
//! the same way.

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
        let output = tokio::task::spawn_blocking(move || sandbox::run(&code, &input, limits))
            .await
            .map_err(|e| AdapterError::permanent(format!("code.js in step `{step}`: {e}")))?
            .map_err(|e| {
                AdapterError::permanent(format!("code.js in step `{}`: {e}", call.step))
            })?;
        Ok(zapier_output(output))
    }
}

/// Zapier runs the steps after a Code step once per object when `output` is an array of
/// objects; an array of one object is therefore that object to every later step
/// (`steps.x.output.field`). Longer arrays stay arrays: this runtime does not fan a run
/// out into several (docs/runtime.md).
fn zapier_output(output: Value) -> Value {
    match output {
        Value::Array(mut items) if items.len() == 1 && items[0].is_object() => items.remove(0),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::zapier_output;
    use serde_json::json;

    #[test]
    fn one_item_arrays_are_the_item() {
        assert_eq!(zapier_output(json!([{"a": 1}])), json!({"a": 1}));
        assert_eq!(
            zapier_output(json!([{"a": 1}, {"a": 2}])),
            json!([{"a": 1}, {"a": 2}])
        );
        assert_eq!(zapier_output(json!([1])), json!([1]));
        assert_eq!(zapier_output(json!({"a": 1})), json!({"a": 1}));
    }
}
