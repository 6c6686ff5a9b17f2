//! Executing one step: attempts with per-attempt timeout, retries with back-off, the adapter
//! call with secrets resolved, success, failure and dead letters (its delay is `delay`).

use super::lifecycle::Waited;
use super::state::{RunState, key_string, scope};
use super::{EngineError, Runtime, ms, rfc3339};
use crate::adapters::{Adapter, AdapterError, Call};
use crate::metrics::NameLabels;
use crate::plan::{LoadedSystem, StepPlan, backoff_delay};
use crate::secrets;
use crate::store::{RunRecord, Write};
use crate::time::Millis;
use serde_json::{Value, json};
use std::time::Duration;

/// An attempt that failed: its number, the adapter's error, and the writes held back for it
/// (a pure step's start, committed together with what follows).
struct FailedAttempt {
    attempt: u32,
    err: AdapterError,
    deferred: Vec<Write>,
}

impl FailedAttempt {
    fn new(attempt: u32, err: AdapterError, deferred: Vec<Write>) -> FailedAttempt {
        FailedAttempt {
            attempt,
            err,
            deferred,
        }
    }
}

impl Runtime {
    pub(super) fn step_key(
        &self,
        sys: &LoadedSystem,
        run: &RunRecord,
        st: &RunState,
        step: &StepPlan,
    ) -> Result<String, String> {
        self.key_in(run, st, step, || scope(sys, run, Some(st)))
    }

    /// The step's key: its `idempotency` expression evaluated over the scope `sc` gives (built
    /// only then), else the run's key base and the step name.
    pub(super) fn key_in(
        &self,
        run: &RunRecord,
        st: &RunState,
        step: &StepPlan,
        sc: impl FnOnce() -> Value,
    ) -> Result<String, String> {
        match &step.idempotency {
            Some(c) => c
                .eval(&sc())
                .map(|v| key_string(&v))
                .map_err(|e| format!("idempotency expression: {}", e.message)),
            None => Ok(format!(
                "{}:{}",
                st.key_base.as_deref().unwrap_or(&run.id),
                step.exec.name
            )),
        }
    }

    /// Runs one step to a terminal state (or returns `Draining` at a durable point).
    pub(super) async fn run_step(
        &self,
        sys: &LoadedSystem,
        run: &RunRecord,
        st: &mut RunState,
        step: &StepPlan,
    ) -> Result<Waited, EngineError> {
        let name = step.exec.name.clone();
        let ss = st.steps.get(&name).cloned().unwrap_or_default();
        if !step.exec.is_enabled() {
            self.commit_run(
                st,
                vec![self.event(
                    run,
                    "step.skipped",
                    Some(&name),
                    None,
                    json!({"reason": "disabled"}),
                )],
            )
            .await?;
            st.steps.entry(name).or_default().done = Some(Ok(Value::Null));
            return Ok(Waited::Elapsed);
        }
        if let Waited::Draining = self.wait_delay(sys, run, st, step, &ss).await? {
            return Ok(Waited::Draining);
        }
        if step.for_each.is_some() {
            return self.run_each(sys, run, st, step).await;
        }
        if matches!(step.exec.action.as_str(), "delay.wait" | "delay.queue") {
            return self
                .finish_step(
                    run,
                    st,
                    step,
                    1,
                    Ok(json!({"waited": true})),
                    Vec::new(),
                    Vec::new(),
                )
                .await;
        }
        let mut attempt = ss.failed_attempts + 1;
        if let Some(due) = ss.retry_due.filter(|_| ss.failed_attempts > 0)
            && let Waited::Draining = self.wait_until(due).await
        {
            return Ok(Waited::Draining);
        }
        loop {
            match self.attempt(sys, run, st, step, attempt).await? {
                Some(done) => return Ok(done),
                None => attempt += 1,
            }
        }
    }

