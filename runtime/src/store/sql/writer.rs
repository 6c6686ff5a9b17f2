//! The group-commit writer: every write of the store goes through one task that takes
//! every batch waiting in its channel (up to a bound) and commits them in one
//! transaction, so a burst of runs costs one fsync per group instead of one per event.
//! Each caller still gets its reply only after its batch is durable.

use super::Pool;
use crate::store::{Accepted, NewEvent, NewRun, RunTally, StoreError, Write, status};
use sqlx::pool::PoolConnection;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{
    AssertSqlSafe, ColumnIndex, Connection, Database, Decode, Encode, Executor, IntoArguments, Row,
    Type,
};
use std::collections::HashSet;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Most batches merged into one transaction.
const MAX_GROUP: usize = 1024;

/// Where a batch's outcome goes: its acceptances, or the database error as text (one
/// error may answer many callers, and `sqlx::Error` is not `Clone`).
type Reply = oneshot::Sender<Result<Vec<Accepted>, String>>;

/// One caller's batch and where to answer it.
pub(super) type Submission = (Vec<Write>, Reply);

/// Where a dedicated writer connects.
pub(super) enum WriterDb {
    Sqlite(Box<SqliteConnectOptions>),
    Postgres(String),
}

/// Starts the writer on a thread of its own, with its own single-threaded tokio runtime
/// and its own connection.
///
/// Why: a group commit is a handful of awaits (begin, one statement per table, commit).
/// On the shared runtime each await queues the writer behind every HTTP connection and
/// run task that became ready meanwhile, so under load a group spent most of its time
/// waiting to be polled (5–12 ms for a few rows, measured) and the whole runtime ran at
/// the writer's pace with the CPU half idle. On its own thread it is woken at once.
pub(super) async fn spawn_writer_thread(
    db: WriterDb,
    rx: mpsc::Receiver<Submission>,
) -> Result<(), StoreError> {
    let (ready_tx, ready_rx) = oneshot::channel::<Result<(), StoreError>>();
    let spawned = std::thread::Builder::new()
        .name("claw-store-writer".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(StoreError::Db(sqlx::Error::Io(e))));
                    return;
                }
            };
            rt.block_on(async move {
                // One connection, pooled so that a dropped one is replaced.
                let pool = match db {
                    WriterDb::Sqlite(opts) => SqlitePoolOptions::new()
                        .max_connections(1)
                        .connect_with(*opts)
                        .await
                        .map(Pool::Sqlite),
                    WriterDb::Postgres(url) => PgPoolOptions::new()
                        .max_connections(1)
                        .acquire_timeout(Duration::from_secs(10))
                        .connect(&url)
                        .await
                        .map(Pool::Postgres),
                };
                match pool {
                    Ok(pool) => {
                        let _ = ready_tx.send(Ok(()));
                        writer(pool, rx, true).await;
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(StoreError::Db(e)));
                    }
                }
            });
        });
    if let Err(e) = spawned {
        return Err(StoreError::Db(sqlx::Error::Io(e)));
    }
    ready_rx.await.unwrap_or(Err(StoreError::WriterGone))
}

/// The writer's own connection, checked out of its one-connection pool.
enum WriterConn {
    Sqlite(PoolConnection<sqlx::Sqlite>),
    Postgres(PoolConnection<sqlx::Postgres>),
}

async fn checkout(pool: &Pool) -> Result<WriterConn, sqlx::Error> {
    Ok(match pool {
        Pool::Sqlite(p) => WriterConn::Sqlite(p.acquire().await?),
        Pool::Postgres(p) => WriterConn::Postgres(p.acquire().await?),
    })
}

