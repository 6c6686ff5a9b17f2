//! [`EventStore`] over sqlx: SQLite (one file, WAL) or PostgreSQL, same schema semantics.
//!
//! Writes go through one writer task that group-commits: it takes every batch waiting in
//! its channel (up to a bound) and commits them in one transaction, so a burst of runs
//! costs one fsync per group instead of one per event. Each caller still gets its reply
//! only after its batch is durable.

use super::{
    Accepted, DeadLetterRecord, EventRecord, EventStore, NewEvent, Op, QueueMessage, RunFilter,
    RunRecord, StoreError, status,
};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Row, SqlSafeStr};
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Most batches merged into one transaction.
const MAX_GROUP: usize = 1024;

type Reply = oneshot::Sender<Result<Vec<Accepted>, String>>;

enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// SQLite or PostgreSQL event store.
pub struct SqlStore {
    pool: Pool,
    writer: mpsc::Sender<(Vec<Op>, Reply)>,
    url: String,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SqlStore({})", redact_url(&self.url))
    }
}

/// Hides a password in a database URL for logs and errors.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

fn migrator(sql: &'static str) -> Migrator {
    Migrator::with_migrations(vec![Migration::new(
        1,
        "init".into(),
        MigrationType::Simple,
        sql.into_sql_str(),
        false,
    )])
}

impl SqlStore {
    /// Opens (creating a SQLite file if needed) and migrates the database at `url`.
    pub async fn connect(url: &str) -> Result<SqlStore, StoreError> {
        let pool = if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: a commit is on disk before the 202 goes out.
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10));
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            let pool = SqlitePoolOptions::new()
                // An in-memory database exists per connection: keep exactly one.
                .max_connections(if in_memory { 1 } else { 4 })
                .min_connections(if in_memory { 1 } else { 0 })
                .idle_timeout(if in_memory {
                    None
                } else {
                    Some(Duration::from_secs(600))
                })
                .max_lifetime(if in_memory {
                    None
                } else {
                    Some(Duration::from_secs(1800))
                })
                .connect_with(opts)
                .await?;
            migrator(include_str!("../../migrations/sqlite/0001_init.sql"))
                .run(&pool)
                .await?;
            Pool::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            migrator(include_str!("../../migrations/postgres/0001_init.sql"))
                .run(&pool)
                .await?;
            Pool::Postgres(pool)
        } else {
            return Err(StoreError::BadUrl(redact_url(url)));
        };
        let (tx, rx) = mpsc::channel(8192);
        let store_pool = match &pool {
            Pool::Sqlite(p) => Pool::Sqlite(p.clone()),
            Pool::Postgres(p) => Pool::Postgres(p.clone()),
        };
        tokio::spawn(writer(store_pool, rx));
        Ok(SqlStore {
            pool,
            writer: tx,
            url: url.to_string(),
        })
    }

    /// Raw insert rate of this database: `n` single-row inserts in batches of `batch`
    /// into a scratch table, rows per second (the benchmark's ceiling figure).
    pub async fn raw_insert_rate(&self, n: usize, batch: usize) -> Result<f64, StoreError> {
        let start = std::time::Instant::now();
        macro_rules! go {
            ($p:expr) => {{
                sqlx::query(
                    "CREATE TABLE IF NOT EXISTS bench_inserts (k TEXT NOT NULL, v TEXT NOT NULL)",
                )
                .execute($p)
                .await?;
                let mut done = 0;
                while done < n {
                    let mut tx = $p.begin().await?;
                    for i in done..(done + batch).min(n) {
                        sqlx::query("INSERT INTO bench_inserts (k, v) VALUES ($1, $2)")
                            .bind(format!("k{i}"))
                            .bind("{\"payload\":true}")
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    done += batch;
                }
                let secs = start.elapsed().as_secs_f64();
                sqlx::query("DROP TABLE bench_inserts").execute($p).await?;
                secs
            }};
        }
        let secs = match &self.pool {
            Pool::Sqlite(p) => go!(p),
            Pool::Postgres(p) => go!(p),
        };
        Ok(n as f64 / secs.max(1e-9))
    }
}

async fn writer(pool: Pool, mut rx: mpsc::Receiver<(Vec<Op>, Reply)>) {
    while let Some(first) = rx.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(x) => group.push(x),
                Err(_) => break,
            }
        }
        let batches: Vec<&[Op]> = group.iter().map(|(ops, _)| ops.as_slice()).collect();
        match commit_group(&pool, &batches).await {
            Ok(results) => {
                for ((_, reply), r) in group.into_iter().zip(results) {
                    let _ = reply.send(Ok(r));
                }
            }
            Err(_) if group.len() > 1 => {
                // One bad batch must not fail its neighbours: commit each on its own.
                for (ops, reply) in group {
                    let r = commit_group(&pool, &[ops.as_slice()])
                        .await
                        .map(|mut v| v.pop().unwrap_or_default())
                        .map_err(|e| e.to_string());
                    let _ = reply.send(r);
                }
            }
            Err(e) => {
                for (_, reply) in group {
                    let _ = reply.send(Err(e.to_string()));
                }
            }
        }
    }
}