    /// One attempt of a step: renders its parameters and key, records the start (deferred
    /// for a pure step), calls the adapter, then finishes the step or handles the failure.
    /// `None`: the attempt failed and the next one is due now.
    async fn attempt(
        &self,
        sys: &LoadedSystem,
        run: &RunRecord,
        st: &mut RunState,
        step: &StepPlan,
        attempt: u32,
    ) -> Result<Option<Waited>, EngineError> {
        let name = step.exec.name.as_str();
        let sc = scope(sys, run, Some(st));
        let params = match step.params.render(&sc) {
            Ok(p) => p,
            Err(e) => {
                let err = AdapterError::permanent(format!(
                    "rendering the parameters of `{name}`: {}",
                    e.message
                ));
                return self
                    .fail_step(sys, run, st, step, attempt, err)
                    .await
                    .map(Some);
            }
        };
        let key = match self.step_key(sys, run, st, step) {
            Ok(k) => k,
            Err(e) => {
                return self
                    .fail_step(sys, run, st, step, attempt, AdapterError::permanent(e))
                    .await
                    .map(Some);
            }
        };
        // Pure steps (log, code, format) have no outside effect: repeating one after a
        // crash is harmless, so their start is not worth a commit of its own.
        let pure = is_pure(step);
        let started_data =
            json!({"action": step.exec.action, "idempotency_key": key, "params": params});
        let ops = vec![self.event(
            run,
            "step.attempt_started",
            Some(name),
            Some(attempt),
            started_data,
        )];
        let mut deferred = Vec::new();
        if pure {
            deferred = ops;
        } else {
            self.commit_run(st, ops).await?;
        }
        match self.call_timed(run, step, params, key).await {
            Ok(output) => {
                let extra = self.published(run, step, &output);
                self.finish_step(run, st, step, attempt, Ok(output), deferred, extra)
                    .await
                    .map(Some)
            }
            Err(err) => {
                let failed = FailedAttempt::new(attempt, err, deferred);
                self.after_failed_attempt(sys, run, st, step, failed).await
            }
        }
    }

