//! The engine: accepts triggers, and drives each run as a state machine rebuilt from its
//! events.
//!
//! A run task reads the run's events, folds them into a [`RunState`], and continues from
//! there: decisions already made are not made again, steps already finished are not run
//! again, a delay or retry already scheduled keeps its due time. Every transition is
//! committed before the next action, so after a crash (kill -9) a restart resumes every
//! accepted run, and an attempt that was in flight is repeated with the same idempotency
//! key.
//!
//! Here: the runtime's API (accept, simulate, resume, drain) and driving a run through its
//! decisions. `state` folds events into a run's state and builds the scope expressions read;
//! `step` executes one step (delay, attempts, retries, dead letters); `summary` holds the
//! read-only views over stored runs.

use crate::adapters::{Adapters, RecordedCall, RecordingAdapter};
use crate::metrics::{Metrics, NameLabels};
use crate::plan::{DecisionLogic, LoadedSystem};
use crate::secrets::Secrets;
use crate::store::{
    Accepted, EventRecord, EventStore, NewEvent, NewRun, RunRecord, StoreError, Write, status,
};
use chrono::{DateTime, TimeZone, Utc};
use claw_language::model::Source;
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{Notify, watch};

mod state;
mod step;
mod summary;

use state::{RunState, decision_from, key_string, scope};
pub use summary::{StatusSummary, decisions_of, step_names, summarize};

/// Errors the engine reports to callers.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// No such system.
    #[error("no system named `{0}` is loaded")]
    UnknownSystem(String),
    /// No such trigger.
    #[error("system `{system}` has no trigger `{trigger}`")]
    UnknownTrigger {
        /// System.
        system: String,
        /// Trigger.
        trigger: String,
    },
    /// The idempotency expression failed on this payload.
    #[error("trigger `{trigger}`: the idempotency expression failed on this payload: {message}")]
    BadKey {
        /// Trigger.
        trigger: String,
        /// Why.
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The runtime is draining and accepts no new work.
    #[error("the runtime is shutting down")]
    Draining,
}

/// A source of the current time, injectable for tests.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Whether adapters act or only record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Adapters do real work.
    Live,
    /// Adapters record what they would have done (`--dry-run`, shadow mode); delays and
    /// back-offs are recorded, not waited.
    RecordOnly,
}

/// How to start a run beyond its payload.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// Fire time of a schedule trigger.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Overrides the computed idempotency key.
    pub key: Option<String>,
    /// Decisions to reuse (replay): name → recorded `decision.made` data.
    pub reuse_decisions: BTreeMap<String, Value>,
    /// Where this run came from (replay/backfill), recorded on `trigger.received`.
    pub origin: Option<Value>,
}

/// A decision as made (or reused).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionRecord {
    /// Decision name.
    pub name: String,
    /// Output.
    pub output: Value,
    /// Whether the run continued.
    #[serde(rename = "continue")]
    pub continued: bool,
    /// Events emitted.
    pub emits: Vec<String>,
}

/// What one run did, for record-only callers (shadow mode, dry runs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Simulation {
    /// Run id.
    pub run_id: String,
    /// Final status.
    pub status: String,
    /// Decisions in order.
    pub decisions: Vec<DecisionRecord>,
    /// Calls adapters would have made, in order.
    pub calls: Vec<RecordedCall>,
}

struct Inner {
    store: Arc<dyn EventStore>,
    systems: BTreeMap<String, Arc<LoadedSystem>>,
    adapters: Adapters,
    recorder: Option<Arc<RecordingAdapter>>,
    secrets: Secrets,
    mode: Mode,
    clock: Arc<dyn Clock>,
    metrics: Metrics,
    draining: watch::Sender<bool>,
    inflight: AtomicUsize,
    idle: Notify,
}

/// The runtime: loaded systems over an event store.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("systems", &self.inner.systems.keys().collect::<Vec<_>>())
            .field("mode", &self.inner.mode)
            .finish()
    }
}

/// Builder for [`Runtime`].
pub struct RuntimeBuilder {
    store: Arc<dyn EventStore>,
    systems: Vec<LoadedSystem>,
    adapters: Adapters,
    secrets: Secrets,
    mode: Mode,
    clock: Arc<dyn Clock>,
}