macro_rules! apply_ops {
    ($tx:expr, $batches:expr) => {{
        let mut all = Vec::with_capacity($batches.len());
        for ops in $batches {
            let mut accepted = Vec::new();
            for op in ops.iter() {
                match op {
                    Op::Accept(run, ev) => {
                        let done = sqlx::query(
                            "INSERT INTO runs (id, system, trigger_name, idempotency_key, status, payload, received_at, scheduled_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                             ON CONFLICT (system, trigger_name, idempotency_key) DO NOTHING",
                        )
                        .bind(&run.id)
                        .bind(&run.system)
                        .bind(&run.trigger)
                        .bind(&run.idempotency_key)
                        .bind(status::RUNNING)
                        .bind(run.payload.to_string())
                        .bind(run.received_at)
                        .bind(run.scheduled_at)
                        .execute(&mut *$tx)
                        .await?;
                        if done.rows_affected() == 1 {
                            insert_event!($tx, ev);
                            accepted.push(Accepted { run_id: run.id.clone(), duplicate: false });
                        } else {
                            let row = sqlx::query(
                                "SELECT id FROM runs WHERE system = $1 AND trigger_name = $2 AND idempotency_key = $3",
                            )
                            .bind(&run.system)
                            .bind(&run.trigger)
                            .bind(&run.idempotency_key)
                            .fetch_one(&mut *$tx)
                            .await?;
                            accepted.push(Accepted { run_id: row.try_get("id")?, duplicate: true });
                        }
                    }
                    Op::Event(ev) => insert_event!($tx, ev),
                    Op::SetStatus { run_id, status, finished_at } => {
                        sqlx::query("UPDATE runs SET status = $1, finished_at = $2 WHERE id = $3")
                            .bind(status)
                            .bind(*finished_at)
                            .bind(run_id)
                            .execute(&mut *$tx)
                            .await?;
                    }
                    Op::SetTimer(t) => {
                        sqlx::query(
                            "INSERT INTO timers (run_id, step, kind, attempt, due_at) VALUES ($1, $2, $3, $4, $5) \
                             ON CONFLICT (run_id, step, kind, attempt) DO NOTHING",
                        )
                        .bind(&t.run_id)
                        .bind(&t.step)
                        .bind(&t.kind)
                        .bind(t.attempt)
                        .bind(t.due_at)
                        .execute(&mut *$tx)
                        .await?;
                    }
                    Op::ClearTimer(t) => {
                        sqlx::query("DELETE FROM timers WHERE run_id = $1 AND step = $2 AND kind = $3 AND attempt = $4")
                            .bind(&t.run_id)
                            .bind(&t.step)
                            .bind(&t.kind)
                            .bind(t.attempt)
                            .execute(&mut *$tx)
                            .await?;
                    }
                    Op::Publish { queue, system, run_id, step, at, body } => {
                        sqlx::query(
                            "INSERT INTO queue_messages (queue, system, run_id, step, at, body) VALUES ($1, $2, $3, $4, $5, $6)",
                        )
                        .bind(queue)
                        .bind(system)
                        .bind(run_id)
                        .bind(step)
                        .bind(*at)
                        .bind(body.to_string())
                        .execute(&mut *$tx)
                        .await?;
                    }
                    Op::DeadLetter { system, run_id, step, target, error, at } => {
                        sqlx::query(
                            "INSERT INTO dead_letters (system, run_id, step, target, error, at, state) \
                             VALUES ($1, $2, $3, $4, $5, $6, 'open') \
                             ON CONFLICT (run_id, step) DO UPDATE SET state = 'open', error = excluded.error, at = excluded.at",
                        )
                        .bind(system)
                        .bind(run_id)
                        .bind(step)
                        .bind(target)
                        .bind(error)
                        .bind(*at)
                        .execute(&mut *$tx)
                        .await?;
                    }
                    Op::ScheduleMark { system, trigger, last_fire } => {
                        sqlx::query(
                            "INSERT INTO schedule_marks (system, trigger_name, last_fire) VALUES ($1, $2, $3) \
                             ON CONFLICT (system, trigger_name) DO UPDATE SET last_fire = excluded.last_fire",
                        )
                        .bind(system)
                        .bind(trigger)
                        .bind(*last_fire)
                        .execute(&mut *$tx)
                        .await?;
                    }
                }
            }
            all.push(accepted);
        }
        all
    }};
}

