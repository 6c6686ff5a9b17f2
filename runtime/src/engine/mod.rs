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
//! Here: the runtime's API (the [`Runtime`] facade, its builder, accept, run to end,
//! simulate). Beside it, one job each: `accept` turns a trigger into its first durable
//! commit; `drive` drives a run through its decisions and steps; `decide` makes one
//! decision; `step` executes one step (attempts, retries, dead letters); `delay` waits out
//! a step's durable delay (`delay:`, `delay.wait`, `delay.queue`);
//! `lifecycle` resumes, counts in-flight runs and drains; `dlq` retries dead letters;
//! `state` folds events into a run's state and builds the scope expressions read;
//! `each` runs a `for_each` step item by item; `release` starts the run a scheduled digest
//! release continues; `call` runs a `system.call` step (starts the called system's run and
//! waits for its reply);
//! `summary` holds the read-only views over stored runs.

use crate::adapters::{
    Adapters, DeclaredStores, DigestAdapter, RecordedCall, RecordingAdapter, StateAdapter,
    declared_digests,
};
use crate::metrics::Metrics;
use crate::plan::LoadedSystem;
use crate::secrets::Secrets;
use crate::store::{Accepted, EventRecord, EventStore, RunRecord, StoreError};
use crate::time::UnixMillis;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, watch};

mod accept;
mod call;
mod decide;
mod delay;
mod dlq;
mod drive;
mod each;
mod lifecycle;
mod release;
mod state;
mod step;
mod summary;

use lifecycle::InflightGuard;
use state::decision_from;
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
        /// The system that was asked for the trigger.
        system: String,
        /// The trigger name it does not have.
        trigger: String,
    },
    /// The idempotency expression failed on this payload.
    #[error("trigger `{trigger}`: the idempotency expression failed on this payload: {message}")]
    BadKey {
        /// The trigger whose idempotency expression failed.
        trigger: String,
        /// What the expression said.
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
    /// The current time (a test clock can move it by hand).
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
    /// What the decision produced (its `then` values, or `continue`).
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
    /// Record-only over a throwaway store: digests are kept in it (see
    /// [`RuntimeBuilder::scratch_store`]).
    scratch: bool,
    secrets: Secrets,
    mode: Mode,
    clock: Arc<dyn Clock>,
    metrics: Metrics,
    draining: watch::Sender<bool>,
    inflight: AtomicUsize,
    idle: Notify,
    /// Ids of the runs a task of this process drives (or is about to: an accepted run is
    /// registered before its commit). Bounded by the runs in flight; the watchdog reads it
    /// to tell a lost driver from a slow one.
    driving: Mutex<HashSet<String>>,
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
    scratch: bool,
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
    /// Where `secret://` references are resolved from.
    pub fn secrets(mut self, s: Secrets) -> Self {
        self.secrets = s;
        self
    }
    /// Live or record-only.
    pub fn mode(mut self, m: Mode) -> Self {
        self.mode = m;
        self
    }
    /// Replaces the system clock (tests use a controlled one).
    pub fn clock(mut self, c: Arc<dyn Clock>) -> Self {
        self.clock = c;
        self
    }
    /// Says the store is this runtime's own throwaway one (record-only over an in-memory
    /// database, as shadow mode runs): record-only `digest.*` steps then append and release
    /// in it, so a run releases a digest where a live run would and the steps after it are
    /// recorded. Without it (`claw run --dry-run` over the real database) they only hold.
    pub fn scratch_store(mut self, yes: bool) -> Self {
        self.scratch = yes;
        self
    }
    /// Builds the runtime and saves each system's source in the store.
    pub async fn build(self) -> Result<Runtime, EngineError> {
        let recorder =
            (self.mode == Mode::RecordOnly).then(|| Arc::new(RecordingAdapter::default()));
        let now = ms(self.clock.now());
        let mut systems = BTreeMap::new();
        for s in self.systems {
            if self.mode == Mode::Live {
                self.store
                    .save_source(s.name(), &s.path.display().to_string(), &s.source, now)
                    .await?;
            }
            systems.insert(s.name().to_string(), Arc::new(s));
        }
        let mut adapters = self.adapters;
        // `state.*` lives in the event store's database; a registry that brings its own
        // `state` adapter keeps it.
        if adapters.get("state").is_none() {
            let declared = declared_stores(systems.values().map(|s| &**s));
            let state = Arc::new(StateAdapter::new(
                self.store.clone(),
                declared,
                self.clock.clone(),
            ));
            adapters.register("state", state.clone());
            if adapters.get("table").is_none() {
                adapters.register("table", state);
            }
        }
        if adapters.get("digest").is_none() {
            let declared = declared_digests(systems.values().map(|s| &s.system));
            let digest = DigestAdapter::new(self.store.clone(), declared, self.clock.clone());
            adapters.register("digest", Arc::new(digest));
        }
        let (draining, _) = watch::channel(false);
        Ok(Runtime {
            inner: Arc::new(Inner {
                store: self.store,
                systems,
                adapters,
                recorder,
                scratch: self.scratch && self.mode == Mode::RecordOnly,
                secrets: self.secrets,
                mode: self.mode,
                clock: self.clock,
                metrics: Metrics::default(),
                draining,
                inflight: AtomicUsize::new(0),
                idle: Notify::new(),
                driving: Mutex::new(HashSet::new()),
            }),
        })
    }
}