impl RuntimeBuilder {
    /// Adds a system.
    pub fn system(mut self, s: LoadedSystem) -> Self {
        self.systems.push(s);
        self
    }
    /// Replaces the adapter registry.
    pub fn adapters(mut self, a: Adapters) -> Self {
        self.adapters = a;
        self
    }
    /// Secret source.
    pub fn secrets(mut self, s: Secrets) -> Self {
        self.secrets = s;
        self
    }
    /// Live or record-only.
    pub fn mode(mut self, m: Mode) -> Self {
        self.mode = m;
        self
    }
    /// Clock.
    pub fn clock(mut self, c: Arc<dyn Clock>) -> Self {
        self.clock = c;
        self
    }
    /// Builds the runtime and saves each system's source in the store.
    pub async fn build(self) -> Result<Runtime, EngineError> {
        let recorder =
            (self.mode == Mode::RecordOnly).then(|| Arc::new(RecordingAdapter::default()));
        let now = self.clock.now().timestamp_millis();
        let mut systems = BTreeMap::new();
        for s in self.systems {
            if self.mode == Mode::Live {
                self.store
                    .save_source(s.name(), &s.path.display().to_string(), &s.source, now)
                    .await?;
            }
            systems.insert(s.name().to_string(), Arc::new(s));
        }
        let (draining, _) = watch::channel(false);
        Ok(Runtime {
            inner: Arc::new(Inner {
                store: self.store,
                systems,
                adapters: self.adapters,
                recorder,
                secrets: self.secrets,
                mode: self.mode,
                clock: self.clock,
                metrics: Metrics::default(),
                draining,
                inflight: AtomicUsize::new(0),
                idle: Notify::new(),
            }),
        })
    }
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn rfc3339(ms: i64) -> Value {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(t) => Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        None => Value::Null,
    }
}

/// A run and its events, as the run task would read them back.
type Preloaded = (RunRecord, Vec<EventRecord>);

struct InflightGuard(Arc<Inner>);