/// Commits `batches` on the writer's connection, checking one out first if it has none.
/// After an error the connection goes back to the pool, which tests it on release and
/// replaces it if broken; a healthy one is kept across groups because checking out and
/// returning it per group costs two pings (two cross-thread round trips to sqlx's SQLite
/// worker) and a spawned task each time.
async fn commit_on(
    pool: &Pool,
    conn: &mut Option<WriterConn>,
    batches: &[&[Write]],
) -> Result<Vec<Vec<Accepted>>, sqlx::Error> {
    let c = match conn {
        Some(c) => c,
        None => conn.insert(checkout(pool).await?),
    };
    let r = commit_group(c, batches).await;
    if r.is_err() {
        *conn = None;
    }
    r
}

/// Group-commits what arrives on `rx`. `keep` holds the connection across groups; only for
/// a pool of the writer's own (a shared one must get its connection back after each group).
pub(super) async fn writer(pool: Pool, mut rx: mpsc::Receiver<Submission>, keep: bool) {
    let mut conn: Option<WriterConn> = None;
    while let Some(first) = rx.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(x) => group.push(x),
                Err(_) => break,
            }
        }
        let batches: Vec<&[Write]> = group.iter().map(|(ops, _)| ops.as_slice()).collect();
        match commit_on(&pool, &mut conn, &batches).await {
            Ok(results) => {
                for ((_, reply), r) in group.into_iter().zip(results) {
                    let _ = reply.send(Ok(r));
                }
            }
            Err(_) if group.len() > 1 => {
                // One bad batch must not fail its neighbours: commit each on its own.
                for (ops, reply) in group {
                    let r = commit_on(&pool, &mut conn, &[ops.as_slice()])
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
        if !keep {
            conn = None;
        }
    }
}

/// Rows per multi-row statement are powers of two up to this, so a group needs at most a
/// handful of statement shapes (each prepared once and cached) whatever its size.
const MAX_ROWS_PER_STATEMENT: usize = 256;

/// Splits `n` rows into power-of-two chunk sizes, largest first.
pub(super) fn chunk_sizes(mut n: usize) -> Vec<usize> {
    let mut out = Vec::new();
    while n > 0 {
        let size = if n >= MAX_ROWS_PER_STATEMENT {
            MAX_ROWS_PER_STATEMENT
        } else {
            1 << (usize::BITS - 1 - n.leading_zeros())
        };
        out.push(size);
        n -= size;
    }
    out
}

/// How a multi-row statement spells its parameters.
#[derive(Clone, Copy)]
pub(super) enum Params {
    /// `$1, $2, …` (PostgreSQL).
    Numbered,
    /// `?, ?, …` (SQLite). Why not `$N` there too: sqlx binds SQLite parameters by asking
    /// `sqlite3_bind_parameter_name` for each one, a linear scan over the named parameters,
    /// so a 256-row statement with ~2,000 `$N` parameters cost O(n²) on the single writer
    /// (10 % of the saturated profile). Anonymous `?` are not in that list: O(1) each.
    Anonymous,
}

/// `($1, $2, $3), ($4, $5, $6), …` (or `(?, ?, ?), …`): `rows` tuples of `cols` placeholders.
pub(super) fn placeholders(rows: usize, cols: usize, style: Params) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            match style {
                Params::Numbered => {
                    s.push('$');
                    s.push_str(&(r * cols + c + 1).to_string());
                }
                Params::Anonymous => s.push('?'),
            }
        }
        s.push(')');
    }
    s
}

fn insert_runs_sql(rows: usize, style: Params) -> String {
    format!(
        "INSERT INTO runs (id, system, trigger_name, idempotency_key, status, payload, received_at, scheduled_at) \
         VALUES {} ON CONFLICT (system, trigger_name, idempotency_key) DO NOTHING RETURNING id",
        placeholders(rows, 8, style)
    )
}

fn insert_events_sql(rows: usize, style: Params) -> String {
    format!(
        "INSERT INTO events (run_id, system, at, kind, step, attempt, data) VALUES {}",
        placeholders(rows, 7, style)
    )
}