macro_rules! insert_event {
    ($tx:expr, $ev:expr) => {{
        let ev: &NewEvent = $ev;
        sqlx::query(
            "INSERT INTO events (run_id, system, at, kind, step, attempt, data) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&ev.run_id)
        .bind(&ev.system)
        .bind(ev.at)
        .bind(&ev.kind)
        .bind(&ev.step)
        .bind(ev.attempt)
        .bind(ev.data.to_string())
        .execute(&mut *$tx)
        .await?;
    }};
}

async fn commit_group(pool: &Pool, batches: &[&[Op]]) -> Result<Vec<Vec<Accepted>>, sqlx::Error> {
    match pool {
        Pool::Sqlite(p) => {
            let mut tx = p.begin().await?;
            let out = apply_ops!(tx, batches);
            tx.commit().await?;
            Ok(out)
        }
        Pool::Postgres(p) => {
            let mut tx = p.begin().await?;
            let out = apply_ops!(tx, batches);
            tx.commit().await?;
            Ok(out)
        }
    }
}

fn json(text: &str, what: &'static str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|source| StoreError::Json { what, source })
}

macro_rules! run_from_row {
    ($r:expr) => {{
        let r = $r;
        RunRecord {
            id: r.try_get("id")?,
            system: r.try_get("system")?,
            trigger: r.try_get("trigger_name")?,
            idempotency_key: r.try_get("idempotency_key")?,
            status: r.try_get("status")?,
            payload: json(&r.try_get::<String, _>("payload")?, "runs.payload")?,
            received_at: r.try_get("received_at")?,
            scheduled_at: r.try_get("scheduled_at")?,
            finished_at: r.try_get("finished_at")?,
        }
    }};
}

const RUN_COLS: &str = "id, system, trigger_name, idempotency_key, status, payload, received_at, scheduled_at, finished_at";

/// Runs `$body` with `$p` bound to whichever pool this store has.
macro_rules! with_pool {
    ($self:expr, $p:ident => $body:expr) => {
        match &$self.pool {
            Pool::Sqlite($p) => $body,
            Pool::Postgres($p) => $body,
        }
    };
}

#[async_trait::async_trait]
impl EventStore for SqlStore {
    async fn commit(&self, ops: Vec<Op>) -> Result<Vec<Accepted>, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.writer
            .send((ops, tx))
            .await
            .map_err(|_| StoreError::WriterGone)?;
        match rx.await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(msg)) => Err(StoreError::Db(sqlx::Error::Protocol(msg))),
            Err(_) => Err(StoreError::WriterGone),
        }
    }

    async fn run(&self, id: &str) -> Result<Option<RunRecord>, StoreError> {
        let sql = format!("SELECT {RUN_COLS} FROM runs WHERE id = $1");
        with_pool!(self, p => {
            let row = sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_optional(p).await?;
            Ok(match row { Some(r) => Some(run_from_row!(r)), None => None })
        })
    }

    async fn runs(&self, f: &RunFilter) -> Result<Vec<RunRecord>, StoreError> {
        // Optional filters become `($n IS NULL OR col = $n)` so the statement stays fixed;
        // each parameter appears once, which keeps SQLite's numbering equal to Postgres's.
        let order = if f.oldest_first { "ASC" } else { "DESC" };
        let sql = format!(
            "SELECT {RUN_COLS} FROM runs WHERE system = COALESCE($1, system) AND status = COALESCE($2, status) \
             AND received_at >= COALESCE($3, received_at) AND received_at < COALESCE($4, received_at + 1) \
             ORDER BY received_at {order}, id {order} LIMIT $5"
        );
        let limit = f.limit.unwrap_or(i64::MAX / 2);
        with_pool!(self, p => {
            let rows = sqlx::query(AssertSqlSafe(sql))
                .bind(f.system.as_deref())
                .bind(f.status.as_deref())
                .bind(f.from)
                .bind(f.to)
                .bind(limit)
                .fetch_all(p)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(run_from_row!(r)); }
            Ok(out)
        })
    }

    async fn unfinished_runs(&self) -> Result<Vec<RunRecord>, StoreError> {
        let sql = format!(
            "SELECT {RUN_COLS} FROM runs WHERE status = $1 ORDER BY received_at ASC, id ASC"
        );
        with_pool!(self, p => {
            let rows = sqlx::query(AssertSqlSafe(sql)).bind(status::RUNNING).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(run_from_row!(r)); }
            Ok(out)
        })
    }

    async fn events(&self, run_id: &str) -> Result<Vec<EventRecord>, StoreError> {
        with_pool!(self, p => {
            let rows = sqlx::query(
                "SELECT seq, run_id, system, at, kind, step, attempt, data FROM events WHERE run_id = $1 ORDER BY seq ASC",
            )
            .bind(run_id)
            .fetch_all(p)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(EventRecord {
                    seq: r.try_get("seq")?,
                    run_id: r.try_get("run_id")?,
                    system: r.try_get("system")?,
                    at: r.try_get("at")?,
                    kind: r.try_get("kind")?,
                    step: r.try_get("step")?,
                    attempt: r.try_get("attempt")?,
                    data: json(&r.try_get::<String, _>("data")?, "events.data")?,
                });
            }
            Ok(out)
        })
    }

    async fn dead_letters(&self, state: Option<&str>) -> Result<Vec<DeadLetterRecord>, StoreError> {
        with_pool!(self, p => {
            let rows = sqlx::query(
                "SELECT id, system, run_id, step, target, error, at, state FROM dead_letters \
                 WHERE state = COALESCE($1, state) ORDER BY id ASC",
            )
            .bind(state)
            .fetch_all(p)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(DeadLetterRecord {
                    id: r.try_get("id")?,
                    system: r.try_get("system")?,
                    run_id: r.try_get("run_id")?,
                    step: r.try_get("step")?,
                    target: r.try_get("target")?,
                    error: r.try_get("error")?,
                    at: r.try_get("at")?,
                    state: r.try_get("state")?,
                });
            }
            Ok(out)
        })
    }

    async fn set_dead_letter_state(
        &self,
        id: i64,
        from: &str,
        to: &str,
    ) -> Result<bool, StoreError> {
        self.flush().await?;
        with_pool!(self, p => {
            let r = sqlx::query("UPDATE dead_letters SET state = $1 WHERE id = $2 AND state = $3")
                .bind(to)
                .bind(id)
                .bind(from)
                .execute(p)
                .await?;
            Ok(r.rows_affected() == 1)
        })
    }

    async fn queue_messages(&self, queue: &str) -> Result<Vec<QueueMessage>, StoreError> {
        with_pool!(self, p => {
            let rows = sqlx::query(
                "SELECT seq, queue, run_id, step, body FROM queue_messages WHERE queue = $1 ORDER BY seq ASC",
            )
            .bind(queue)
            .fetch_all(p)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(QueueMessage {
                    seq: r.try_get("seq")?,
                    queue: r.try_get("queue")?,
                    run_id: r.try_get("run_id")?,
                    step: r.try_get("step")?,
                    body: json(&r.try_get::<String, _>("body")?, "queue_messages.body")?,
                });
            }
            Ok(out)
        })
    }

    async fn schedule_mark(&self, system: &str, trigger: &str) -> Result<Option<i64>, StoreError> {
        with_pool!(self, p => {
            let row = sqlx::query("SELECT last_fire FROM schedule_marks WHERE system = $1 AND trigger_name = $2")
                .bind(system)
                .bind(trigger)
                .fetch_optional(p)
                .await?;
            Ok(match row { Some(r) => Some(r.try_get("last_fire")?), None => None })
        })
    }

    async fn save_source(
        &self,
        system: &str,
        path: &str,
        source: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        use sha2::Digest;
        let digest = hex::encode(sha2::Sha256::digest(source.as_bytes()));
        with_pool!(self, p => {
            sqlx::query(
                "INSERT INTO system_sources (system, digest, loaded_at, path, source) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (system, digest) DO UPDATE SET loaded_at = excluded.loaded_at, path = excluded.path",
            )
            .bind(system)
            .bind(digest)
            .bind(at)
            .bind(path)
            .bind(source)
            .execute(p)
            .await?;
            Ok(())
        })
    }

    async fn latest_source(&self, system: &str) -> Result<Option<(String, String)>, StoreError> {
        with_pool!(self, p => {
            let row = sqlx::query(
                "SELECT path, source FROM system_sources WHERE system = $1 ORDER BY loaded_at DESC LIMIT 1",
            )
            .bind(system)
            .fetch_optional(p)
            .await?;
            Ok(match row { Some(r) => Some((r.try_get("path")?, r.try_get("source")?)), None => None })
        })
    }

    async fn prune(&self, system: &str, before: i64) -> Result<u64, StoreError> {
        self.flush().await?;
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let a = sqlx::query(
                "DELETE FROM events WHERE system = $1 AND at < $2 AND run_id IN \
                 (SELECT id FROM runs WHERE system = $3 AND status <> 'running')",
            )
            .bind(system)
            .bind(before)
            .bind(system)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM runs WHERE system = $1 AND status <> 'running' AND received_at < $2")
                .bind(system)
                .bind(before)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(a.rows_affected())
        })
    }

    async fn flush(&self) -> Result<(), StoreError> {
        self.commit(Vec::new()).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            redact_url("postgres://claw:hunter2@127.0.0.1:5432/db"),
            "postgres://claw:***@127.0.0.1:5432/db"
        );
        assert_eq!(redact_url("sqlite://claw.db"), "sqlite://claw.db");
    }
}
