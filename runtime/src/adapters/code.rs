//! `code.js` and `code.python`: Code by Zapier steps (`inputData`/`input_data` in, `output`
//! out), JavaScript in the QuickJS sandbox, Python in a confined subprocess
//! ([`crate::python`]).
//!
//! Params: `code` (the script; or `file`, read at load by [`crate::plan`]) and `input`
//! (becomes `inputData` / `input_data`). Failures of the code are permanent: the same script
//! on the same input fails the same way (a Python interpreter that cannot be started is the
//! exception: retryable, since the cause is the machine, not the code). JavaScript may call
//! `fetch`, carried out by the host ([`super::code_fetch`]); a script that lets a failed
//! `fetch` reject its result fails retryably, since the network may answer next time.

use super::code_fetch::{HttpNetwork, RecordingNetwork};
use super::{Adapter, AdapterError, Call, RecordedCall, required};
use crate::python;
use crate::sandbox::{self, Limits, Network};
use serde_json::Value;
use std::sync::Arc;

/// Runs sandboxed JavaScript and Python.
#[derive(Debug, Clone, Default)]
pub struct CodeAdapter {
    limits: Option<Limits>,
    python: Option<python::Limits>,
    client: Option<reqwest::Client>,
}

impl CodeAdapter {
    /// With explicit limits for JavaScript.
    pub fn with_limits(limits: Limits) -> Self {
        CodeAdapter {
            limits: Some(limits),
            ..CodeAdapter::default()
        }
    }

    /// With explicit limits for Python.
    pub fn with_python_limits(limits: python::Limits) -> Self {
        CodeAdapter {
            python: Some(limits),
            ..CodeAdapter::default()
        }
    }

    /// With the HTTP client that JavaScript's `fetch` goes through (else one is made when a
    /// script first fetches).
    pub fn with_client(client: reqwest::Client) -> Self {
        CodeAdapter {
            client: Some(client),
            ..CodeAdapter::default()
        }
    }

    /// Record-only: runs a `code.js` step with `fetch` recorded instead of sent, and hands
    /// back the recorded requests beside the output.
    pub(super) async fn call_recording(
        &self,
        call: &Call,
    ) -> (Result<Value, AdapterError>, Vec<RecordedCall>) {
        let network = Arc::new(RecordingNetwork::new(call));
        let out = self.run_js(call, network.clone()).await;
        (out, network.take())
    }

    async fn run_js(&self, call: &Call, network: Arc<dyn Network>) -> Result<Value, AdapterError> {
        let code = required(call, "code")?.to_string();
        let input = call.params.get("input").cloned().unwrap_or(Value::Null);
        let mut limits = self.limits.unwrap_or_default();
        limits.time = limits.time.min(call.timeout);
        let step = call.step.clone();
        let output = tokio::task::spawn_blocking(move || {
            sandbox::run_with(&code, &input, limits, Some(network))
        })
        .await
        .map_err(|e| AdapterError::permanent(format!("code.js in step `{step}`: {e}")))?
        .map_err(|e| {
            let message = format!("code.js in step `{}`: {e}", call.step);
            match e {
                sandbox::SandboxError::Script(m) if m.starts_with("fetch failed") => {
                    AdapterError::retryable(message)
                }
                _ => AdapterError::permanent(message),
            }
        })?;
        Ok(zapier_output(output))
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
        let client = self.client.clone().unwrap_or_else(super::http_client);
        self.run_js(call, Arc::new(HttpNetwork::new(client, call)))
            .await
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