/// One UPDATE for many runs: `VALUES` columns are `column1…` in SQLite and PostgreSQL alike.
fn set_status_sql(rows: usize, style: Params) -> String {
    format!(
        "UPDATE runs SET status = v.column2, finished_at = v.column3 FROM (VALUES {}) AS v \
         WHERE runs.id = v.column1",
        placeholders(rows, 3, style)
    )
}

/// A group of batches laid out table by table: each table's rows keep their order (so
/// the log's `seq` follows commit order), and different tables do not depend on each
/// other inside one transaction, so one multi-row statement per table replaces one
/// statement per row.
struct Plan<'a> {
    accepts: Vec<(usize, &'a NewRun, &'a NewEvent)>,
    statuses: Vec<(&'a str, &'a str, Option<i64>)>,
    tallies: Vec<&'a RunTally>,
    others: Vec<&'a Write>,
}

fn plan<'a>(batches: &[&'a [Write]]) -> Plan<'a> {
    let mut p = Plan {
        accepts: Vec::new(),
        statuses: Vec::new(),
        tallies: Vec::new(),
        others: Vec::new(),
    };
    for (b, ops) in batches.iter().enumerate() {
        for op in ops.iter() {
            match op {
                Write::Accept(run, ev) => p.accepts.push((b, run, ev)),
                Write::Event(_) => {}
                Write::SetStatus {
                    run_id,
                    status,
                    finished_at,
                } => p.statuses.push((run_id, status, finished_at.map(|t| t.0))),
                Write::Tally(t) => p.tallies.push(t),
                Write::Checkpoint => {}
                other => p.others.push(other),
            }
        }
    }
    // A run's status changes once per batch at most, but keep the last if not.
    let mut seen = std::collections::HashSet::new();
    let mut statuses: Vec<_> = p
        .statuses
        .into_iter()
        .rev()
        .filter(|(id, _, _)| seen.insert(*id))
        .collect();
    statuses.reverse();
    p.statuses = statuses;
    p
}

/// A database the group commit writes to (SQLite or PostgreSQL).
pub(super) trait GroupDb: Database {
    /// How this database spells statement parameters.
    const PARAMS: Params;
}

impl GroupDb for sqlx::Sqlite {
    const PARAMS: Params = Params::Anonymous;
}

impl GroupDb for sqlx::Postgres {
    const PARAMS: Params = Params::Numbered;
}

/// Commits `batches` in one transaction; one [`Accepted`] list per batch.
async fn commit_group(
    conn: &mut WriterConn,
    batches: &[&[Write]],
) -> Result<Vec<Vec<Accepted>>, sqlx::Error> {
    match conn {
        WriterConn::Sqlite(c) => {
            let mut tx = c.begin().await?;
            let out = Group::<sqlx::Sqlite>::apply(&mut tx, batches).await?;
            tx.commit().await?;
            if batches
                .iter()
                .any(|b| b.iter().any(|w| matches!(w, Write::Checkpoint)))
            {
                checkpoint(c).await?;
            }
            Ok(out)
        }
        WriterConn::Postgres(c) => {
            let mut tx = c.begin().await?;
            let out = Group::<sqlx::Postgres>::apply(&mut tx, batches).await?;
            tx.commit().await?;
            Ok(out)
        }
    }
}

/// Copies the WAL into the database and truncates it. On the writer's connection, so no
/// write waits; readers are short, so the busy handler waits at most for the reads that
/// started before it. A checkpoint that could not finish (a reader held on) is logged:
/// the next one catches up.
async fn checkpoint(c: &mut PoolConnection<sqlx::Sqlite>) -> Result<(), sqlx::Error> {
    // Every write waits while this does: wait for readers a quarter second at most (the
    // connection's usual 10 s are for lock contention between processes).
    sqlx::query("PRAGMA busy_timeout = 250")
        .execute(&mut **c)
        .await?;
    let row = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .fetch_one(&mut **c)
        .await;
    sqlx::query("PRAGMA busy_timeout = 10000")
        .execute(&mut **c)
        .await?;
    let row = row?;
    let busy: i64 = row.try_get(0)?;
    if busy != 0 {
        let (log, done): (i64, i64) = (row.try_get(1)?, row.try_get(2)?);
        tracing::warn!(
            wal_frames = log,
            checkpointed = done,
            "WAL checkpoint could not finish (a reader held on); the next one catches up"
        );
    }
    Ok(())
}