impl Drop for InflightGuard {
    fn drop(&mut self) {
        if self.0.inflight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// How a wait ended.
enum Waited {
    Elapsed,
    Draining,
}

impl Runtime {
    /// Starts building a runtime over `store`.
    pub fn builder(store: Arc<dyn EventStore>) -> RuntimeBuilder {
        RuntimeBuilder {
            store,
            systems: Vec::new(),
            adapters: Adapters::builtin(),
            secrets: Secrets::from_env(),
            mode: Mode::Live,
            clock: Arc::new(SystemClock),
        }
    }

    /// A record-only runtime over a private in-memory SQLite store: adapters record what
    /// they would do; nothing leaves the process. Shadow mode and `--dry-run` use it.
    pub async fn record_only(systems: Vec<LoadedSystem>) -> Result<Runtime, EngineError> {
        let store = crate::store::SqlStore::connect("sqlite::memory:").await?;
        let mut b = Runtime::builder(Arc::new(store))
            .mode(Mode::RecordOnly)
            .secrets(Secrets::none());
        for s in systems {
            b = b.system(s);
        }
        b.build().await
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.inner.store
    }

    /// Metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// A loaded system.
    pub fn system(&self, name: &str) -> Option<&Arc<LoadedSystem>> {
        self.inner.systems.get(name)
    }

    /// Every loaded system.
    pub fn systems(&self) -> impl Iterator<Item = &Arc<LoadedSystem>> {
        self.inner.systems.values()
    }

    /// The mode.
    pub fn mode(&self) -> Mode {
        self.inner.mode
    }

    /// Where secret values come from.
    pub fn secrets(&self) -> &Secrets {
        &self.inner.secrets
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// The adapter registry (poll triggers call their read operation through it).
    pub fn adapters(&self) -> &Adapters {
        &self.inner.adapters
    }

    /// Recorded calls (record-only mode).
    pub fn recorded_calls(&self) -> Vec<RecordedCall> {
        self.inner
            .recorder
            .as_ref()
            .map(|r| r.calls())
            .unwrap_or_default()
    }

    /// Whether a drain has begun.
    pub fn is_draining(&self) -> bool {
        *self.inner.draining.borrow()
    }

    /// Accepts a trigger: stores the run and its first event in one durable commit, then
    /// starts the run in the background. A duplicate key returns the first run id.
    pub async fn accept(
        &self,
        system: &str,
        trigger: &str,
        payload: Value,
        opts: StartOptions,
    ) -> Result<Accepted, EngineError> {
        let (acc, fresh) = self.accept_inner(system, trigger, payload, opts).await?;
        if !acc.duplicate {
            self.spawn_run(acc.run_id.clone(), fresh);
        }
        Ok(acc)
    }

    async fn accept_inner(
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
            id: id.clone(),
            system: system.to_string(),
            trigger: trigger.to_string(),
            idempotency_key: String::new(),
            payload,
            received_at: now,
            scheduled_at: opts.scheduled_at.map(ms),
        };
        run.idempotency_key = match (&opts.key, &plan.idempotency) {
            (Some(k), _) => k.clone(),
            (None, Some(expr)) => {
                let rec = RunRecord {
                    id: id.clone(),
                    system: run.system.clone(),
                    trigger: run.trigger.clone(),
                    idempotency_key: String::new(),
                    status: status::RUNNING.into(),
                    payload: run.payload.clone(),
                    received_at: now,
                    scheduled_at: run.scheduled_at,
                    finished_at: None,
                };
                let v = expr
                    .eval(&scope(&sys, &rec, None))
                    .map_err(|e| EngineError::BadKey {
                        trigger: trigger.to_string(),
                        message: e.message,
                    })?;
                if v.is_null() {
                    return Err(EngineError::BadKey {
                        trigger: trigger.to_string(),
                        message: format!("`{}` gave null", expr.source()),
                    });
                }
                key_string(&v)
            }
            (None, None) => match (plan.trigger.source, run.scheduled_at) {
                (Source::Schedule, Some(t)) => key_string(&rfc3339(t)),
                _ => id.clone(),
            },
        };
        let mut events = vec![];
        let first = NewEvent {
            run_id: id.clone(),
            system: system.to_string(),
            at: now,
            kind: "trigger.received".into(),
            step: None,
            attempt: None,
            data: json!({
                "trigger": trigger,
                "event": plan.trigger.event(),
                "idempotency_key": run.idempotency_key,
                "origin": opts.origin,
            }),
        };
        for (name, data) in &opts.reuse_decisions {
            let mut d = data.clone();
            if let Value::Object(m) = &mut d {
                m.insert("reused".into(), Value::Bool(true));
            }
            events.push(Write::Event(NewEvent {
                run_id: id.clone(),
                system: system.to_string(),
                at: now,
                kind: "decision.made".into(),
                step: Some(name.clone()),
                attempt: None,
                data: d,
            }));
        }
        // What the run task would read back: a fresh run needs no round trip.
        let record = RunRecord {
            id: run.id.clone(),
            system: run.system.clone(),
            trigger: run.trigger.clone(),
            idempotency_key: run.idempotency_key.clone(),
            status: status::RUNNING.into(),
            payload: run.payload.clone(),
            received_at: run.received_at,
            scheduled_at: run.scheduled_at,
            finished_at: None,
        };
        let mut preload = vec![first.clone()];
        preload.extend(events.iter().filter_map(|o| match o {
            Write::Event(e) => Some(e.clone()),
            _ => None,
        }));
        let preload: Vec<EventRecord> = preload
            .into_iter()
            .map(|e| EventRecord {
                seq: 0,
                run_id: e.run_id,
                system: e.system,
                at: e.at,
                kind: e.kind,
                step: e.step,
                attempt: e.attempt,
                data: e.data,
            })
            .collect();
        let mut ops = vec![Write::Accept(run, first)];
        ops.extend(events);
        let acc = self.inner.store.commit(ops).await?;
        let acc = acc
            .into_iter()
            .next()
            .ok_or(EngineError::Store(StoreError::WriterGone))?;
        // A duplicate's reused-decision events must not attach to the first run.
        if acc.duplicate && !opts.reuse_decisions.is_empty() {
            tracing::warn!(system, trigger, run_id = %acc.run_id, "duplicate replay key; first run kept");
        }
        self.inner.metrics.run(
            system,
            trigger,
            if acc.duplicate {
                "duplicate"
            } else {
                "accepted"
            },
        );
        let fresh = (!acc.duplicate).then_some((record, preload));
        Ok((acc, fresh))
    }

    /// Accepts a trigger and drives the run to its end in this task; returns the run.
    pub async fn run_to_end(
        &self,
        system: &str,
        trigger: &str,
        payload: Value,
        opts: StartOptions,
    ) -> Result<RunRecord, EngineError> {
        let (acc, fresh) = self.accept_inner(system, trigger, payload, opts).await?;
        if !acc.duplicate {
            self.inner.inflight.fetch_add(1, Ordering::SeqCst);
            let _g = InflightGuard(self.inner.clone());
            self.drive(&acc.run_id, fresh).await?;
        }
        self.inner.store.flush().await?;
        self.inner
            .store
            .run(&acc.run_id)
            .await?
            .ok_or(EngineError::Store(StoreError::WriterGone))
    }

    /// Feeds one payload in record-only mode and returns the decisions made and the
    /// calls adapters would have made.
    pub async fn simulate(
        &self,
        system: &str,
        trigger: &str,
        payload: Value,
        opts: StartOptions,
    ) -> Result<Simulation, EngineError> {
        let run = self.run_to_end(system, trigger, payload, opts).await?;
        let events = self.inner.store.events(&run.id).await?;
        let decisions = events
            .iter()
            .filter(|e| e.kind == "decision.made")
            .map(|e| decision_from(e.step.as_deref().unwrap_or(""), &e.data))
            .collect();
        let calls = match &self.inner.recorder {
            Some(r) => r.calls_of(&run.id),
            None => Vec::new(),
        };
        Ok(Simulation {
            run_id: run.id,
            status: run.status,
            decisions,
            calls,
        })
    }

    fn spawn_run(&self, run_id: String, preloaded: Option<Preloaded>) {
        self.inner.inflight.fetch_add(1, Ordering::SeqCst);
        let rt = self.clone();
        tokio::spawn(async move {
            let _g = InflightGuard(rt.inner.clone());
            if let Err(e) = rt.drive(&run_id, preloaded).await {
                tracing::error!(run_id = %run_id, error = %e, "run stopped on a store error; it resumes on restart");
            }
        });
    }

    /// Resumes every accepted run that has not finished (after a restart). Returns how
    /// many were resumed.
    pub async fn resume(&self) -> Result<usize, EngineError> {
        let runs = self.inner.store.unfinished_runs().await?;
        let mut n = 0;
        for r in runs {
            if self.inner.systems.contains_key(&r.system) {
                tracing::info!(run_id = %r.id, system = %r.system, "resuming run");
                self.spawn_run(r.id, None);
                n += 1;
            }
        }
        self.refresh_dlq_gauge().await;
        Ok(n)
    }

    async fn refresh_dlq_gauge(&self) {
        if let Ok(d) = self.inner.store.dead_letters(Some("open")).await {
            self.inner.metrics.dlq_depth.set(d.len() as i64);
        }
    }

    /// Stops taking work and waits up to `grace` for in-flight runs to reach a durable
    /// point (runs waiting on timers stop at once; they resume on restart).
    pub async fn drain(&self, grace: Duration) -> bool {
        self.inner.draining.send_replace(true);
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            let idle = self.inner.idle.notified();
            if self.inner.inflight.load(Ordering::SeqCst) == 0 {
                let _ = self.inner.store.flush().await;
                return true;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                let _ = self.inner.store.flush().await;
                return self.inner.inflight.load(Ordering::SeqCst) == 0;
            }
        }
    }

    /// Waits up to `timeout` until no run is in progress, without stopping intake.
    pub async fn drain_idle(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let idle = self.inner.idle.notified();
            if self.inner.inflight.load(Ordering::SeqCst) == 0 {
                let _ = self.inner.store.flush().await;
                return true;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return false;
            }
        }
    }

