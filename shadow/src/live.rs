//! The shadow side of `claw shadow serve`: every mirrored request, once the legacy
//! answer is settled, is queued here, recorded in the store, run through the
//! imported system in record-only mode, and the resulting shadow outcome (or why
//! there is none) is recorded next to it for `claw shadow compare --mirrored`.
//!
//! One worker task takes the queue in arrival order (the record-only runtime's clock
//! is set to each request's arrival time, so runs must not interleave). The queue is
//! bounded and never waited on: when it is full the request still gets the legacy
//! answer and the shadow side counts it as dropped. Failures are logged to stderr and
//! counted, and never reach the caller.

use crate::bind::{Binding, system_digest};
use crate::error::ShadowError;
use crate::model::Outcome;
use crate::simulate::Simulator;
use crate::store::{NewMirror, Store};
use axum::body::Bytes;
use chrono::{DateTime, Utc};
use claw_runtime::LoadedSystem;
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;

/// Requests waiting for the shadow side before new ones are dropped.
pub const DEFAULT_QUEUE: usize = 1024;

/// Record-only runs after which the private runtime is replaced: it keeps every recorded
/// call in memory, which a shadow period of weeks would otherwise grow without bound.
const RUNS_PER_RUNTIME: usize = 1000;

/// One mirrored request, as handed over after the legacy answered.
#[derive(Debug)]
pub struct Job {
    /// Trigger name (from the hook path).
    pub trigger: String,
    /// Body as received.
    pub body: Bytes,
    /// When the mirror received it: the shadow run's clock.
    pub received_at: DateTime<Utc>,
    /// Status the legacy endpoint answered.
    pub legacy_status: Option<u16>,
    /// Why forwarding failed.
    pub forward_error: Option<String>,
}

#[derive(Debug, Default)]
struct Counters {
    received: AtomicU64,
    recorded: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
}

/// Counts of the shadow side since `serve` started (also served at `GET /shadow/status`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Whether the shadow side runs at all (off when the store or the runtime could not start).
    pub enabled: bool,
    /// Requests handed to the shadow side.
    pub received: u64,
    /// Requests whose shadow outcome was recorded.
    pub recorded: u64,
    /// Requests the shadow side failed on (not recorded, body not JSON, record-only run failed).
    pub failed: u64,
    /// Requests dropped because the queue was full or the worker had stopped.
    pub dropped: u64,
}

impl Counters {
    fn snapshot(&self) -> Stats {
        Stats {
            enabled: true,
            received: self.received.load(Ordering::Relaxed),
            recorded: self.recorded.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
        }
    }
}

/// The handle the mirror hands requests to; cheap to clone.
#[derive(Debug, Clone)]
pub struct ShadowSide {
    system: String,
    tx: mpsc::Sender<Job>,
    counters: Arc<Counters>,
}

/// The worker's end: await it after the server stopped to let the queue drain.
#[derive(Debug)]
pub struct Worker {
    join: tokio::task::JoinHandle<()>,
    counters: Arc<Counters>,
}

struct State {
    loaded: LoadedSystem,
    bind: Arc<Binding>,
    digest: String,
    store: Store,
    sim: Arc<Simulator>,
    runs: usize,
    counters: Arc<Counters>,
}

/// Why one mirrored request has no shadow outcome; its text is what the store records.
#[derive(Debug, thiserror::Error)]
enum LiveRunError {
    /// The record-only run failed.
    #[error(transparent)]
    Run(ShadowError),
    /// The run's task panicked or was cancelled.
    #[error("record-only run aborted: {0}")]
    Aborted(tokio::task::JoinError),
}

impl ShadowSide {
    /// Starts the record-only runtime for `sys` and the worker recording into `store`.
    pub async fn start(
        sys: LoadedSystem,
        store: Store,
        queue: usize,
    ) -> Result<(ShadowSide, Worker), ShadowError> {
        let bind = Arc::new(Binding::new(&sys.system));
        let digest = system_digest(&sys.system);
        let system = sys.system.system.clone();
        let sim = Arc::new(Simulator::start(sys.clone()).await?);
        let counters = Arc::new(Counters::default());
        let (tx, rx) = mpsc::channel(queue.max(1));
        let state = State {
            loaded: sys,
            bind,
            digest,
            store,
            sim,
            runs: 0,
            counters: counters.clone(),
        };
        let join = tokio::spawn(state.work(rx));
        Ok((
            ShadowSide {
                system,
                tx,
                counters: counters.clone(),
            },
            Worker { join, counters },
        ))
    }

