//! Driving a run: fold its events into a [`RunState`], make the decisions its emitted
//! events trigger, run the next step, repeat, and finish the run with its final status.
//! Every transition is committed before the next action.

use super::lifecycle::Waited;
use super::state::RunState;
use super::{EngineError, Preloaded, Runtime, ms};
use crate::metrics::NameLabels;
use crate::slo::histogram::run_latency_ms;
use crate::store::{NewEvent, RunRecord, RunTally, Write, status};
use serde_json::{Value, json};

impl Runtime {
    pub(super) async fn commit(&self, ops: Vec<Write>) -> Result<(), EngineError> {
        self.inner.store.commit(ops).await?;
        Ok(())
    }

    /// Commits `ops` of a run after the run's pending pure work, in one batch.
    pub(super) async fn commit_run(
        &self,
        st: &mut RunState,
        ops: Vec<Write>,
    ) -> Result<(), EngineError> {
        let mut all = std::mem::take(&mut st.pending);
        all.extend(ops);
        if all.is_empty() {
            return Ok(());
        }
        self.commit(all).await
    }

    pub(super) fn event(
        &self,
        run: &RunRecord,
        kind: &str,
        step: Option<&str>,
        attempt: Option<u32>,
        data: Value,
    ) -> Write {
        Write::Event(NewEvent {
            run_id: run.id.clone(),
            system: run.system.clone(),
            at: ms(self.inner.clock.now()),
            kind: kind.to_string(),
            step: step.map(str::to_string),
            attempt: attempt.map(i64::from),
            data,
        })
    }

    /// Drives one run from wherever its events say it is.
    pub(super) async fn drive(
        &self,
        run_id: &str,
        preloaded: Option<Preloaded>,
    ) -> Result<(), EngineError> {
        let (run, events) = match preloaded {
            Some(p) => p,
            None => {
                let Some(run) = self.inner.store.run(run_id).await? else {
                    return Ok(());
                };
                let events = self.inner.store.events(run_id).await?;
                (run, events)
            }
        };
        if status::is_finished(&run.status) {
            return Ok(());
        }
        let Some(sys) = self.system(&run.system).cloned() else {
            return Ok(());
        };
        let mut st = RunState::default();
        for e in &events {
            st.apply(e);
        }
        if st.finished {
            return Ok(());
        }
        let trigger_event = sys
            .trigger(&run.trigger)
            .map(|t| t.trigger.event().to_string())
            .unwrap_or_else(|| run.trigger.clone());
        loop {
            let mut progressed = self
                .make_ready_decisions(&sys, &run, &mut st, &trigger_event)
                .await;
            let next = sys.steps.iter().find(|s| {
                st.steps.get(&s.exec.name).is_none_or(|x| x.done.is_none())
                    && s.exec.on.iter().any(|e| st.emitted.contains(e))
            });
            if let Some(step) = next {
                // A drain starts no new attempt: the run stops at this durable point and
                // resumes at the next start. A run with nothing left to do still finishes
                // (below), so an attempt that completed during the grace period is not
                // left as an unfinished run.
                if self.is_draining() {
                    self.commit_run(&mut st, Vec::new()).await?;
                    return Ok(());
                }
                match self.run_step(&sys, &run, &mut st, step).await? {
                    Waited::Elapsed => progressed = true,
                    Waited::Draining => {
                        self.commit_run(&mut st, Vec::new()).await?;
                        return Ok(());
                    }
                }
            }
            if !progressed {
                break;
            }
        }
        self.finish(&run, &mut st).await
    }

    /// Commits the run's end (`run.finished` and its final status) and counts it: failed
    /// if a step failed for good or a policy failed, else succeeded.
    async fn finish(&self, run: &RunRecord, st: &mut RunState) -> Result<(), EngineError> {
        let failed = st.steps.values().any(|s| {
            matches!(s.done, Some(Err(_))) || s.each.as_ref().is_some_and(|e| e.any_failed())
        }) || st
            .decisions
            .values()
            .any(|d| d.output.get("policy_failed") == Some(&Value::Bool(true)));
        let final_status = if failed {
            status::FAILED
        } else {
            status::SUCCEEDED
        };
        let now = ms(self.inner.clock.now());
        self.commit_run(
            st,
            vec![
                self.event(
                    run,
                    "run.finished",
                    None,
                    None,
                    json!({"status": final_status}),
                ),
                Write::SetStatus {
                    run_id: run.id.clone(),
                    status: final_status.into(),
                    finished_at: Some(now),
                },
                Write::Tally(RunTally {
                    system: run.system.clone(),
                    trigger: run.trigger.clone(),
                    received_at: run.received_at,
                    status: final_status.into(),
                    latency_ms: run_latency_ms(run.received_at, run.scheduled_at, now),
                }),
            ],
        )
        .await?;
        let secs = ((now - run.received_at).0.max(0) as f64) / 1000.0;
        self.inner
            .metrics
            .run_latency
            .get_or_create(&NameLabels {
                system: run.system.clone(),
                name: run.trigger.clone(),
            })
            .observe(secs);
        self.inner
            .metrics
            .run(&run.system, &run.trigger, final_status);
        tracing::info!(run_id = %run.id, system = %run.system, status = final_status, "run finished");
        Ok(())
    }
}