    /// Runs in progress in this process.
    pub fn inflight(&self) -> usize {
        self.inner.inflight.load(Ordering::SeqCst)
    }

    async fn wait_until(&self, due_ms: i64) -> Waited {
        if self.inner.mode == Mode::RecordOnly {
            return Waited::Elapsed;
        }
        let now = ms(self.inner.clock.now());
        let d = Duration::from_millis((due_ms - now).max(0) as u64);
        let mut rx = self.inner.draining.subscribe();
        if *rx.borrow() {
            return Waited::Draining;
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => Waited::Elapsed,
            _ = rx.changed() => Waited::Draining,
        }
    }

    async fn commit(&self, ops: Vec<Write>) -> Result<(), EngineError> {
        self.inner.store.commit(ops).await?;
        Ok(())
    }

    /// Commits `ops` of a run after the run's pending pure work, in one batch.
    async fn commit_run(&self, st: &mut RunState, ops: Vec<Write>) -> Result<(), EngineError> {
        let mut all = std::mem::take(&mut st.pending);
        all.extend(ops);
        if all.is_empty() {
            return Ok(());
        }
        self.commit(all).await
    }

    fn event(
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
    async fn drive(&self, run_id: &str, preloaded: Option<Preloaded>) -> Result<(), EngineError> {
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
            let mut progressed = false;
            for d in &sys.decisions {
                if st.decisions.contains_key(&d.name) {
                    continue;
                }
                let triggered = if d.on.is_empty() {
                    st.emitted.contains(&trigger_event)
                } else {
                    d.on.iter().any(|e| st.emitted.contains(e))
                };
                if !triggered {
                    continue;
                }
                let rec = self.decide(&sys, &run, &st, d).await;
                let data =
                    json!({"output": rec.output, "continue": rec.continued, "emits": rec.emits});
                let op = self.event(&run, "decision.made", Some(&d.name), None, data.clone());
                // Deterministic, no effect: committed with the run's next commit.
                st.pending.push(op);
                tracing::info!(run_id = %run.id, step = %d.name, continued = rec.continued, "decision made");
                st.apply(&EventRecord {
                    seq: 0,
                    run_id: run.id.clone(),
                    system: run.system.clone(),
                    at: 0,
                    kind: "decision.made".into(),
                    step: Some(d.name.clone()),
                    attempt: None,
                    data,
                });
                progressed = true;
            }
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
        let failed = st.steps.values().any(|s| matches!(s.done, Some(Err(_))))
            || st
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
            &mut st,
            vec![
                self.event(
                    &run,
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
            ],
        )
        .await?;
        let secs = ((now - run.received_at).max(0) as f64) / 1000.0;
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

    async fn decide(
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

    /// Retries a dead-lettered step: appends events that reset the step and resumes the
    /// run. The dead letter is marked `retried`.
    pub async fn retry_dead_letter(&self, id: i64) -> Result<Option<String>, EngineError> {
        let all = self.inner.store.dead_letters(Some("open")).await?;
        let Some(dl) = all.into_iter().find(|d| d.id == id) else {
            return Ok(None);
        };
        if !self
            .inner
            .store
            .set_dead_letter_state(id, "open", "retried")
            .await?
        {
            return Ok(None);
        }
        let Some(run) = self.inner.store.run(&dl.run_id).await? else {
            return Ok(None);
        };
        // A fresh run of the same payload with the decisions reused: the log of the
        // failed run stays as it was (events are never rewritten).
        let events = self.inner.store.events(&run.id).await?;
        let reuse: BTreeMap<String, Value> = events
            .iter()
            .filter(|e| e.kind == "decision.made")
            .filter_map(|e| Some((e.step.clone()?, e.data.clone())))
            .collect();
        let acc = self
            .accept(
                &run.system,
                &run.trigger,
                run.payload.clone(),
                StartOptions {
                    scheduled_at: None,
                    key: Some(format!("dlq-retry:{}:{}", dl.id, run.idempotency_key)),
                    reuse_decisions: reuse,
                    origin: Some(json!({
                        "dlq_retry_of": run.id,
                        "dead_letter": dl.id,
                        "key_base": events
                            .first()
                            .and_then(|e| e.data.pointer("/origin/key_base"))
                            .and_then(Value::as_str)
                            .unwrap_or(&run.id),
                    })),
                },
            )
            .await?;
        self.refresh_dlq_gauge().await;
        Ok(Some(acc.run_id))
    }
}