    /// The queue message a `queue.publish` step's output asks for (none for other steps).
    pub(super) fn published(&self, run: &RunRecord, step: &StepPlan, output: &Value) -> Vec<Write> {
        let mut extra = Vec::new();
        if step.exec.action == "queue.publish"
            && let Some(q) = output.get("queue").and_then(Value::as_str)
        {
            extra.push(Write::Publish {
                queue: q.to_string(),
                system: run.system.clone(),
                run_id: run.id.clone(),
                step: step.exec.name.clone(),
                at: ms(self.inner.clock.now()),
                body: output.get("message").cloned().unwrap_or(Value::Null),
            });
        }
        extra
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn call_adapter(
        &self,
        run: &RunRecord,
        step: &str,
        prefix: &str,
        operation: &str,
        action: &str,
        params: Value,
        key: String,
        timeout: Duration,
    ) -> Result<Value, AdapterError> {
        if action == claw_language::validate::call::CALL_ACTION {
            return self.call_system(run, step, params, key, timeout).await;
        }
        let mut call = Call {
            system: run.system.clone(),
            run_id: run.id.clone(),
            step: step.to_string(),
            action: action.to_string(),
            operation: operation.to_string(),
            params,
            idempotency_key: key,
            timeout,
        };
        if let Some(rec) = &self.inner.recorder {
            let recorded = rec.call(&call).await;
            // Over a throwaway store a digest is simulated for real (no secret, no outside
            // effect): the run that fills it releases it, as live, and what follows is recorded.
            if self.inner.scratch
                && prefix == "digest"
                && let Some(digest) = self.inner.adapters.get(prefix)
            {
                return digest.call(&call).await;
            }
            return recorded;
        }
        let adapter = self.inner.adapters.get(prefix).ok_or_else(|| {
            AdapterError::permanent(format!(
                "no adapter `{prefix}` is installed (action `{action}`)"
            ))
        })?;
        // A `log.*` line is output: it shows the reference, never the value.
        let (resolved, used) = if prefix == "log" {
            (call.params.clone(), Vec::new())
        } else {
            self.inner
                .secrets
                .resolve(&call.params)
                .map_err(|e| AdapterError::permanent(e.to_string()))?
        };
        call.params = resolved;
        // The adapter's own timeout handles clean-up (killing processes); this outer one
        // only guards against an adapter that ignores its budget.
        let r = match tokio::time::timeout(timeout + Duration::from_secs(5), adapter.call(&call))
            .await
        {
            Ok(r) => r,
            Err(_) => Err(AdapterError::retryable(format!(
                "{action} in step `{step}`: timed out after {timeout:?}"
            ))),
        };
        match r {
            Ok(mut v) => {
                secrets::redact(&mut v, &used);
                Ok(v)
            }
            Err(mut e) => {
                e.message = secrets::redact_str(&e.message, &used);
                Err(e)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn finish_step(
        &self,
        run: &RunRecord,
        st: &mut RunState,
        step: &StepPlan,
        attempt: u32,
        output: Result<Value, String>,
        before: Vec<Write>,
        extra: Vec<Write>,
    ) -> Result<Waited, EngineError> {
        let name = &step.exec.name;
        if let Ok(o) = &output {
            // A digest step that released nothing holds: the run stops there, as after a
            // filter, and the steps after it (`on: <step>.succeeded`) do not run.
            let held = step.exec.adapter() == "digest" && crate::store::digest::is_held(o);
            let kind = if held { "step.held" } else { "step.succeeded" };
            let mut ops = before;
            ops.push(self.event(run, kind, Some(name), Some(attempt), json!({"output": o})));
            ops.extend(extra);
            if is_pure(step) {
                // A pure step's outcome is committed with the run's next commit.
                st.pending.extend(ops);
            } else {
                self.commit_run(st, ops).await?;
            }
            let outcome = if held { "held" } else { "succeeded" };
            self.inner.metrics.step(&run.system, name, outcome);
            tracing::info!(run_id = %run.id, step = %name, attempt, "step {outcome}");
            st.steps.entry(name.clone()).or_default().done = Some(Ok(o.clone()));
            if !held {
                st.emit(&step.exec.succeeded_event());
            }
        }
        Ok(Waited::Elapsed)
    }

    pub(super) async fn fail_step(
        &self,
        sys: &LoadedSystem,
        run: &RunRecord,
        st: &mut RunState,
        step: &StepPlan,
        attempt: u32,
        err: AdapterError,
    ) -> Result<Waited, EngineError> {
        let name = &step.exec.name;
        let mut ops = self.dead_letter_writes(sys, run, step, attempt, &err.message, None);
        ops.push(self.event(
            run,
            "step.failed",
            Some(name),
            Some(attempt),
            json!({"error": err.message, "attempts": attempt}),
        ));
        self.commit_run(st, ops).await?;
        self.inner.metrics.step(&run.system, name, "failed");
        if step.exec.dead_letter.is_some() {
            self.refresh_dlq_gauge().await;
        }
        tracing::error!(run_id = %run.id, step = %name, attempt, error = %err.message, "step failed");
        st.steps.entry(name.clone()).or_default().done = Some(Err(err.message));
        st.emit(&step.exec.failed_event());
        Ok(Waited::Elapsed)
    }

    /// The writes filing failed work in the step's dead letter (none without one): the
    /// `step.dead_lettered` event, the dead letter, and the message for a `queue://` target.
    /// `index`: an item of a `for_each` step, filed as `<step>[<index>]`.
    pub(super) fn dead_letter_writes(
        &self,
        sys: &LoadedSystem,
        run: &RunRecord,
        step: &StepPlan,
        attempt: u32,
        error: &str,
        index: Option<usize>,
    ) -> Vec<Write> {
        let name = &step.exec.name;
        let Some(target) = &step.exec.dead_letter else {
            return Vec::new();
        };
        let now = ms(self.inner.clock.now());
        let filed_as = match index {
            Some(i) => format!("{name}[{i}]"),
            None => name.clone(),
        };
        let mut data = json!({"target": target, "error": error});
        let mut body =
            json!({"run_id": run.id, "step": filed_as, "error": error, "payload": run.payload});
        if let Some(i) = index {
            data["index"] = json!(i);
            body["index"] = json!(i);
        }
        let mut ops = vec![
            self.event(run, "step.dead_lettered", Some(name), Some(attempt), data),
            Write::DeadLetter {
                system: sys.name().to_string(),
                run_id: run.id.clone(),
                step: filed_as.clone(),
                target: target.clone(),
                error: error.to_string(),
                at: now,
            },
        ];
        if let Some(q) = target.strip_prefix("queue://") {
            ops.push(Write::Publish {
                queue: q.to_string(),
                system: sys.name().to_string(),
                run_id: run.id.clone(),
                step: filed_as,
                at: now,
                body,
            });
        }
        self.inner.metrics.step(&run.system, name, "dead_lettered");
        ops
    }

    /// Records a failed attempt. A retryable failure with attempts left schedules the
    /// retry (its event is the durable timer) and waits for it: `None`, try again, or
    /// `Some(Draining)`. Otherwise the step fails for good: `Some` of how that ended.
    async fn after_failed_attempt(
        &self,
        sys: &LoadedSystem,
        run: &RunRecord,
        st: &mut RunState,
        step: &StepPlan,
        failed: FailedAttempt,
    ) -> Result<Option<Waited>, EngineError> {
        let FailedAttempt {
            attempt,
            err,
            deferred,
        } = failed;
        let name = &step.exec.name;
        self.inner.metrics.step(&run.system, name, "attempt_failed");
        tracing::warn!(run_id = %run.id, step = %name, attempt, error = %err.message, "attempt failed");
        let mut ops = deferred;
        ops.push(self.event(
            run,
            "step.attempt_failed",
            Some(name),
            Some(attempt),
            json!({"error": err.message, "retryable": err.retryable}),
        ));
        if err.retryable && attempt < step.attempts {
            let due = ms(self.inner.clock.now())
                + Millis(backoff_delay(&step.backoff, attempt).as_millis() as i64);
            ops.push(self.event(
                run,
                "step.retry_scheduled",
                Some(name),
                Some(attempt + 1),
                json!({"due_at": due, "due": rfc3339(due)}),
            ));
            self.commit_run(st, ops).await?;
            self.inner.metrics.step(&run.system, name, "retried");
            let s = st.steps.entry(name.clone()).or_default();
            s.failed_attempts = attempt;
            s.retry_due = Some(due);
            return Ok(match self.wait_until(due).await {
                Waited::Draining => Some(Waited::Draining),
                Waited::Elapsed => None,
            });
        }
        self.commit_run(st, ops).await?;
        Ok(Some(
            self.fail_step(sys, run, st, step, attempt, err).await?,
        ))
    }

    /// Calls the step's adapter (action `prefix.operation`) within its timeout, and
    /// records how long the call took in the execution latency histogram.
    pub(super) async fn call_timed(
        &self,
        run: &RunRecord,
        step: &StepPlan,
        params: Value,
        key: String,
    ) -> Result<Value, AdapterError> {
        let name = &step.exec.name;
        let (op_prefix, operation) = step
            .exec
            .action
            .split_once('.')
            .unwrap_or((step.exec.action.as_str(), ""));
        let started = std::time::Instant::now();
        let result = self
            .call_adapter(
                run,
                name,
                op_prefix,
                operation,
                &step.exec.action,
                params,
                key,
                step.timeout,
            )
            .await;
        self.inner
            .metrics
            .execution_latency
            .get_or_create(&NameLabels {
                system: run.system.clone(),
                name: name.clone(),
            })
            .observe(started.elapsed().as_secs_f64());
        result
    }
}

/// Whether a step has no outside effect (log, code, format, loop): repeating it after a
/// crash is harmless, so its events ride along with the run's next commit.
pub(super) fn is_pure(step: &StepPlan) -> bool {
    matches!(step.exec.adapter(), "log" | "code" | "format" | "loop")
}
