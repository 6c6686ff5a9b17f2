//! The engine: accepts triggers, and drives each run as a state machine rebuilt from its
//! events.
//!
//! A run task reads the run's events, folds them into a [`RunState`], and continues from
//! there: decisions already made are not made again, steps already finished are not run
//! again, a delay or retry already scheduled keeps its due time. Every transition is
//! committed before the next action, so after a crash (kill -9) a restart resumes every
//! accepted run, and an attempt that was in flight is repeated with the same idempotency
//! key.

use crate::adapters::{Adapter, AdapterError, Adapters, Call, RecordedCall, RecordingAdapter};
use crate::metrics::{Metrics, NameLabels};
use crate::plan::{DecisionLogic, DelayPlan, LoadedSystem, StepPlan, backoff_delay};
use crate::secrets::{self, Secrets};
use crate::store::{
    Accepted, EventRecord, EventStore, NewEvent, NewRun, Op, RunRecord, StoreError, Timer, status,
};
use chrono::{DateTime, TimeZone, Utc};
use claw_spec::model::Source;
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{Notify, watch};

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

/// What a step has done so far, from its events.
#[derive(Debug, Clone, Default)]
struct StepState {
    delay_due: Option<i64>,
    delay_done: bool,
    failed_attempts: u32,
    retry_due: Option<i64>,
    done: Option<Result<Value, String>>,
}

/// A run folded from its events.
#[derive(Debug, Clone, Default)]
struct RunState {
    emitted: Vec<String>,
    decisions: BTreeMap<String, DecisionRecord>,
    steps: BTreeMap<String, StepState>,
    finished: bool,
    /// Run whose step keys this run reuses (a dead-letter retry redoes the same effect).
    key_base: Option<String>,
    /// Events of pure work (decisions, `log.*`/`code.js` outcomes) not committed yet:
    /// they ride along with the run's next commit. Redoing pure work after a crash has no
    /// outside effect, so it needs no commit of its own; anything with an effect commits
    /// them first (see [`Runtime::commit_run`]).
    pending: Vec<Op>,
}

impl RunState {
    fn emit(&mut self, e: &str) {
        if !self.emitted.iter().any(|x| x == e) {
            self.emitted.push(e.to_string());
        }
    }

    fn apply(&mut self, ev: &EventRecord) {
        let step = ev.step.clone().unwrap_or_default();
        match ev.kind.as_str() {
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
                self.steps.entry(step).or_default().delay_due =
                    ev.data.get("due_at").and_then(Value::as_i64);
            }
            "step.delay_fired" => self.steps.entry(step).or_default().delay_done = true,
            "step.attempt_failed" => {
                let s = self.steps.entry(step).or_default();
                s.failed_attempts = s.failed_attempts.max(ev.attempt.unwrap_or(1) as u32);
            }
            "step.retry_scheduled" => {
                self.steps.entry(step).or_default().retry_due =
                    ev.data.get("due_at").and_then(Value::as_i64);
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
            "step.skipped" => {
                self.steps.entry(step).or_default().done = Some(Ok(Value::Null));
            }
            "run.finished" => self.finished = true,
            _ => {}
        }
    }
}

