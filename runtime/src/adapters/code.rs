//! `code.js` and `code.python`: Code by Zapier steps (`inputData`/`input_data` in, `output`
//! out), JavaScript in the QuickJS sandbox, Python in a confined subprocess
//! ([`crate::python`]).
//!
//! Params: `code` (the script; or `file`, read at load by [`crate::plan`]) and `input`
//! (becomes `inputData` / `input_data`). Failures are permanent: the same script on the same
//! input fails the same way (a Python interpreter that cannot be started is the exception:
//! retryable, since the cause is the machine, not the code).

use super::{Adapter, AdapterError, Call, required};
use crate::python;
use crate::sandbox::{self, Limits};
use serde_json::Value;

/// Runs sandboxed JavaScript and Python.
#[derive(Debug, Clone, Copy, Default)]
pub struct CodeAdapter {
    limits: Option<Limits>,
    python: Option<python::Limits>,
}

impl CodeAdapter {
    /// With explicit limits for JavaScript.
    pub fn with_limits(limits: Limits) -> Self {
        CodeAdapter {
            limits: Some(limits),
            python: None,
        }
    }

    /// With explicit limits for Python.
    pub fn with_python_limits(limits: python::Limits) -> Self {
        CodeAdapter {
            limits: None,
            python: Some(limits),
        }
    }
}

/// `code.python`: the code in the Python sandbox, `random` seeded by the idempotency key
/// (so a retried attempt draws the same numbers). What the code printed becomes
/// `runtime_meta.logs` (one string per line) of an object output, as Zapier shows it.
async fn run_python(call: &Call, mut limits: python::Limits) -> Result<Value, AdapterError> {
    let fail = |e: python::PythonError| {
        let message = format!("code.python in step `{}`: {e}", call.step);
        match e {
            python::PythonError::Start { .. } => AdapterError::retryable(message),
            _ => AdapterError::permanent(message),
        }
    };
    let code = required(call, "code")?;
    let input = call.params.get("input").cloned().unwrap_or(Value::Null);
    limits.time = limits.time.min(call.timeout);
    let interpreter = python::interpreter().map_err(fail)?;
    let outcome = python::run(&interpreter, code, &input, &call.idempotency_key, limits)
        .await
        .map_err(fail)?;
    if !outcome.isolated {
        tracing::warn!(step = %call.step, "code.python ran without a network namespace of its own (the kernel refused one); only the audit hook refuses sockets");
    }
    let mut output = zapier_output(outcome.output);
    if let Value::Object(m) = &mut output
        && !outcome.logs.is_empty()
    {
        let lines: Vec<Value> = outcome.logs.lines().map(Value::from).collect();
        m.insert("runtime_meta".into(), serde_json::json!({"logs": lines}));
    }
    Ok(output)
}

#[async_trait::async_trait]
impl Adapter for CodeAdapter {
    async fn call(&self, call: &Call) -> Result<Value, AdapterError> {
        if call.operation == "python" {
            return run_python(call, self.python.unwrap_or_default()).await;
        }
        if call.operation != "js" {
            return Err(AdapterError::permanent(format!(
                "code has no operation `{}`; expected js or python",
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