    /// Hands a request over without waiting: a full queue drops it (counted and logged).
    pub fn submit(&self, job: Job) {
        self.counters.received.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = self.tx.try_send(job) {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            let (why, job) = match e {
                mpsc::error::TrySendError::Full(j) => ("the shadow queue is full", j),
                mpsc::error::TrySendError::Closed(j) => ("the shadow worker has stopped", j),
            };
            eprintln!(
                "claw shadow serve: /hooks/{}/{}: not shadowed, {why}",
                self.system, job.trigger
            );
        }
    }

    /// Counts so far.
    pub fn stats(&self) -> Stats {
        self.counters.snapshot()
    }
}

impl Worker {
    /// Waits up to `grace` for the queued requests to be shadowed (every [`ShadowSide`]
    /// must be dropped first, or the queue never ends), then returns the counts.
    pub async fn finish(self, grace: std::time::Duration) -> Stats {
        let mut join = self.join;
        if tokio::time::timeout(grace, &mut join).await.is_err() {
            join.abort();
            eprintln!(
                "claw shadow serve: shadow queue not drained within {grace:?}; the rest is replayed by `compare --mirrored`"
            );
        }
        self.counters.snapshot()
    }
}

impl State {
    async fn work(mut self, mut rx: mpsc::Receiver<Job>) {
        while let Some(job) = rx.recv().await {
            self.handle(job).await;
        }
    }

    fn fail(&self, trigger: &str, what: &str) {
        self.counters.failed.fetch_add(1, Ordering::Relaxed);
        eprintln!(
            "claw shadow serve: shadow side failed for /hooks/{}/{trigger}: {what}",
            self.bind.system
        );
    }

    async fn handle(&mut self, job: Job) {
        let payload = serde_json::from_slice::<serde_json::Value>(&job.body);
        let not_json = payload
            .as_ref()
            .err()
            .map(|e| format!("payload is not JSON: {e}"));
        let id = match self
            .store
            .add_mirror(&NewMirror {
                system: &self.bind.system,
                trigger: &job.trigger,
                payload: &String::from_utf8_lossy(&job.body),
                received_at: job.received_at,
                legacy_status: job.legacy_status,
                forward_error: job.forward_error.as_deref(),
                shadow_error: not_json.as_deref(),
            })
            .await
        {
            Ok(id) => id,
            Err(e) => return self.fail(&job.trigger, &format!("request not recorded: {e}")),
        };
        let Ok(payload) = payload else {
            return self.fail(
                &job.trigger,
                &format!("request {id}: {}", not_json.unwrap_or_default()),
            );
        };
        let result = self
            .simulate(id, &job.trigger, payload, job.received_at)
            .await;
        let failure = result.as_ref().err().map(ToString::to_string);
        let to_store = match (&result, failure.as_deref()) {
            (Ok(o), _) => Ok(o),
            (Err(_), f) => Err(f.unwrap_or_default()),
        };
        let stored = self
            .store
            .add_mirror_result(id, &self.digest, to_store)
            .await;
        match (result, stored) {
            (Ok(_), Ok(())) => {
                self.counters.recorded.fetch_add(1, Ordering::Relaxed);
            }
            (Err(e), _) => self.fail(&job.trigger, &format!("request {id}: {e}")),
            (Ok(_), Err(e)) => self.fail(
                &job.trigger,
                &format!("request {id}: shadow outcome not recorded: {e}"),
            ),
        }
        self.runs += 1;
        if self.runs >= RUNS_PER_RUNTIME {
            match Simulator::start(self.loaded.clone()).await {
                Ok(s) => {
                    self.sim = Arc::new(s);
                    self.runs = 0;
                }
                Err(e) => eprintln!(
                    "claw shadow serve: could not renew the record-only runtime, keeping the current one: {e}"
                ),
            }
        }
    }

    /// One record-only run in its own task, so that a panic in it is a failed request
    /// rather than the end of the shadow side.
    async fn simulate(
        &self,
        id: i64,
        trigger: &str,
        payload: serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<Outcome, LiveRunError> {
        let (sim, bind, trigger) = (self.sim.clone(), self.bind.clone(), trigger.to_string());
        let task = tokio::spawn(async move {
            sim.run(&bind, &trigger, payload, at, format!("mirror:{id}"))
                .await
        });
        match task.await {
            Ok(r) => r.map_err(LiveRunError::Run),
            Err(e) => Err(LiveRunError::Aborted(e)),
        }
    }
}