fn decision_from(name: &str, data: &Value) -> DecisionRecord {
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
fn scope(sys: &LoadedSystem, run: &RunRecord, st: Option<&RunState>) -> Value {
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

fn key_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
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
            events.push(Op::Event(NewEvent {
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
            Op::Event(e) => Some(e.clone()),
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
        let mut ops = vec![Op::Accept(run, first)];
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

    async fn commit(&self, ops: Vec<Op>) -> Result<(), EngineError> {
        self.inner.store.commit(ops).await?;
        Ok(())
    }

    /// Commits `ops` of a run after the run's pending pure work, in one batch.
    async fn commit_run(&self, st: &mut RunState, ops: Vec<Op>) -> Result<(), EngineError> {
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
    ) -> Op {
        Op::Event(NewEvent {
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
        let failed = st.steps.values().any(|s| matches!(s.done, Some(Err(_))));
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
                Op::SetStatus {
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
                match r {
                    Ok(Ok(Value::Bool(true))) => go(json!({"continue": true}), d.emits.clone()),
                    Ok(Ok(v)) => from_value(v),
                    Ok(Err(e)) => stop(json!({"error": e.to_string()})),
                    Err(e) => stop(json!({"error": e.to_string()})),
                }
            }
        }
    }

    fn step_key(
        &self,
        sys: &LoadedSystem,
        run: &RunRecord,
        st: &RunState,
        step: &StepPlan,
    ) -> Result<String, String> {
        match &step.idempotency {
            Some(c) => c
                .eval(&scope(sys, run, Some(st)))
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
    async fn run_step(
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
        // Durable delay (also `delay.wait`, whose duration is a parameter).
        let delay = match (&step.delay, step.exec.action.as_str()) {
            (Some(d), _) => Some(d.clone()),
            (None, "delay.wait") => step
                .exec
                .with
                .get("duration")
                .and_then(Value::as_str)
                .and_then(|d| claw_spec::units::parse_duration(d).ok())
                .map(DelayPlan::For),
            _ => None,
        };
        if let Some(delay) = delay.filter(|_| !ss.delay_done) {
            let due = match ss.delay_due {
                Some(d) => d,
                None => {
                    let now = self.inner.clock.now();
                    let due = match &delay {
                        DelayPlan::For(d) => ms(now) + d.as_millis() as i64,
                        DelayPlan::Until(t) => {
                            let sc = scope(sys, run, Some(st));
                            claw_spec::expr::render_template(t, &sc)
                                .ok()
                                .and_then(|v| {
                                    v.as_str()
                                        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                                })
                                .map(|t| t.timestamp_millis())
                                .unwrap_or(ms(now))
                        }
                    };
                    let timer = Timer {
                        run_id: run.id.clone(),
                        step: name.clone(),
                        kind: "delay".into(),
                        attempt: 0,
                        due_at: due,
                    };
                    self.commit_run(
                        st,
                        vec![
                            self.event(
                                run,
                                "step.delay_scheduled",
                                Some(&name),
                                None,
                                json!({"due_at": due, "due": rfc3339(due)}),
                            ),
                            Op::SetTimer(timer),
                        ],
                    )
                    .await?;
                    st.steps.entry(name.clone()).or_default().delay_due = Some(due);
                    due
                }
            };
            if let Waited::Draining = self.wait_until(due).await {
                return Ok(Waited::Draining);
            }
            let timer = Timer {
                run_id: run.id.clone(),
                step: name.clone(),
                kind: "delay".into(),
                attempt: 0,
                due_at: due,
            };
            self.commit_run(
                st,
                vec![
                    self.event(run, "step.delay_fired", Some(&name), None, json!({})),
                    Op::ClearTimer(timer),
                ],
            )
            .await?;
            st.steps.entry(name.clone()).or_default().delay_done = true;
        }
        if step.exec.action == "delay.wait" {
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
            let sc = scope(sys, run, Some(st));
            let params = match step.params.render(&sc) {
                Ok(p) => p,
                Err(e) => {
                    let err = AdapterError::permanent(format!(
                        "rendering the parameters of `{name}`: {}",
                        e.message
                    ));
                    return self.fail_step(sys, run, st, step, attempt, err).await;
                }
            };
            let key = match self.step_key(sys, run, st, step) {
                Ok(k) => k,
                Err(e) => {
                    return self
                        .fail_step(sys, run, st, step, attempt, AdapterError::permanent(e))
                        .await;
                }
            };
            // Pure steps (log, code) have no outside effect: repeating one after a crash
            // is harmless, so their start is not worth a commit of its own.
            let pure = matches!(step.exec.adapter(), "log" | "code");
            let started_data =
                json!({"action": step.exec.action, "idempotency_key": key, "params": params});
            let mut ops = vec![self.event(
                run,
                "step.attempt_started",
                Some(&name),
                Some(attempt),
                started_data,
            )];
            if attempt > 1 {
                ops.push(Op::ClearTimer(Timer {
                    run_id: run.id.clone(),
                    step: name.clone(),
                    kind: "retry".into(),
                    attempt: i64::from(attempt),
                    due_at: 0,
                }));
            }
            let mut deferred = Vec::new();
            if pure {
                deferred = ops;
            } else {
                self.commit_run(st, ops).await?;
            }
            let (op_prefix, operation) = step
                .exec
                .action
                .split_once('.')
                .unwrap_or((step.exec.action.as_str(), ""));
            let started = std::time::Instant::now();
            let result = self
                .call_adapter(
                    run,
                    &name,
                    op_prefix,
                    operation,
                    &step.exec.action,
                    params,
                    key.clone(),
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
            match result {
                Ok(output) => {
                    let mut extra = Vec::new();
                    let before = std::mem::take(&mut deferred);
                    if step.exec.action == "queue.publish"
                        && let Some(q) = output.get("queue").and_then(Value::as_str)
                    {
                        extra.push(Op::Publish {
                            queue: q.to_string(),
                            system: run.system.clone(),
                            run_id: run.id.clone(),
                            step: name.clone(),
                            at: ms(self.inner.clock.now()),
                            body: output.get("message").cloned().unwrap_or(Value::Null),
                        });
                    }
                    return self
                        .finish_step(run, st, step, attempt, Ok(output), before, extra)
                        .await;
                }
                Err(err) => {
                    self.inner
                        .metrics
                        .step(&run.system, &name, "attempt_failed");
                    tracing::warn!(run_id = %run.id, step = %name, attempt, error = %err.message, "attempt failed");
                    let mut ops = std::mem::take(&mut deferred);
                    ops.push(self.event(
                        run,
                        "step.attempt_failed",
                        Some(&name),
                        Some(attempt),
                        json!({"error": err.message, "retryable": err.retryable}),
                    ));
                    if err.retryable && attempt < step.attempts {
                        let due = ms(self.inner.clock.now())
                            + backoff_delay(&step.backoff, attempt).as_millis() as i64;
                        ops.push(self.event(
                            run,
                            "step.retry_scheduled",
                            Some(&name),
                            Some(attempt + 1),
                            json!({"due_at": due, "due": rfc3339(due)}),
                        ));
                        ops.push(Op::SetTimer(Timer {
                            run_id: run.id.clone(),
                            step: name.clone(),
                            kind: "retry".into(),
                            attempt: i64::from(attempt + 1),
                            due_at: due,
                        }));
                        self.commit_run(st, ops).await?;
                        self.inner.metrics.step(&run.system, &name, "retried");
                        let s = st.steps.entry(name.clone()).or_default();
                        s.failed_attempts = attempt;
                        s.retry_due = Some(due);
                        if let Waited::Draining = self.wait_until(due).await {
                            return Ok(Waited::Draining);
                        }
                        attempt += 1;
                        continue;
                    }
                    self.commit_run(st, ops).await?;
                    return self.fail_step(sys, run, st, step, attempt, err).await;
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn call_adapter(
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
            return rec.call(&call).await;
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
    async fn finish_step(
        &self,
        run: &RunRecord,
        st: &mut RunState,
        step: &StepPlan,
        attempt: u32,
        output: Result<Value, String>,
        before: Vec<Op>,
        extra: Vec<Op>,
    ) -> Result<Waited, EngineError> {
        let name = &step.exec.name;
        if let Ok(o) = &output {
            let mut ops = before;
            ops.push(self.event(
                run,
                "step.succeeded",
                Some(name),
                Some(attempt),
                json!({"output": o}),
            ));
            ops.extend(extra);
            if matches!(step.exec.adapter(), "log" | "code") {
                // A pure step's outcome is committed with the run's next commit.
                st.pending.extend(ops);
            } else {
                self.commit_run(st, ops).await?;
            }
            self.inner.metrics.step(&run.system, name, "succeeded");
            tracing::info!(run_id = %run.id, step = %name, attempt, "step succeeded");
            st.steps.entry(name.clone()).or_default().done = Some(Ok(o.clone()));
            st.emit(&step.exec.succeeded_event());
        }
        Ok(Waited::Elapsed)
    }

    async fn fail_step(
        &self,
        sys: &LoadedSystem,
        run: &RunRecord,
        st: &mut RunState,
        step: &StepPlan,
        attempt: u32,
        err: AdapterError,
    ) -> Result<Waited, EngineError> {
        let name = &step.exec.name;
        let now = ms(self.inner.clock.now());
        let mut ops = Vec::new();
        if let Some(target) = &step.exec.dead_letter {
            ops.push(self.event(
                run,
                "step.dead_lettered",
                Some(name),
                Some(attempt),
                json!({"target": target, "error": err.message}),
            ));
            ops.push(Op::DeadLetter {
                system: sys.name().to_string(),
                run_id: run.id.clone(),
                step: name.clone(),
                target: target.clone(),
                error: err.message.clone(),
                at: now,
            });
            if let Some(q) = target.strip_prefix("queue://") {
                ops.push(Op::Publish {
                    queue: q.to_string(),
                    system: sys.name().to_string(),
                    run_id: run.id.clone(),
                    step: name.clone(),
                    at: now,
                    body: json!({"run_id": run.id, "step": name, "error": err.message, "payload": run.payload}),
                });
            }
            self.inner.metrics.step(&run.system, name, "dead_lettered");
        }
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

/// Counts of a set of runs, for `claw status`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StatusSummary {
    /// Runs in the window.
    pub runs: u64,
    /// Succeeded.
    pub succeeded: u64,
    /// Failed.
    pub failed: u64,
    /// Still running.
    pub running: u64,
    /// Failed / finished.
    pub error_rate: f64,
    /// Trigger-to-completion latency, ms.
    pub latency_p50_ms: Option<i64>,
    /// ms.
    pub latency_p95_ms: Option<i64>,
    /// ms.
    pub latency_p99_ms: Option<i64>,
}

/// Summarises runs.
pub fn summarize(runs: &[RunRecord]) -> StatusSummary {
    let mut s = StatusSummary {
        runs: runs.len() as u64,
        ..Default::default()
    };
    let mut lat: Vec<i64> = Vec::new();
    for r in runs {
        match r.status.as_str() {
            status::SUCCEEDED => s.succeeded += 1,
            status::FAILED => s.failed += 1,
            _ => s.running += 1,
        }
        if let Some(f) = r.finished_at {
            lat.push(f - r.scheduled_at.unwrap_or(r.received_at).max(r.received_at));
        }
    }
    let finished = s.succeeded + s.failed;
    s.error_rate = if finished == 0 {
        0.0
    } else {
        s.failed as f64 / finished as f64
    };
    lat.sort_unstable();
    let pct = |p: f64| -> Option<i64> {
        if lat.is_empty() {
            return None;
        }
        let i = ((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1;
        Some(lat[i])
    };
    s.latency_p50_ms = pct(0.50);
    s.latency_p95_ms = pct(0.95);
    s.latency_p99_ms = pct(0.99);
    s
}

/// Keys of decisions made in a run (for replays that reuse them).
pub fn decisions_of(events: &[EventRecord]) -> BTreeMap<String, Value> {
    events
        .iter()
        .filter(|e| e.kind == "decision.made")
        .filter_map(|e| Some((e.step.clone()?, e.data.clone())))
        .collect()
}

/// Unused-name guard: the set of step names a system runs (for docs and checks).
pub fn step_names(sys: &LoadedSystem) -> BTreeSet<String> {
    sys.steps.iter().map(|s| s.exec.name.clone()).collect()
}
