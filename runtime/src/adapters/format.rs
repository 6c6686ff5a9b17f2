//! `format.value` and `format.fields`: a pure step whose output is computed by its `value`
//! parameter, typically a template calling the formatter functions (`text.*`, `number.*`,
//! `date.*`, `util.*`). It is what an imported Formatter by Zapier step becomes: the work is in
//! the expression; the step keeps Zapier's output shape and records the result like other
//! pure steps.
//!
//! `format.value` outputs `{"output": value}` (Zapier's Formatter names its one result
//! `output`); `format.fields` outputs the value itself, which must be a map (a Formatter
//! transform that gives several fields, such as a regular-expression match).

use super::{Adapter, AdapterError, Call};
use serde_json::{Value, json};

/// Computes nothing itself: the value arrives already rendered by the engine.
#[derive(Debug, Clone, Copy, Default)]
pub struct FormatAdapter;

#[async_trait::async_trait]
impl Adapter for FormatAdapter {
    async fn call(&self, call: &Call) -> Result<Value, AdapterError> {
        output(call)
    }
}

/// The output of a `format.*` call (also used by the record-only stand-in: the step is pure).
pub(crate) fn output(call: &Call) -> Result<Value, AdapterError> {
    let value = call.params.get("value").cloned().ok_or_else(|| {
        AdapterError::permanent(format!(
            "{} in step `{}` needs a parameter `value`",
            call.action, call.step
        ))
    })?;
    match call.operation.as_str() {
        "value" => Ok(json!({ "output": value })),
        "fields" if value.is_object() => Ok(value),
        "fields" => Err(AdapterError::permanent(format!(
            "format.fields in step `{}` needs `value` to be a map, not {value}",
            call.step
        ))),
        other => Err(AdapterError::permanent(format!(
            "format has no operation `{other}`; expected value or fields"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::output;
    use crate::adapters::Call;
    use serde_json::json;

    fn call(op: &str, params: serde_json::Value) -> Call {
        Call {
            system: "s".into(),
            run_id: "r".into(),
            step: "f".into(),
            action: format!("format.{op}"),
            operation: op.into(),
            params,
            idempotency_key: "k".into(),
            timeout: std::time::Duration::from_secs(1),
        }
    }

    #[test]
    fn shapes() {
        assert_eq!(
            output(&call("value", json!({"value": "Ada"}))).unwrap(),
            json!({"output": "Ada"})
        );
        assert_eq!(
            output(&call("fields", json!({"value": {"text": "a,b"}}))).unwrap(),
            json!({"text": "a,b"})
        );
        assert!(output(&call("fields", json!({"value": "x"}))).is_err());
        assert!(output(&call("value", json!({}))).is_err());
        assert!(output(&call("other", json!({"value": 1}))).is_err());
    }
}
