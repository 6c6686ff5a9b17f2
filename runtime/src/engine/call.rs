//! `system.call`: one system calls another and waits for its reply (a Sub-Zap call).
//!
//! The called run is accepted under the calling step's idempotency key, so an attempt that
//! is repeated (a retry, or a restart after a crash between call and reply) finds the run the
//! first attempt started instead of starting a second one, and waits for it again. The
//! reply is the output of the called run's `call.return` step, read back from its events:
//! the caller holds no state of its own beyond its step's start, already committed.

use super::{EngineError, Runtime, StartOptions};
use crate::adapters::{AdapterError, Call};
use crate::store::{RunRecord, status};
use claw_language::model::Source;
use claw_language::validate::call::{CALL_ACTION, RETURN_ACTION};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Time between the first reads of the called run while waiting for its reply; it doubles
/// after each read up to [`POLL_MAX`], so a short call is answered at once and a long wait (a
/// called system with delays, up to the step's timeout) costs a read a second, not fifty.
const POLL_FIRST: Duration = Duration::from_millis(20);
/// The longest time between two reads of a called run.
const POLL_MAX: Duration = Duration::from_secs(1);

impl Runtime {
    /// Calls the system `params.system` names with `params.inputs`, and waits up to `timeout`
    /// for its reply. A timeout is retryable (the retry waits for the same run); a called run
    /// that ends without replying, or a system that cannot be called, is not.
    pub(super) async fn call_system(
        &self,
        run: &RunRecord,
        step: &str,
        params: Value,
        key: String,
        timeout: Duration,
    ) -> Result<Value, AdapterError> {
        let name = params
            .get("system")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                AdapterError::permanent(format!(
                    "system.call in step `{step}` needs a string parameter `system`"
                ))
            })?;
        let callee = self.system(name).cloned().ok_or_else(|| {
            AdapterError::permanent(format!(
                "step `{step}` calls system `{name}`, which is not loaded"
            ))
        })?;
        let trigger = callee
            .system
            .triggers
            .iter()
            .find(|t| t.source == Source::Call)
            .map(|t| t.name.clone())
            .ok_or_else(|| {
                AdapterError::permanent(format!(
                    "step `{step}` calls system `{name}`, which has no `source: call` trigger"
                ))
            })?;
        let inputs = params.get("inputs").cloned().unwrap_or_else(|| json!({}));
        let opts = StartOptions {
            key: Some(key.clone()),
            origin: Some(
                json!({"called_by": {"system": run.system, "run_id": run.id, "step": step}}),
            ),
            ..StartOptions::default()
        };
        let acc = self
            .accept(name, &trigger, inputs, opts)
            .await
            .map_err(|e| match e {
                EngineError::Draining | EngineError::Store(_) => {
                    AdapterError::retryable(format!("step `{step}` could not call `{name}`: {e}"))
                }
                other => AdapterError::permanent(format!(
                    "step `{step}` could not call `{name}`: {other}"
                )),
            })?;
        tracing::info!(run_id = %run.id, step, called = name, called_run = %acc.run_id, attached = acc.duplicate, "system called");
        if let Some(rec) = &self.inner.recorder {
            // The call is recorded like any effect. The run it started records its own effects
            // under its own id, apart from the caller's (as Zapier keeps a Sub-Zap's tasks);
            // that run's idempotency key is this call's key, which links the two.
            let call = Call {
                system: run.system.clone(),
                run_id: run.id.clone(),
                step: step.to_string(),
                action: CALL_ACTION.into(),
                operation: "call".into(),
                params: params.clone(),
                idempotency_key: key,
                timeout,
            };
            let _ = crate::adapters::Adapter::call(&**rec, &call).await;
        }
        self.await_reply(name, &acc.run_id, timeout).await
    }

    /// Waits for the reply of the called run `run_id` of system `name`.
    async fn await_reply(
        &self,
        name: &str,
        run_id: &str,
        timeout: Duration,
    ) -> Result<Value, AdapterError> {
        let started = Instant::now();
        let mut pause = POLL_FIRST;
        let store_err = |e: crate::store::StoreError| {
            AdapterError::retryable(format!("reading the run `{run_id}` of `{name}`: {e}"))
        };
        loop {
            // The run's status first: a run that finished wrote its reply (if any) before.
            let finished = self
                .inner
                .store
                .run(run_id)
                .await
                .map_err(store_err)?
                .map(|r| r.status)
                .filter(|s| status::is_finished(s));
            if let Some(reply) = self.reply_of(name, run_id).await.map_err(store_err)? {
                return Ok(reply);
            }
            if let Some(s) = finished {
                return Err(AdapterError::permanent(format!(
                    "system `{name}` ended its run `{run_id}` ({s}) without replying (no `{RETURN_ACTION}` step ran)"
                )));
            }
            if started.elapsed() >= timeout {
                return Err(AdapterError::retryable(format!(
                    "no reply from system `{name}` (run `{run_id}`) within {timeout:?}"
                )));
            }
            let left = timeout.saturating_sub(started.elapsed());
            tokio::time::sleep(pause.min(left)).await;
            pause = (pause * 2).min(POLL_MAX);
        }
    }

    /// The output of the first `call.return` step that succeeded in the run, if one did.
    async fn reply_of(
        &self,
        name: &str,
        run_id: &str,
    ) -> Result<Option<Value>, crate::store::StoreError> {
        let Some(sys) = self.system(name) else {
            return Ok(None);
        };
        let events = self.inner.store.events(run_id).await?;
        Ok(events
            .into_iter()
            .filter(|e| e.kind == "step.succeeded")
            .find(|e| {
                e.step.as_deref().is_some_and(|s| {
                    sys.system
                        .execution
                        .iter()
                        .any(|x| x.name == s && x.action == RETURN_ACTION)
                })
            })
            .map(|e| e.data.get("output").cloned().unwrap_or(Value::Null)))
    }
}
