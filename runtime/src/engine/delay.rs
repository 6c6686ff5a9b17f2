//! A step's durable delay: `delay:` on any step, `delay.wait` (the duration a parameter) and
//! `delay.queue` (a turn taken in a named queue). The scheduled event is the durable timer a
//! resumed run reads back; the fired event says the wait is over.

use super::lifecycle::Waited;
use super::state::{RunState, StepState, scope};
use super::{EngineError, Runtime, ms, rfc3339};
use crate::plan::{DelayPlan, LoadedSystem, StepPlan};
use crate::store::RunRecord;
use crate::time::{Millis, UnixMillis};
use chrono::DateTime;
use serde_json::{Value, json};

impl Runtime {
    /// Waits out the step's durable delay, if it has one not yet fired (also `delay.wait`,
    /// whose duration is a parameter): schedules it once (its event is the durable timer a
    /// resumed run reads back), waits, and records that it fired.
    pub(super) async fn wait_delay(
        &self,
        sys: &LoadedSystem,
        run: &RunRecord,
        st: &mut RunState,
        step: &StepPlan,
        ss: &StepState,
    ) -> Result<Waited, EngineError> {
        let name = &step.exec.name;
        // Durable delay (also `delay.wait`, whose duration is a parameter).
        let delay = match (&step.delay, step.exec.action.as_str()) {
            (Some(d), _) => Some(d.clone()),
            (None, "delay.wait") => step
                .exec
                .with
                .get("duration")
                .and_then(Value::as_str)
                .and_then(|d| claw_language::units::parse_duration(d).ok())
                .map(DelayPlan::For),
            _ => None,
        };
        let Some(delay) = delay.filter(|_| !ss.delay_done) else {
            return Ok(Waited::Elapsed);
        };
        {
            let due = match ss.delay_due {
                Some(d) => d,
                None => {
                    let now = self.inner.clock.now();
                    let due = match &delay {
                        DelayPlan::For(d) => ms(now) + Millis(d.as_millis() as i64),
                        DelayPlan::Queue(spacing) => {
                            let (scope, queue) = queue_of(sys, run, st, step);
                            self.inner
                                .store
                                .take_queue_slot(
                                    &scope,
                                    &queue,
                                    ms(now),
                                    Millis(spacing.as_millis() as i64),
                                )
                                .await?
                        }
                        DelayPlan::Until(t) => {
                            let sc = scope(sys, run, Some(st));
                            claw_language::expr::render_template(t, &sc)
                                .ok()
                                .and_then(|v| {
                                    v.as_str()
                                        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                                })
                                .map(|t| UnixMillis(t.timestamp_millis()))
                                .unwrap_or(ms(now))
                        }
                    };
                    // The event is the durable timer: a resumed run reads its due time back.
                    self.commit_run(
                        st,
                        vec![self.event(
                            run,
                            "step.delay_scheduled",
                            Some(name),
                            None,
                            json!({"due_at": due, "due": rfc3339(due)}),
                        )],
                    )
                    .await?;
                    st.steps.entry(name.clone()).or_default().delay_due = Some(due);
                    due
                }
            };
            if let Waited::Draining = self.wait_until(due).await {
                return Ok(Waited::Draining);
            }
            self.commit_run(
                st,
                vec![self.event(run, "step.delay_fired", Some(name), None, json!({}))],
            )
            .await?;
            st.steps.entry(name.clone()).or_default().delay_done = true;
        }
        Ok(Waited::Elapsed)
    }
}

/// The queue a `delay.queue` step waits in: its `queue` parameter rendered for this run
/// (shared by every system that names it, as Zapier's queue title is), or, without one (or
/// when it renders empty), the step itself within its system.
fn queue_of(
    sys: &LoadedSystem,
    run: &RunRecord,
    st: &RunState,
    step: &StepPlan,
) -> (String, String) {
    let named = step.exec.with.get("queue").and_then(|q| match q {
        Value::String(t) if t.contains("{{") => {
            let sc = scope(sys, run, Some(st));
            claw_language::expr::render_template(t, &sc)
                .ok()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
        }
        Value::String(t) => Some(t.clone()),
        other => Some(other.to_string()),
    });
    match named.filter(|q| !q.trim().is_empty()) {
        Some(q) => ("*".to_string(), q),
        None => (sys.system.system.clone(), step.exec.name.clone()),
    }
}