/// The group commit's statements, written once for every [`GroupDb`]. The bounds say
/// what it needs of the database: the column types it binds and reads, and a connection
/// to execute on.
pub(super) struct Group<DB>(std::marker::PhantomData<DB>);

impl<DB: GroupDb> Group<DB>
where
    DB::Arguments: IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB> + ColumnIndex<DB::Row>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
{
    /// Applies a group table by table inside the caller's transaction (see [`Plan`]).
    async fn apply(
        conn: &mut DB::Connection,
        batches: &[&[Write]],
    ) -> Result<Vec<Vec<Accepted>>, sqlx::Error> {
        let plan = plan(batches);
        let inserted = Self::insert_runs(conn, &plan.accepts).await?;
        let (results, lost) =
            Self::acceptances(conn, batches.len(), &plan.accepts, &inserted).await?;
        // Events in batch order, except those of runs that did not go in: a run that lost to
        // an existing key must not get events attached to a run that does not exist.
        let mut events: Vec<&NewEvent> = Vec::new();
        for op in batches.iter().flat_map(|ops| ops.iter()) {
            match op {
                Write::Accept(run, ev) if inserted.contains(&run.id) => events.push(ev),
                Write::Event(ev) if !lost.contains(ev.run_id.as_str()) => events.push(ev),
                _ => {}
            }
        }
        Self::insert_events(conn, &events).await?;
        Self::set_statuses(conn, &plan.statuses).await?;
        let tallies = super::stats::tallies(&plan.accepts, &inserted, &plan.tallies);
        Self::count(conn, &tallies).await?;
        for op in plan.others {
            Self::apply_rare(conn, op).await?;
        }
        Ok(results)
    }

    /// Inserts the group's runs, deduplicated by the UNIQUE key; returns the ids that went in
    /// (RETURNING names them).
    async fn insert_runs(
        conn: &mut DB::Connection,
        accepts: &[(usize, &NewRun, &NewEvent)],
    ) -> Result<HashSet<String>, sqlx::Error> {
        let mut inserted = HashSet::new();
        let mut at = 0;
        for size in chunk_sizes(accepts.len()) {
            let mut q = sqlx::query::<DB>(AssertSqlSafe(insert_runs_sql(size, DB::PARAMS)));
            for (_, run, _) in &accepts[at..at + size] {
                q = q
                    .bind(&run.id)
                    .bind(&run.system)
                    .bind(&run.trigger)
                    .bind(&run.idempotency_key)
                    .bind(status::RUNNING)
                    .bind(run.payload.to_string())
                    .bind(run.received_at.0)
                    .bind(run.scheduled_at.map(|t| t.0));
            }
            for row in q.fetch_all(&mut *conn).await? {
                inserted.insert(row.try_get::<String, _>("id")?);
            }
            at += size;
        }
        Ok(inserted)
    }

    /// Each batch's acceptances in order (a duplicate names the run that holds its key), and
    /// the proposed run ids that lost to an existing key.
    async fn acceptances<'a>(
        conn: &mut DB::Connection,
        batch_count: usize,
        accepts: &[(usize, &'a NewRun, &'a NewEvent)],
        inserted: &HashSet<String>,
    ) -> Result<(Vec<Vec<Accepted>>, HashSet<&'a str>), sqlx::Error> {
        let mut results: Vec<Vec<Accepted>> = vec![Vec::new(); batch_count];
        let mut lost = HashSet::new();
        for (b, run, _) in accepts {
            if inserted.contains(&run.id) {
                results[*b].push(Accepted {
                    run_id: run.id.clone(),
                    duplicate: false,
                });
                continue;
            }
            let row = sqlx::query::<DB>(
                "SELECT id FROM runs WHERE system = $1 AND trigger_name = $2 AND idempotency_key = $3",
            )
            .bind(&run.system)
            .bind(&run.trigger)
            .bind(&run.idempotency_key)
            .fetch_one(&mut *conn)
            .await?;
            lost.insert(run.id.as_str());
            results[*b].push(Accepted {
                run_id: row.try_get("id")?,
                duplicate: true,
            });
        }
        Ok((results, lost))
    }

    /// Appends events in multi-row statements, in the order given (the log's `seq` follows it).
    async fn insert_events(
        conn: &mut DB::Connection,
        events: &[&NewEvent],
    ) -> Result<(), sqlx::Error> {
        let mut at = 0;
        for size in chunk_sizes(events.len()) {
            let mut q = sqlx::query::<DB>(AssertSqlSafe(insert_events_sql(size, DB::PARAMS)));
            for ev in &events[at..at + size] {
                q = q
                    .bind(&ev.run_id)
                    .bind(&ev.system)
                    .bind(ev.at.0)
                    .bind(&ev.kind)
                    .bind(&ev.step)
                    .bind(ev.attempt)
                    .bind(ev.data.to_string());
            }
            q.execute(&mut *conn).await?;
            at += size;
        }
        Ok(())
    }

    /// Applies run status changes in multi-row UPDATEs.
    async fn set_statuses(
        conn: &mut DB::Connection,
        statuses: &[(&str, &str, Option<i64>)],
    ) -> Result<(), sqlx::Error> {
        let mut at = 0;
        for size in chunk_sizes(statuses.len()) {
            let mut q = sqlx::query::<DB>(AssertSqlSafe(set_status_sql(size, DB::PARAMS)));
            for (id, st, fin) in &statuses[at..at + size] {
                q = q.bind(*id).bind(*st).bind(fin);
            }
            q.execute(&mut *conn).await?;
            at += size;
        }
        Ok(())
    }

    /// The rare writes (queue messages, dead letters, schedule marks): one statement each, in order.
    async fn apply_rare(conn: &mut DB::Connection, op: &Write) -> Result<(), sqlx::Error> {
        let q = match op {
            Write::Accept(..)
            | Write::Event(_)
            | Write::SetStatus { .. }
            | Write::Tally(_)
            | Write::Checkpoint => return Ok(()),
            Write::Publish {
                queue,
                system,
                run_id,
                step,
                at,
                body,
            } => sqlx::query::<DB>(
                "INSERT INTO queue_messages (queue, system, run_id, step, at, body) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(queue)
            .bind(system)
            .bind(run_id)
            .bind(step)
            .bind(at.0)
            .bind(body.to_string()),
            Write::DeadLetter {
                system,
                run_id,
                step,
                target,
                error,
                at,
            } => sqlx::query::<DB>(
                "INSERT INTO dead_letters (system, run_id, step, target, error, at, state) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'open') ON CONFLICT (run_id, step) \
                 DO UPDATE SET state = 'open', error = excluded.error, at = excluded.at",
            )
            .bind(system)
            .bind(run_id)
            .bind(step)
            .bind(target)
            .bind(error)
            .bind(at.0),
            Write::ScheduleMark {
                system,
                trigger,
                last_fire,
            } => sqlx::query::<DB>(
                "INSERT INTO schedule_marks (system, trigger_name, last_fire) VALUES ($1, $2, $3) \
                 ON CONFLICT (system, trigger_name) DO UPDATE SET last_fire = excluded.last_fire",
            )
            .bind(system)
            .bind(trigger)
            .bind(last_fire),
        };
        q.execute(&mut *conn).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
