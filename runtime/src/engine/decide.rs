//! Making a decision: a `when` condition, `rules` with a default, a CEL expression or a
//! JavaScript policy evaluated over the run's scope, giving the output and the events the
//! decision emits (or a stop).

use super::state::{RunState, scope};
use super::{DecisionRecord, Runtime};
use crate::plan::{DecisionLogic, LoadedSystem};
use crate::store::{EventRecord, RunRecord};
use crate::time::UnixMillis;
use serde_json::{Map, Value, json};

impl Runtime {
    pub(super) async fn decide(
        &self,
        sys: &LoadedSystem,
        run: &RunRecord,
        st: &RunState,
        d: &crate::plan::DecisionPlan,
    ) -> DecisionRecord {
        let sc = scope(sys, run, Some(st));
        let stop = |output: Value| DecisionRecord {
            name: d.name.clone(),
            output,
            continued: false,
            emits: Vec::new(),
        };
        let go = |output: Value, emits: Vec<String>| DecisionRecord {
            name: d.name.clone(),
            output,
            continued: true,
            emits,
        };
        let from_value = |v: Value| match v {
            Value::Null | Value::Bool(false) => stop(v),
            other => go(other, d.emits.clone()),
        };
        match &d.logic {
            DecisionLogic::When(c) => match c.eval_bool(&sc) {
                Ok(true) => go(json!({"continue": true}), d.emits.clone()),
                Ok(false) => stop(json!({"continue": false})),
                Err(e) => stop(json!({"error": e.message})),
            },
            DecisionLogic::Rules(rules, default) => {
                for (i, (c, then, emit)) in rules.iter().enumerate() {
                    match c.eval_bool(&sc) {
                        Ok(true) => {
                            let mut out: Map<String, Value> =
                                then.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                            out.insert("rule".into(), json!(i + 1));
                            let emits = emit
                                .clone()
                                .map(|e| vec![e])
                                .unwrap_or_else(|| d.emits.clone());
                            return go(Value::Object(out), emits);
                        }
                        Ok(false) => {}
                        Err(e) => return stop(json!({"error": e.message, "rule": i + 1})),
                    }
                }
                match default {
                    Some(def) if def.emit.is_some() || !def.then.is_empty() => {
                        let out: Map<String, Value> = def
                            .then
                            .iter()
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect();
                        let emits = def
                            .emit
                            .clone()
                            .map(|e| vec![e])
                            .unwrap_or_else(|| d.emits.clone());
                        go(Value::Object(out), emits)
                    }
                    _ => stop(json!({"rule": null})),
                }
            }
            DecisionLogic::Cel(c) => match c.eval(&sc) {
                Ok(Value::Bool(true)) => go(json!({"continue": true}), d.emits.clone()),
                Ok(v) => from_value(v),
                Err(e) => stop(json!({"error": e.message})),
            },
            DecisionLogic::Js(src) => {
                let src = src.clone();
                let input = sc.clone();
                let r = tokio::task::spawn_blocking(move || {
                    crate::sandbox::run(&src, &input, crate::sandbox::Limits::default())
                })
                .await;
                // A policy that throws or hits its limits is a bug in the policy, not a
                // "no": its branch stops and the run fails, so `claw runs --status failed`
                // and the error-rate SLO show it. (An expression reading a missing field
                // is a plain "no", as in the legacy filters it was imported from.)
                match r {
                    Ok(Ok(Value::Bool(true))) => go(json!({"continue": true}), d.emits.clone()),
                    Ok(Ok(v)) => from_value(v),
                    Ok(Err(e)) => stop(json!({"error": e.to_string(), "policy_failed": true})),
                    Err(e) => stop(json!({"error": e.to_string(), "policy_failed": true})),
                }
            }
        }
    }

    /// Makes every decision the run's emitted events trigger and that is not made yet;
    /// returns whether any was made. The `decision.made` events are deterministic and have
    /// no effect, so they wait in `st.pending` for the run's next commit.
    pub(super) async fn make_ready_decisions(
        &self,
        sys: &LoadedSystem,
        run: &RunRecord,
        st: &mut RunState,
        trigger_event: &String,
    ) -> bool {
        let mut progressed = false;
        for d in &sys.decisions {
            if st.decisions.contains_key(&d.name) {
                continue;
            }
            let triggered = if d.on.is_empty() {
                st.emitted.contains(trigger_event)
            } else {
                d.on.iter().any(|e| st.emitted.contains(e))
            };
            if !triggered {
                continue;
            }
            let rec = self.decide(sys, run, st, d).await;
            let data = json!({"output": rec.output, "continue": rec.continued, "emits": rec.emits});
            let op = self.event(run, "decision.made", Some(&d.name), None, data.clone());
            // Deterministic, no effect: committed with the run's next commit.
            st.pending.push(op);
            tracing::info!(run_id = %run.id, step = %d.name, continued = rec.continued, "decision made");
            st.apply(&EventRecord {
                seq: 0,
                run_id: run.id.clone(),
                system: run.system.clone(),
                at: UnixMillis(0),
                kind: "decision.made".into(),
                step: Some(d.name.clone()),
                attempt: None,
                data,
            });
            progressed = true;
        }
        progressed
    }
}
