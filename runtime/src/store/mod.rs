//! The event store: the append-only log, the run index, queues and dead letters.
//!
//! [`EventStore`] is the boundary a durable backend implements. [`SqlStore`] implements it
//! over sqlx for SQLite (the default, one file) and PostgreSQL; a Temporal or NATS backend
//! would implement the same trait (or replace the engine's use of it) rather than fork
//! the engine.

pub mod digest;
mod sql;
pub mod state;
mod table;

pub use sql::{SqlStore, redact_url as redact};

use crate::time::{Millis, UnixMillis};
use serde::Serialize;
use serde_json::Value;

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is not `sqlite://…` or `postgres://…`.
    #[error("unsupported database URL `{0}`: expected sqlite://FILE or postgres://…")]
    BadUrl(String),
    /// The database refused an operation.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The writer task stopped (the store is shutting down).
    #[error("the event store writer has stopped")]
    WriterGone,
    /// A `state.*` operation cannot apply to the values it found.
    #[error(transparent)]
    State(#[from] state::StateError),
    /// This store keeps no state stores (a test double or a backend without them).
    #[error("this event store has no state stores")]
    NoStateStores,
    /// This store keeps no digests (a test double or a backend without them).
    #[error("this event store has no digests")]
    NoDigests,
    /// A stored JSON document does not parse.
    #[error("corrupt JSON in the store ({what}): {source}")]
    Json {
        /// Which column held it, e.g. `runs.payload`.
        what: &'static str,
        /// Why it does not parse.
        source: serde_json::Error,
    },
}

/// Run states kept in the run index.
pub mod status {
    /// Accepted, not finished.
    pub const RUNNING: &str = "running";
    /// Every step that ran succeeded (or a decision stopped the run).
    pub const SUCCEEDED: &str = "succeeded";
    /// A step failed for good.
    pub const FAILED: &str = "failed";
    /// Whether a status is terminal.
    pub fn is_finished(s: &str) -> bool {
        s == SUCCEEDED || s == FAILED
    }
}

/// A run to insert.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// Fresh run id.
    pub id: String,
    /// System name.
    pub system: String,
    /// Trigger name.
    pub trigger: String,
    /// Deduplication key (unique per system and trigger).
    pub idempotency_key: String,
    /// Trigger payload.
    pub payload: Value,
    /// When the trigger was received.
    pub received_at: UnixMillis,
    /// Fire time of a schedule trigger; `None` for other triggers.
    pub scheduled_at: Option<UnixMillis>,
}

/// An event to append.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// Run it belongs to.
    pub run_id: String,
    /// System name.
    pub system: String,
    /// When it happened.
    pub at: UnixMillis,
    /// Event kind, e.g. `step.succeeded`.
    pub kind: String,
    /// Step or decision name.
    pub step: Option<String>,
    /// Attempt number (1-based) for execution events.
    pub attempt: Option<i64>,
    /// Event data (never holds secret values).
    pub data: Value,
}

/// A run to count in the run statistics (the SLO figures' source): the writer adds it to
/// its minute's row in the same transaction as the batch that carries it. Accepted runs are
/// counted by the writer itself (only it knows which were not duplicates); the engine sends
/// one of these with each finished run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunTally {
    /// System name.
    pub system: String,
    /// Trigger name.
    pub trigger: String,
    /// When the run was received: the minute it is counted in (so a run's acceptance and
    /// its outcome land in the same row set).
    pub received_at: UnixMillis,
    /// Final status (`succeeded` or `failed`).
    pub status: String,
    /// Trigger-to-completion latency.
    pub latency_ms: Millis,
}

/// One write inside a batch; a batch commits atomically.
#[derive(Debug, Clone)]
pub enum Write {
    /// Count a finished run in the run statistics.
    Tally(RunTally),
    /// After the group holding this commits, checkpoint the SQLite WAL into the database
    /// and truncate it (nothing on PostgreSQL). Runs on the writer's connection, between
    /// group commits, so it never waits for the writer.
    Checkpoint,
    /// Insert a run and its first event unless the idempotency key is taken.
    Accept(NewRun, NewEvent),
    /// Append an event.
    Event(NewEvent),
    /// Update a run's status.
    SetStatus {
        /// Run id.
        run_id: String,
        /// New status.
        status: String,
        /// When the run finished; `None` while it is not finished.
        finished_at: Option<UnixMillis>,
    },
    /// Append a message to a named queue.
    Publish {
        /// Queue name.
        queue: String,
        /// System name.
        system: String,
        /// Run id.
        run_id: String,
        /// Step name.
        step: String,
        /// When it happened.
        at: UnixMillis,
        /// Message body.
        body: Value,
    },
    /// Record dead-lettered work.
    DeadLetter {
        /// System name.
        system: String,
        /// Run id.
        run_id: String,
        /// Step name.
        step: String,
        /// `queue://…` or `log://…`.
        target: String,
        /// Last error.
        error: String,
        /// When it happened.
        at: UnixMillis,
    },
    /// Remember how far a schedule or queue trigger has got.
    ScheduleMark {
        /// System name.
        system: String,
        /// Trigger name.
        trigger: String,
        /// A schedule trigger's last handled fire time (milliseconds since the Unix epoch,
        /// as [`UnixMillis`] holds it), or a queue trigger's cursor (the `seq` of the last
        /// message taken): a plain `i64` because it is one or the other.
        last_fire: i64,
    },
}

