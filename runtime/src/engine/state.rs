//! A run folded from its events (what each decision and step has done), and the scope
//! its templates and expressions read.

use crate::plan::LoadedSystem;
use crate::store::{EventRecord, RunRecord, Write};
use crate::time::UnixMillis;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

use super::{DecisionRecord, rfc3339};

/// What a step has done so far, from its events.
#[derive(Debug, Clone, Default)]
pub(super) struct StepState {
    pub(super) delay_due: Option<UnixMillis>,
    pub(super) delay_done: bool,
    pub(super) failed_attempts: u32,
    pub(super) retry_due: Option<UnixMillis>,
    pub(super) done: Option<Result<Value, String>>,
    /// A `for_each` step's items and what each has done (see `each`).
    pub(super) each: Option<super::each::EachState>,
}

/// A run folded from its events.
#[derive(Debug, Clone, Default)]
pub(super) struct RunState {
    pub(super) emitted: Vec<String>,
    pub(super) decisions: BTreeMap<String, DecisionRecord>,
    pub(super) steps: BTreeMap<String, StepState>,
    pub(super) finished: bool,
    /// Run whose step keys this run reuses (a dead-letter retry redoes the same effect).
    pub(super) key_base: Option<String>,
    /// Events of pure work (decisions, `log.*`/`code.js`/`format.*` outcomes) not committed yet:
    /// they ride along with the run's next commit. Redoing pure work after a crash has no
    /// outside effect, so it needs no commit of its own; anything with an effect commits
    /// them first (see [`Runtime::commit_run`]).
    pub(super) pending: Vec<Write>,
}

impl RunState {
    pub(super) fn emit(&mut self, e: &str) {
        if !self.emitted.iter().any(|x| x == e) {
            self.emitted.push(e.to_string());
        }
    }

    pub(super) fn apply(&mut self, ev: &EventRecord) {
        let step = ev.step.clone().unwrap_or_default();
        // A `for_each` step's per-item events carry the item's index.
        if let Some(index) = ev.data.get("index").and_then(Value::as_u64) {
            let s = self.steps.entry(step).or_default();
            s.each
                .get_or_insert_with(Default::default)
                .apply(index as usize, ev);
            return;
        }
        match ev.kind.as_str() {
            "step.loop_started" => {
                let items = ev.data.get("items").and_then(Value::as_array).cloned();
                self.steps.entry(step).or_default().each =
                    Some(super::each::EachState::new(items.unwrap_or_default()));
            }
            "trigger.received" => {
                if let Some(e) = ev.data.get("event").and_then(Value::as_str) {
                    self.emit(e);
                }
                self.key_base = ev
                    .data
                    .pointer("/origin/key_base")
                    .and_then(Value::as_str)
                    .map(str::to_string);
            }
            "decision.made" => {
                let rec: DecisionRecord = decision_from(&step, &ev.data);
                if rec.continued {
                    for e in &rec.emits {
                        self.emit(e);
                    }
                }
                self.decisions.insert(step, rec);
            }
            "step.delay_scheduled" => {
                self.steps.entry(step).or_default().delay_due = ev
                    .data
                    .get("due_at")
                    .and_then(Value::as_i64)
                    .map(UnixMillis);
            }
            "step.delay_fired" => self.steps.entry(step).or_default().delay_done = true,
            "step.attempt_failed" => {
                let s = self.steps.entry(step).or_default();
                s.failed_attempts = s.failed_attempts.max(ev.attempt.unwrap_or(1) as u32);
            }
            "step.retry_scheduled" => {
                self.steps.entry(step).or_default().retry_due = ev
                    .data
                    .get("due_at")
                    .and_then(Value::as_i64)
                    .map(UnixMillis);
            }
            "step.succeeded" => {
                self.steps.entry(step.clone()).or_default().done =
                    Some(Ok(ev.data.get("output").cloned().unwrap_or(Value::Null)));
                self.emit(&format!("{step}.succeeded"));
            }
            "step.failed" => {
                let msg = ev
                    .data
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or("failed")
                    .to_string();
                self.steps.entry(step.clone()).or_default().done = Some(Err(msg));
                self.emit(&format!("{step}.failed"));
            }
            // A digest step that released nothing: done, but the run goes no further from it.
            "step.held" => {
                self.steps.entry(step).or_default().done =
                    Some(Ok(ev.data.get("output").cloned().unwrap_or(Value::Null)));
            }
            "step.skipped" => {
                self.steps.entry(step).or_default().done = Some(Ok(Value::Null));
            }
            "run.finished" => self.finished = true,
            _ => {}
        }
    }
}

pub(super) fn decision_from(name: &str, data: &Value) -> DecisionRecord {
    DecisionRecord {
        name: name.to_string(),
        output: data.get("output").cloned().unwrap_or(Value::Null),
        continued: data
            .get("continue")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        emits: data
            .get("emits")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// Everything a template or expression can read.
pub(super) fn scope(sys: &LoadedSystem, run: &RunRecord, st: Option<&RunState>) -> Value {
    let mut m = Map::new();
    if let Value::Object(p) = &run.payload {
        for (k, v) in p {
            m.insert(k.clone(), v.clone());
        }
    }
    for (k, v) in &sys.tables {
        m.insert(k.clone(), v.clone());
    }
    m.insert("payload".into(), run.payload.clone());
    m.insert(
        "trigger".into(),
        json!({
            "name": run.trigger,
            "run_id": run.id,
            "received_at": rfc3339(run.received_at),
            "scheduled_at": run.scheduled_at.map(rfc3339).unwrap_or(Value::Null),
        }),
    );
    let mut decisions = Map::new();
    let mut steps = Map::new();
    if let Some(st) = st {
        for (k, d) in &st.decisions {
            decisions.insert(k.clone(), json!({"output": d.output}));
        }
        for (k, s) in &st.steps {
            match &s.done {
                Some(Ok(o)) => steps.insert(k.clone(), json!({"output": o, "status": "succeeded"})),
                Some(Err(e)) => steps.insert(
                    k.clone(),
                    json!({"output": null, "status": "failed", "error": e}),
                ),
                None => None,
            };
        }
    }
    m.insert("decisions".into(), Value::Object(decisions));
    m.insert("steps".into(), Value::Object(steps));
    // Templates get references, never values: `{{ secrets.x }}` renders `secret://x`.
    let secrets: Map<String, Value> = sys
        .secret_names
        .iter()
        .map(|n| (n.clone(), Value::String(format!("secret://{n}"))))
        .collect();
    m.insert("secrets".into(), Value::Object(secrets));
    Value::Object(m)
}

pub(super) fn key_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
