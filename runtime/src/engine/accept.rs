//! Accepting a trigger: the run's id and idempotency key, its first events, and the one
//! durable commit that stores them (a duplicate key answers with the first run).
//!
//! [`Runtime::accept`] (in the engine's facade) calls [`Runtime::accept_inner`] here and
//! then starts the run task; the commit and the start are two steps.

use super::lifecycle::Registration;
use super::state::{key_string, scope};
use super::{EngineError, Preloaded, Runtime, StartOptions, ms, rfc3339};
use crate::plan::{LoadedSystem, TriggerPlan};
use crate::store::{Accepted, EventRecord, NewEvent, NewRun, RunRecord, StoreError, Write, status};
use claw_language::model::Source;
use serde_json::{Value, json};

impl Runtime {
    /// Commits a trigger as a new run (or finds the run that holds its key). For a fresh
    /// run, also returns what the run task would read back, so it needs no round trip.
    pub(super) async fn accept_inner(
        &self,
        system: &str,
        trigger: &str,
        payload: Value,
        opts: StartOptions,
    ) -> Result<(Accepted, Option<Preloaded>), EngineError> {
        if self.is_draining() {
            return Err(EngineError::Draining);
        }
        let sys = self
            .system(system)
            .cloned()
            .ok_or_else(|| EngineError::UnknownSystem(system.to_string()))?;
        let plan = sys
            .trigger(trigger)
            .ok_or_else(|| EngineError::UnknownTrigger {
                system: system.to_string(),
                trigger: trigger.to_string(),
            })?;
        let now = ms(self.inner.clock.now());
        // Time-ordered (UUIDv7), not random: new runs land at the right edge of the run-id
        // indexes (runs' primary key, events by run), so a group commit dirties a few
        // index pages instead of one random page per run.
        let id = uuid::Uuid::now_v7().to_string();
        let mut run = NewRun {
            id,
            system: system.to_string(),
            trigger: trigger.to_string(),
            idempotency_key: String::new(),
            payload,
            received_at: now,
            scheduled_at: opts.scheduled_at.map(ms),
        };
        run.idempotency_key = idempotency_key(&sys, plan, &run, &opts)?;
        let first = first_event(&run, plan, &opts);
        let reused = reused_decisions(&run, &opts);
        let preloaded = preload(&run, &first, &reused);
        // Driven from before the commit: the watchdog must never see this run committed and
        // without a driver.
        let registration = Registration::new(&self.inner, &run.id);
        let mut writes = vec![Write::Accept(run, first)];
        writes.extend(reused.into_iter().map(Write::Event));
        let acc = self
            .inner
            .store
            .commit(writes)
            .await?
            .into_iter()
            .next()
            .ok_or(EngineError::Store(StoreError::WriterGone))?;
        // A duplicate's reused-decision events must not attach to the first run.
        if acc.duplicate && !opts.reuse_decisions.is_empty() {
            tracing::warn!(system, trigger, run_id = %acc.run_id, "duplicate replay key; first run kept");
        }
        let outcome = if acc.duplicate {
            "duplicate"
        } else {
            "accepted"
        };
        self.inner.metrics.run(system, trigger, outcome);
        let fresh = (!acc.duplicate).then_some(preloaded);
        if fresh.is_some() {
            // The caller starts the driver at once, without awaiting in between.
            registration.handed_over();
        }
        Ok((acc, fresh))
    }
}

/// The run's deduplication key: the caller's override, else the trigger's idempotency
/// expression over the payload, else the fire time of a schedule trigger, else the run id
/// (no deduplication).
fn idempotency_key(
    sys: &LoadedSystem,
    plan: &TriggerPlan,
    run: &NewRun,
    opts: &StartOptions,
) -> Result<String, EngineError> {
    if let Some(k) = &opts.key {
        return Ok(k.clone());
    }
    let Some(expr) = &plan.idempotency else {
        return Ok(match (plan.trigger.source, run.scheduled_at) {
            (Source::Schedule, Some(t)) => key_string(&rfc3339(t)),
            _ => run.id.clone(),
        });
    };
    let v = expr
        .eval(&scope(sys, &run_record(run), None))
        .map_err(|e| EngineError::BadKey {
            trigger: run.trigger.clone(),
            message: e.message,
        })?;
    if v.is_null() {
        return Err(EngineError::BadKey {
            trigger: run.trigger.clone(),
            message: format!("`{}` gave null", expr.source()),
        });
    }
    Ok(key_string(&v))
}

/// The run as the run index will hold it right after the commit.
fn run_record(run: &NewRun) -> RunRecord {
    RunRecord {
        id: run.id.clone(),
        system: run.system.clone(),
        trigger: run.trigger.clone(),
        idempotency_key: run.idempotency_key.clone(),
        status: status::RUNNING.into(),
        payload: run.payload.clone(),
        received_at: run.received_at,
        scheduled_at: run.scheduled_at,
        finished_at: None,
    }
}

/// `trigger.received`, the run's first event.
fn first_event(run: &NewRun, plan: &TriggerPlan, opts: &StartOptions) -> NewEvent {
    NewEvent {
        run_id: run.id.clone(),
        system: run.system.clone(),
        at: run.received_at,
        kind: "trigger.received".into(),
        step: None,
        attempt: None,
        data: json!({
            "trigger": run.trigger,
            "event": plan.trigger.event(),
            "idempotency_key": run.idempotency_key,
            "origin": opts.origin,
        }),
    }
}

/// `decision.made` events for the decisions a replay or DLQ retry reuses, marked `reused`.
fn reused_decisions(run: &NewRun, opts: &StartOptions) -> Vec<NewEvent> {
    opts.reuse_decisions
        .iter()
        .map(|(name, data)| {
            let mut d = data.clone();
            if let Value::Object(m) = &mut d {
                m.insert("reused".into(), Value::Bool(true));
            }
            NewEvent {
                run_id: run.id.clone(),
                system: run.system.clone(),
                at: run.received_at,
                kind: "decision.made".into(),
                step: Some(name.clone()),
                attempt: None,
                data: d,
            }
        })
        .collect()
}

/// What the run task would read back after the commit: the run and its first events.
fn preload(run: &NewRun, first: &NewEvent, reused: &[NewEvent]) -> Preloaded {
    let events = std::iter::once(first)
        .chain(reused)
        .map(|e| EventRecord {
            seq: 0,
            run_id: e.run_id.clone(),
            system: e.system.clone(),
            at: e.at,
            kind: e.kind.clone(),
            step: e.step.clone(),
            attempt: e.attempt,
            data: e.data.clone(),
        })
        .collect();
    (run_record(run), events)
}