/// Result of an `Accept`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Accepted {
    /// The run id (the first one, for a duplicate).
    pub run_id: String,
    /// Whether the key was already taken.
    pub duplicate: bool,
}

/// A run as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRecord {
    /// Run id.
    pub id: String,
    /// System name.
    pub system: String,
    /// Trigger name.
    pub trigger: String,
    /// Deduplication key.
    pub idempotency_key: String,
    /// `running`, `succeeded` or `failed` (see [`status`]).
    pub status: String,
    /// Trigger payload.
    pub payload: Value,
    /// When the trigger was received.
    pub received_at: UnixMillis,
    /// Fire time of a schedule trigger; `None` for other triggers.
    pub scheduled_at: Option<UnixMillis>,
    /// When the run finished; `None` while it is running.
    pub finished_at: Option<UnixMillis>,
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRecord {
    /// Position in the log.
    pub seq: i64,
    /// Run id.
    pub run_id: String,
    /// System name.
    pub system: String,
    /// When it happened.
    pub at: UnixMillis,
    /// Event kind, e.g. `step.succeeded`.
    pub kind: String,
    /// Step or decision.
    pub step: Option<String>,
    /// Attempt number (1-based) for execution events.
    pub attempt: Option<i64>,
    /// Event data (never holds secret values).
    pub data: Value,
}

/// A dead letter as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadLetterRecord {
    /// Dead-letter id (`claw dlq retry ID`).
    pub id: i64,
    /// System name.
    pub system: String,
    /// Run id.
    pub run_id: String,
    /// Step name.
    pub step: String,
    /// Target URI.
    pub target: String,
    /// Last error.
    pub error: String,
    /// When it happened.
    pub at: UnixMillis,
    /// `open`, `retried` or `dropped`.
    pub state: String,
}

/// A queue message as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueMessage {
    /// Position in the queue (queue triggers read from a cursor on it).
    pub seq: i64,
    /// Queue name.
    pub queue: String,
    /// Run id.
    pub run_id: String,
    /// Step name.
    pub step: String,
    /// Message body as published.
    pub body: Value,
}

/// Filter for listing runs.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    /// Only this system.
    pub system: Option<String>,
    /// Only this status.
    pub status: Option<String>,
    /// Only runs received at or after this instant.
    pub from: Option<UnixMillis>,
    /// Only runs received before this instant.
    pub to: Option<UnixMillis>,
    /// At most this many (newest first unless `oldest_first`).
    pub limit: Option<i64>,
    /// Order by received time ascending.
    pub oldest_first: bool,
}

