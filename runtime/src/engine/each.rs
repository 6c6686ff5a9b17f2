//! A `for_each` step: the list is resolved once and recorded (`step.loop_started`), then
//! each item runs in order as a durable unit of its own: its own idempotency key (the
//! step's key and the item's index), attempts, retries and dead letter, and its own
//! terminal event (`step.item_succeeded`, `step.item_failed`, `step.item_skipped`), every
//! one carrying `index`. A success is committed together with the next item's start (before
//! that item's call). A resumed run reads those back, so an item whose end is committed is
//! never run again and an item that was in flight is repeated with the same key. The step ends with
//! `step.succeeded` whose output lists every item's output.

use super::lifecycle::Waited;
use super::state::{RunState, scope};
use super::step::is_pure;
use super::{EngineError, Runtime, ms, rfc3339};
use crate::adapters::AdapterError;
use crate::codes;
use crate::plan::{LoadedSystem, StepPlan, backoff_delay};
use crate::store::{EventRecord, RunRecord};
use crate::time::{Millis, UnixMillis};
use claw_language::model::{DEFAULT_MAX_ITEMS, ItemFailure};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// How one item ended.
#[derive(Debug, Clone)]
pub(super) enum ItemEnd {
    /// The adapter's output.
    Succeeded(Value),
    /// The last attempt's error.
    Failed(String),
    /// Not run (the reason is in its `step.item_skipped` event).
    Skipped,
}

/// What a `for_each` step has done so far, folded from its events.
#[derive(Debug, Clone, Default)]
pub(super) struct EachState {
    /// The list as recorded when the loop started.
    items: Vec<Value>,
    /// Items that reached an end, by index.
    ended: BTreeMap<usize, ItemEnd>,
    /// Failed attempts and the due retry of the item in progress, by index.
    failed_attempts: BTreeMap<usize, (u32, Option<UnixMillis>)>,
}

impl EachState {
    pub(super) fn new(items: Vec<Value>) -> EachState {
        EachState {
            items,
            ..EachState::default()
        }
    }

    /// Folds one per-item event (its data carries `index`).
    pub(super) fn apply(&mut self, index: usize, ev: &EventRecord) {
        let text = |k: &str| {
            ev.data
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("failed")
                .to_string()
        };
        match ev.kind.as_str() {
            "step.item_succeeded" => {
                let out = ev.data.get("output").cloned().unwrap_or(Value::Null);
                self.ended.insert(index, ItemEnd::Succeeded(out));
            }
            "step.item_failed" => {
                self.ended.insert(index, ItemEnd::Failed(text("error")));
            }
            "step.item_skipped" => {
                self.ended.insert(index, ItemEnd::Skipped);
            }
            "step.attempt_failed" => {
                let e = self.failed_attempts.entry(index).or_default();
                e.0 = e.0.max(ev.attempt.unwrap_or(1) as u32);
            }
            "step.retry_scheduled" => {
                let due = ev
                    .data
                    .get("due_at")
                    .and_then(Value::as_i64)
                    .map(UnixMillis);
                self.failed_attempts.entry(index).or_default().1 = due;
            }
            _ => {}
        }
    }

    /// Whether an item failed for good (the run then ends failed, though the step itself
    /// succeeds under `on_item_failure: continue`).
    pub(super) fn any_failed(&self) -> bool {
        self.ended.values().any(|e| matches!(e, ItemEnd::Failed(_)))
    }

    /// Whether item `index` did not succeed (failed or skipped).
    fn fell_through(&self, index: usize) -> bool {
        matches!(
            self.ended.get(&index),
            Some(ItemEnd::Failed(_) | ItemEnd::Skipped)
        )
    }
}