/// Every loaded system's `data.state` stores with their `ttl` (one that does not parse was
/// refused by the checker; here it means no expiry).
fn declared_stores<'a>(systems: impl Iterator<Item = &'a LoadedSystem>) -> DeclaredStores {
    let mut declared = DeclaredStores::new();
    for s in systems {
        for store in &s.system.data.state {
            let ttl = store
                .ttl
                .as_deref()
                .and_then(|t| claw_language::units::parse_duration(t).ok())
                .map(crate::time::Millis::from_duration);
            declared.insert((s.name().to_string(), store.name.clone()), ttl);
        }
    }
    declared
}

fn ms(t: DateTime<Utc>) -> UnixMillis {
    UnixMillis::from(t)
}

/// An instant as RFC 3339 text (UTC, milliseconds), as templates see it; null when out of
/// chrono's range.
fn rfc3339(t: UnixMillis) -> Value {
    match t.to_datetime() {
        Some(t) => Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        None => Value::Null,
    }
}

/// A run and its events, as the run task would read them back.
type Preloaded = (RunRecord, Vec<EventRecord>);

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
            scratch: false,
        }
    }

    /// A record-only runtime over a private in-memory SQLite store: adapters record what
    /// they would do; nothing leaves the process. Shadow mode and `--dry-run` use it.
    pub async fn record_only(systems: Vec<LoadedSystem>) -> Result<Runtime, EngineError> {
        let store = crate::store::SqlStore::connect("sqlite::memory:").await?;
        let mut b = Runtime::builder(Arc::new(store))
            .mode(Mode::RecordOnly)
            .scratch_store(true)
            .secrets(Secrets::none());
        for s in systems {
            b = b.system(s);
        }
        b.build().await
    }

    /// The event store the runtime writes to.
    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.inner.store
    }

    /// The Prometheus metrics the runtime counts into (served at `/metrics`).
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
    ///
    /// Cancellation-safe: the commit and the start happen in a task of their own, so a
    /// caller dropped while waiting (an HTTP handler whose client went away before its 202)
    /// does not leave a committed run without a driver.
    pub async fn accept(
        &self,
        system: &str,
        trigger: &str,
        payload: Value,
        opts: StartOptions,
    ) -> Result<Accepted, EngineError> {
        let rt = self.clone();
        let (system, trigger) = (system.to_string(), trigger.to_string());
        let task = tokio::spawn(async move {
            let (acc, fresh) = rt.accept_inner(&system, &trigger, payload, opts).await?;
            if !acc.duplicate {
                rt.spawn_run(acc.run_id.clone(), fresh);
            }
            Ok(acc)
        });
        match task.await {
            Ok(r) => r,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Only when the tokio runtime itself shuts down.
            Err(_) => Err(EngineError::Draining),
        }
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
            let _g = InflightGuard::new(&self.inner, &acc.run_id);
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
            Some(r) => r.take_calls_of(&run.id),
            None => Vec::new(),
        };
        Ok(Simulation {
            run_id: run.id,
            status: run.status,
            decisions,
            calls,
        })
    }

    /// Starts a task driving `run_id` (registered as driven until the task ends).
    fn spawn_run(&self, run_id: String, preloaded: Option<Preloaded>) {
        let g = InflightGuard::new(&self.inner, &run_id);
        let rt = self.clone();
        tokio::spawn(async move {
            let _g = g;
            if let Err(e) = rt.drive(&run_id, preloaded).await {
                tracing::error!(run_id = %run_id, error = %e, "run stopped on a store error; the watchdog drives it again");
            }
        });
    }
}