/// The durable store behind the engine.
#[async_trait::async_trait]
pub trait EventStore: Send + Sync {
    /// Commits a batch atomically (group-committed with concurrent batches).
    /// Returns one [`Accepted`] per `Write::Accept`, in order.
    async fn commit(&self, ops: Vec<Write>) -> Result<Vec<Accepted>, StoreError>;
    /// The run with this id, if any.
    async fn run(&self, id: &str) -> Result<Option<RunRecord>, StoreError>;
    /// Runs matching a filter.
    async fn runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>, StoreError>;
    /// Ids of runs not finished (to resume after a restart), oldest first.
    async fn unfinished_runs(&self) -> Result<Vec<RunRecord>, StoreError>;
    /// The events of a run, in log order.
    async fn events(&self, run_id: &str) -> Result<Vec<EventRecord>, StoreError>;
    /// Dead letters, optionally only one state.
    async fn dead_letters(&self, state: Option<&str>) -> Result<Vec<DeadLetterRecord>, StoreError>;
    /// Changes a dead letter's state; returns whether it existed in `from` state.
    async fn set_dead_letter_state(
        &self,
        id: i64,
        from: &str,
        to: &str,
    ) -> Result<bool, StoreError>;
    /// Messages of a queue.
    async fn queue_messages(&self, queue: &str) -> Result<Vec<QueueMessage>, StoreError>;
    /// Messages of a queue after position `after`, oldest first, at most `limit` (queue
    /// triggers read their queue from a cursor).
    async fn queue_messages_after(
        &self,
        queue: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<QueueMessage>, StoreError> {
        let mut all = self.queue_messages(queue).await?;
        all.retain(|m| m.seq > after);
        all.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(all)
    }
    /// Last handled fire time of a schedule trigger.
    async fn schedule_mark(&self, system: &str, trigger: &str) -> Result<Option<i64>, StoreError>;
    /// Takes the next release time of a "delay after queue" queue: `max(now, the previous
    /// release) + spacing`, in one atomic statement, so runs that reach the queue at the same
    /// moment (also in other processes on one PostgreSQL) get distinct times `spacing` apart.
    /// `scope` is the system, or `*` for a queue shared across systems.
    async fn take_queue_slot(
        &self,
        scope: &str,
        queue: &str,
        now: UnixMillis,
        spacing: Millis,
    ) -> Result<UnixMillis, StoreError>;
    /// Saves the source of a loaded system.
    async fn save_source(
        &self,
        system: &str,
        path: &str,
        source: &str,
        at: UnixMillis,
    ) -> Result<(), StoreError>;
    /// Latest saved source of a system: (path, text).
    async fn latest_source(&self, system: &str) -> Result<Option<(String, String)>, StoreError>;
    /// Run statistics summed per system, trigger, kind and latency bucket over the minutes
    /// in `[from, to)` (the minute holding `from` counts whole), of one system or all.
    /// An indexed range read of a few rows per minute, whatever the traffic.
    ///
    /// The default sums the runs themselves, for a store that keeps no statistics (it reads
    /// every run of the window; [`SqlStore`] overrides it).
    async fn run_stats(
        &self,
        system: Option<&str>,
        from: UnixMillis,
        to: UnixMillis,
    ) -> Result<Vec<crate::slo::histogram::StatsRow>, StoreError> {
        use crate::slo::histogram::{
            ACCEPTED, NO_BUCKET, StatsRow, latency_bucket, run_latency_ms, slot_of,
        };
        let runs = self
            .runs(&RunFilter {
                system: system.map(str::to_string),
                from: Some(slot_of(from)),
                to: Some(to),
                ..Default::default()
            })
            .await?;
        let mut rows: std::collections::BTreeMap<(String, String, String, i64), i64> =
            std::collections::BTreeMap::new();
        for r in runs {
            let key =
                |kind: &str, bucket| (r.system.clone(), r.trigger.clone(), kind.into(), bucket);
            *rows.entry(key(ACCEPTED, NO_BUCKET)).or_default() += 1;
            if let Some(f) = r.finished_at.filter(|_| status::is_finished(&r.status)) {
                let b = latency_bucket(run_latency_ms(r.received_at, r.scheduled_at, f).0);
                *rows.entry(key(&r.status, b)).or_default() += 1;
            }
        }
        Ok(rows
            .into_iter()
            .map(|((system, trigger, kind, bucket), n)| StatsRow {
                system,
                trigger,
                kind,
                bucket,
                n,
            })
            .collect())
    }
    /// Open dead letters by system (systems without any are absent).
    async fn open_dead_letter_counts(
        &self,
    ) -> Result<std::collections::BTreeMap<String, u64>, StoreError> {
        let mut out = std::collections::BTreeMap::new();
        for d in self.dead_letters(Some("open")).await? {
            *out.entry(d.system).or_insert(0) += 1;
        }
        Ok(out)
    }
    /// Runs `running` received before `before`, oldest first, at most `limit` (the
    /// watchdog's candidates; an indexed read of the unfinished runs only).
    async fn running_before(
        &self,
        before: UnixMillis,
        limit: i64,
    ) -> Result<Vec<RunRecord>, StoreError> {
        let mut runs = self.unfinished_runs().await?;
        runs.retain(|r| r.received_at < before);
        runs.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(runs)
    }
    /// Checkpoints the SQLite WAL and truncates it once every queued write is committed;
    /// nothing on PostgreSQL.
    async fn checkpoint(&self) -> Result<(), StoreError> {
        self.commit(vec![Write::Checkpoint]).await.map(|_| ())
    }
    /// Deletes events and finished runs older than `before` for a system (retention), and
    /// the run statistics of the minutes wholly before it.
    async fn prune(&self, system: &str, before: UnixMillis) -> Result<u64, StoreError>;
    /// Waits until every queued write is committed.
    async fn flush(&self) -> Result<(), StoreError>;
    /// Applies a `state.*` operation once per idempotency key, in one transaction with the
    /// key and its output; a repeat of the key returns the remembered output.
    async fn apply_state(&self, req: &state::StateRequest) -> Result<Value, StoreError> {
        let _ = req;
        Err(StoreError::NoStateStores)
    }
    /// Applies a `digest.*` operation once per idempotency key: appends and releases in one
    /// transaction with the key and its output, so no entry is lost or released twice across
    /// a crash; a repeat of the key returns the remembered output.
    async fn apply_digest(&self, req: &digest::DigestRequest) -> Result<Value, StoreError> {
        let _ = req;
        Err(StoreError::NoDigests)
    }
}