/// Resolves a `for_each` list: the expression's value, checked to be a list within the cap.
fn resolve_items(
    sys: &LoadedSystem,
    run: &RunRecord,
    st: &RunState,
    step: &StepPlan,
) -> Result<Vec<Value>, String> {
    let Some(expr) = &step.for_each else {
        return Ok(Vec::new());
    };
    let name = &step.exec.name;
    let cap = step.exec.max_items.unwrap_or(DEFAULT_MAX_ITEMS) as usize;
    match expr.eval(&scope(sys, run, Some(st))) {
        Ok(Value::Array(items)) if items.len() > cap => Err(format!(
            "{}: the for_each list of `{name}` has {} items, more than max_items ({cap})",
            codes::LOOP_TOO_MANY_ITEMS.id,
            items.len()
        )),
        Ok(Value::Array(items)) => Ok(items),
        Ok(other) => Err(format!(
            "{}: the for_each expression of `{name}` gave {}, not a list",
            codes::LOOP_NOT_A_LIST.id,
            kind_of(&other)
        )),
        Err(e) => Err(format!(
            "{}: the for_each expression of `{name}` failed: {}",
            codes::LOOP_NOT_A_LIST.id,
            e.message
        )),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// The scope the items' templates read: the run's scope, built once per loop (nothing it
/// holds changes while the step's items run), plus `each` for the current item (`loop` is a
/// reserved word in CEL). Rebuilding the whole scope per item made a loop quadratic in the
/// payload's size.
struct LoopScope {
    scope: Value,
    items: Vec<Value>,
}

impl LoopScope {
    fn new(scope: Value, items: Vec<Value>) -> LoopScope {
        LoopScope { scope, items }
    }

    /// The scope of item `index`.
    fn at(&mut self, index: usize) -> &Value {
        let each = json!({
            "item": self.items.get(index).cloned().unwrap_or(Value::Null),
            "index": index,
            "iteration": index + 1,
            "count": self.items.len(),
        });
        if let Value::Object(m) = &mut self.scope {
            m.insert("each".into(), each);
        }
        &self.scope
    }
}

/// Why item `index` of `step` is not run: a `for_each` step it chains after (by
/// `<step>.succeeded`) did not succeed for the same item, as Zapier stops an iteration at
/// its first failure.
fn upstream_fell_through(st: &RunState, step: &StepPlan, index: usize) -> Option<String> {
    step.exec.on.iter().find_map(|e| {
        let up = e.strip_suffix(".succeeded")?;
        let each = st.steps.get(up)?.each.as_ref()?;
        each.fell_through(index)
            .then(|| format!("item {index} of `{up}` did not succeed"))
    })
}

impl Runtime {
    /// Runs a `for_each` step item by item, in order, to its end (or returns `Draining` at
    /// a durable point).
    pub(super) async fn run_each(
        &self,
        sys: &LoadedSystem,
        run: &RunRecord,
        st: &mut RunState,
        step: &StepPlan,
    ) -> Result<Waited, EngineError> {
        let name = step.exec.name.clone();
        let items = match st.steps.get(&name).and_then(|s| s.each.as_ref()) {
            Some(each) => each.items.clone(),
            None => match resolve_items(sys, run, st, step) {
                Ok(items) => {
                    // The list is recorded so a resumed run loops over the same items even
                    // when the expression would now give another list.
                    let data = json!({"count": items.len(), "items": items});
                    let ev = self.event(run, "step.loop_started", Some(&name), None, data);
                    st.pending.push(ev);
                    st.steps.entry(name.clone()).or_default().each =
                        Some(EachState::new(items.clone()));
                    items
                }
                Err(msg) => {
                    let err = AdapterError::permanent(msg);
                    return self.fail_step(sys, run, st, step, 1, err).await;
                }
            },
        };
        let stop_on_failure = step.exec.on_item_failure == Some(ItemFailure::Stop);
        let count = items.len();
        let mut ls = LoopScope::new(scope(sys, run, Some(st)), items);
        let mut stopped_by: Option<usize> = None;
        for index in 0..count {
            let ended = self.item_end(st, &name, index);
            if let Some(end) = ended {
                if matches!(end, ItemEnd::Failed(_)) && stop_on_failure {
                    stopped_by = stopped_by.or(Some(index));
                }
                continue;
            }
            let skip = match stopped_by {
                Some(i) => Some(format!(
                    "item {i} failed and the step has on_item_failure: stop"
                )),
                None => upstream_fell_through(st, step, index),
            };
            if let Some(reason) = skip {
                let data = json!({"index": index, "reason": reason});
                st.pending
                    .push(self.event(run, "step.item_skipped", Some(&name), None, data));
                self.set_item_end(st, &name, index, ItemEnd::Skipped);
                continue;
            }
            if self.is_draining() {
                self.commit_run(st, Vec::new()).await?;
                return Ok(Waited::Draining);
            }
            match self.run_item(sys, run, st, step, index, &mut ls).await? {
                None => return Ok(Waited::Draining),
                Some(false) if stop_on_failure => stopped_by = Some(index),
                Some(_) => {}
            }
        }
        self.end_each(sys, run, st, step, stopped_by).await
    }

    fn item_end(&self, st: &RunState, name: &str, index: usize) -> Option<ItemEnd> {
        st.steps
            .get(name)?
            .each
            .as_ref()?
            .ended
            .get(&index)
            .cloned()
    }

    fn set_item_end(&self, st: &mut RunState, name: &str, index: usize, end: ItemEnd) {
        if let Some(each) = st.steps.get_mut(name).and_then(|s| s.each.as_mut()) {
            each.ended.insert(index, end);
        }
    }

    /// Ends the step: `step.succeeded` with every item's output (null for an item that
    /// failed or was skipped), or `step.failed` when `on_item_failure: stop` cut it short.
    async fn end_each(
        &self,
        sys: &LoadedSystem,
        run: &RunRecord,
        st: &mut RunState,
        step: &StepPlan,
        stopped_by: Option<usize>,
    ) -> Result<Waited, EngineError> {
        let name = &step.exec.name;
        let each = st
            .steps
            .get(name)
            .and_then(|s| s.each.clone())
            .unwrap_or_default();
        if let Some(i) = stopped_by {
            let why = match each.ended.get(&i) {
                Some(ItemEnd::Failed(e)) => e.clone(),
                _ => "failed".to_string(),
            };
            let msg = format!("item {i} failed ({why}); on_item_failure: stop skipped the rest");
            return self
                .fail_step(sys, run, st, step, 1, AdapterError::permanent(msg))
                .await;
        }
        let mut outputs = Vec::with_capacity(each.items.len());
        let (mut failed, mut skipped) = (Vec::new(), Vec::new());
        for i in 0..each.items.len() {
            match each.ended.get(&i) {
                Some(ItemEnd::Succeeded(o)) => outputs.push(o.clone()),
                Some(ItemEnd::Failed(_)) => {
                    failed.push(i);
                    outputs.push(Value::Null);
                }
                _ => {
                    skipped.push(i);
                    outputs.push(Value::Null);
                }
            }
        }
        let output = json!({
            "count": each.items.len(),
            "items": outputs,
            "failed": failed,
            "skipped": skipped,
        });
        self.finish_step(run, st, step, 1, Ok(output), Vec::new(), Vec::new())
            .await
    }

    /// The key of one item: the step's key (its `idempotency` expression, which may read
    /// `each`, or the run's key base and the step name) and the item's index.
    fn item_key(
        &self,
        run: &RunRecord,
        st: &RunState,
        step: &StepPlan,
        sc: &Value,
        index: usize,
    ) -> Result<String, String> {
        let base = self.key_in(run, st, step, || sc.clone())?;
        Ok(format!("{base}#{index}"))
    }

    /// Runs item `index` to its end: attempts with retries and back-off, then
    /// `step.item_succeeded` or `step.item_failed` (dead-lettered if the step says so).
    /// `None`: draining while waiting for a retry; `Some(succeeded)` otherwise.
    async fn run_item(
        &self,
        sys: &LoadedSystem,
        run: &RunRecord,
        st: &mut RunState,
        step: &StepPlan,
        index: usize,
        ls: &mut LoopScope,
    ) -> Result<Option<bool>, EngineError> {
        let name = step.exec.name.clone();
        let (failed_before, retry_due) = st
            .steps
            .get(&name)
            .and_then(|s| s.each.as_ref())
            .and_then(|e| e.failed_attempts.get(&index).copied())
            .unwrap_or_default();
        if let Some(due) = retry_due.filter(|_| failed_before > 0)
            && let Waited::Draining = self.wait_until(due).await
        {
            return Ok(None);
        }
        let mut attempt = failed_before + 1;
        loop {
            let sc = ls.at(index);
            let prepared = step
                .params
                .render(sc)
                .map_err(|e| format!("rendering the parameters of `{name}`: {}", e.message))
                .and_then(|p| Ok((p, self.item_key(run, st, step, sc, index)?)));
            let (params, key) = match prepared {
                Ok(x) => x,
                Err(msg) => {
                    let err = AdapterError::permanent(msg);
                    self.fail_item(sys, run, st, step, index, attempt, err)
                        .await?;
                    return Ok(Some(false));
                }
            };
            let started = json!({"index": index, "action": step.exec.action, "idempotency_key": key, "params": params});
            let ev = self.event(
                run,
                "step.attempt_started",
                Some(&name),
                Some(attempt),
                started,
            );
            if is_pure(step) {
                st.pending.push(ev);
            } else {
                self.commit_run(st, vec![ev]).await?;
            }
            let err = match self.call_timed(run, step, params, key).await {
                Ok(output) => {
                    let mut ops = vec![self.event(
                        run,
                        "step.item_succeeded",
                        Some(&name),
                        Some(attempt),
                        json!({"index": index, "output": output}),
                    )];
                    ops.extend(self.published(run, step, &output));
                    // The end rides along with the next commit (the next item's start, which
                    // precedes its call, or the step's end): one commit per item instead of
                    // two. A crash before it repeats this item's call with the same key, as a
                    // crash during the call would.
                    st.pending.extend(ops);
                    self.inner
                        .metrics
                        .step(&run.system, &name, "item_succeeded");
                    self.set_item_end(st, &name, index, ItemEnd::Succeeded(output));
                    return Ok(Some(true));
                }
                Err(err) => err,
            };
            self.inner
                .metrics
                .step(&run.system, &name, "attempt_failed");
            tracing::warn!(run_id = %run.id, step = %name, index, attempt, error = %err.message, "item attempt failed");
            let mut ops = vec![self.event(
                run,
                "step.attempt_failed",
                Some(&name),
                Some(attempt),
                json!({"index": index, "error": err.message, "retryable": err.retryable}),
            )];
            if !(err.retryable && attempt < step.attempts) {
                self.commit_run(st, ops).await?;
                self.fail_item(sys, run, st, step, index, attempt, err)
                    .await?;
                return Ok(Some(false));
            }
            let due = ms(self.inner.clock.now())
                + Millis(backoff_delay(&step.backoff, attempt).as_millis() as i64);
            ops.push(self.event(
                run,
                "step.retry_scheduled",
                Some(&name),
                Some(attempt + 1),
                json!({"index": index, "due_at": due, "due": rfc3339(due)}),
            ));
            self.commit_run(st, ops).await?;
            self.inner.metrics.step(&run.system, &name, "retried");
            if let Waited::Draining = self.wait_until(due).await {
                return Ok(None);
            }
            attempt += 1;
        }
    }

    /// Records that item `index` failed for good, dead-lettering it (as `<step>[<index>]`)
    /// when the step has a dead letter.
    #[allow(clippy::too_many_arguments)]
    async fn fail_item(
        &self,
        sys: &LoadedSystem,
        run: &RunRecord,
        st: &mut RunState,
        step: &StepPlan,
        index: usize,
        attempt: u32,
        err: AdapterError,
    ) -> Result<(), EngineError> {
        let name = &step.exec.name;
        let mut ops = self.dead_letter_writes(sys, run, step, attempt, &err.message, Some(index));
        ops.push(self.event(
            run,
            "step.item_failed",
            Some(name),
            Some(attempt),
            json!({"index": index, "error": err.message, "attempts": attempt}),
        ));
        self.commit_run(st, ops).await?;
        self.inner.metrics.step(&run.system, name, "item_failed");
        if step.exec.dead_letter.is_some() {
            self.refresh_dlq_gauge().await;
        }
        tracing::error!(run_id = %run.id, step = %name, index, attempt, error = %err.message, "item failed");
        self.set_item_end(st, name, index, ItemEnd::Failed(err.message));
        Ok(())
    }
}
