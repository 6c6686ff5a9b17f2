//! [`EventStore`] over sqlx: SQLite (one file, WAL) or PostgreSQL, same schema semantics.
//!
//! Writes go through one writer task that group-commits: it takes every batch waiting in
//! its channel (up to a bound) and commits them in one transaction, so a burst of runs
//! costs one fsync per group instead of one per event. Each caller still gets its reply
//! only after its batch is durable.

use super::{
    Accepted, DeadLetterRecord, EventRecord, EventStore, NewEvent, NewRun, Op, QueueMessage,
    RunFilter, RunRecord, StoreError, status,
};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Connection, Row, SqlSafeStr};
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

/// Takes the runtime's own `synchronous=full|normal` parameter out of a SQLite URL (sqlx
/// refuses parameters it does not know).
///
/// `full` (the default): every group commit is fsynced before anyone is answered, so an
/// accepted run survives a power loss. `normal`: in WAL mode the commit is written to the
/// WAL file but only fsynced at checkpoints, so an accepted run survives a crash of the
/// process (kill -9) but the last commits can be lost on power loss or a kernel crash.
fn sqlite_synchronous(url: &str) -> Result<(String, SqliteSynchronous), StoreError> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), SqliteSynchronous::Full));
    };
    let mut sync = SqliteSynchronous::Full;
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("synchronous", v)) => {
                sync = match v.to_ascii_lowercase().as_str() {
                    "full" => SqliteSynchronous::Full,
                    "normal" => SqliteSynchronous::Normal,
                    _ => {
                        return Err(StoreError::BadUrl(format!(
                            "{}: `synchronous` must be `full` or `normal`, not `{v}`",
                            redact_url(url)
                        )));
                    }
                }
            }
            _ => rest.push(pair),
        }
    }
    let sqlx_url = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    Ok((sqlx_url, sync))
}

impl SqlStore {
    /// Opens (creating a SQLite file if needed) and migrates the database at `url`.
    pub async fn connect(url: &str) -> Result<SqlStore, StoreError> {
        let mut own_writer = None;
        let pool = if url.starts_with("sqlite:") {
            let (sqlx_url, sync) = sqlite_synchronous(url)?;
            let opts = SqliteConnectOptions::from_str(&sqlx_url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(sync)
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
                .connect_with(opts.clone())
                .await?;
            migrator(include_str!("../../migrations/sqlite/0001_init.sql"))
                .run(&pool)
                .await?;
            if !in_memory {
                own_writer = Some(WriterDb::Sqlite(Box::new(opts)));
            }
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
            own_writer = Some(WriterDb::Postgres(url.to_string()));
            Pool::Postgres(pool)
        } else {
            return Err(StoreError::BadUrl(redact_url(url)));
        };
        let (tx, rx) = mpsc::channel(8192);
        match own_writer {
            Some(db) => spawn_writer_thread(db, rx).await?,
            None => {
                // A private in-memory database lives in its one pooled connection.
                let store_pool = match &pool {
                    Pool::Sqlite(p) => Pool::Sqlite(p.clone()),
                    Pool::Postgres(p) => Pool::Postgres(p.clone()),
                };
                // Readers share that one connection: the writer must not keep it.
                tokio::spawn(writer(store_pool, rx, false));
            }
        }
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

/// Where a dedicated writer connects.
enum WriterDb {
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
async fn spawn_writer_thread(
    db: WriterDb,
    rx: mpsc::Receiver<(Vec<Op>, Reply)>,
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
    batches: &[&[Op]],
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
async fn writer(pool: Pool, mut rx: mpsc::Receiver<(Vec<Op>, Reply)>, keep: bool) {
    let mut conn: Option<WriterConn> = None;
    while let Some(first) = rx.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(x) => group.push(x),
                Err(_) => break,
            }
        }
        let batches: Vec<&[Op]> = group.iter().map(|(ops, _)| ops.as_slice()).collect();
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
fn chunk_sizes(mut n: usize) -> Vec<usize> {
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
enum Params {
    /// `$1, $2, …` (PostgreSQL).
    Numbered,
    /// `?, ?, …` (SQLite). Why not `$N` there too: sqlx binds SQLite parameters by asking
    /// `sqlite3_bind_parameter_name` for each one, a linear scan over the named parameters,
    /// so a 256-row statement with ~2,000 `$N` parameters cost O(n²) on the single writer
    /// (10 % of the saturated profile). Anonymous `?` are not in that list: O(1) each.
    Anonymous,
}

/// `($1, $2, $3), ($4, $5, $6), …` (or `(?, ?, ?), …`): `rows` tuples of `cols` placeholders.
fn placeholders(rows: usize, cols: usize, style: Params) -> String {
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
    others: Vec<&'a Op>,
}

fn plan<'a>(batches: &[&'a [Op]]) -> Plan<'a> {
    let mut p = Plan {
        accepts: Vec::new(),
        statuses: Vec::new(),
        others: Vec::new(),
    };
    for (b, ops) in batches.iter().enumerate() {
        for op in ops.iter() {
            match op {
                Op::Accept(run, ev) => p.accepts.push((b, run, ev)),
                Op::Event(_) => {}
                Op::SetStatus {
                    run_id,
                    status,
                    finished_at,
                } => p.statuses.push((run_id, status, *finished_at)),
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

macro_rules! apply_group {
    ($tx:expr, $batches:expr, $style:expr) => {{
        let batches: &[&[Op]] = $batches;
        let style: Params = $style;
        let plan = plan(batches);
        // 1. Runs, deduplicated by the UNIQUE key; RETURNING says which ones went in.
        let mut inserted: std::collections::HashSet<String> = std::collections::HashSet::new();
        let mut at = 0;
        for size in chunk_sizes(plan.accepts.len()) {
            let sql = insert_runs_sql(size, style);
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (_, run, _) in &plan.accepts[at..at + size] {
                q = q
                    .bind(&run.id)
                    .bind(&run.system)
                    .bind(&run.trigger)
                    .bind(&run.idempotency_key)
                    .bind(status::RUNNING)
                    .bind(run.payload.to_string())
                    .bind(run.received_at)
                    .bind(run.scheduled_at);
            }
            for row in q.fetch_all(&mut *$tx).await? {
                inserted.insert(row.try_get::<String, _>("id")?);
            }
            at += size;
        }
        let mut results: Vec<Vec<Accepted>> = vec![Vec::new(); batches.len()];
        // Run ids a batch proposed that lost to an existing key: their other events
        // must not attach to a run that does not exist.
        let mut lost: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for (b, run, _) in &plan.accepts {
            if inserted.contains(&run.id) {
                results[*b].push(Accepted { run_id: run.id.clone(), duplicate: false });
            } else {
                let row = sqlx::query(
                    "SELECT id FROM runs WHERE system = $1 AND trigger_name = $2 AND idempotency_key = $3",
                )
                .bind(&run.system)
                .bind(&run.trigger)
                .bind(&run.idempotency_key)
                .fetch_one(&mut *$tx)
                .await?;
                lost.insert(run.id.as_str());
                results[*b].push(Accepted { run_id: row.try_get("id")?, duplicate: true });
            }
        }
        // 2. Events, in batch order.
        let mut events: Vec<&NewEvent> = Vec::new();
        for ops in batches {
            for op in ops.iter() {
                match op {
                    Op::Accept(run, ev) if inserted.contains(&run.id) => events.push(ev),
                    Op::Event(ev) if !lost.contains(ev.run_id.as_str()) => events.push(ev),
                    _ => {}
                }
            }
        }
        let mut at = 0;
        for size in chunk_sizes(events.len()) {
            let sql = insert_events_sql(size, style);
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for ev in &events[at..at + size] {
                q = q
                    .bind(&ev.run_id)
                    .bind(&ev.system)
                    .bind(ev.at)
                    .bind(&ev.kind)
                    .bind(&ev.step)
                    .bind(ev.attempt)
                    .bind(ev.data.to_string());
            }
            q.execute(&mut *$tx).await?;
            at += size;
        }
        // 3. Run status changes.
        let mut at = 0;
        for size in chunk_sizes(plan.statuses.len()) {
            let sql = set_status_sql(size, style);
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (id, st, fin) in &plan.statuses[at..at + size] {
                q = q.bind(*id).bind(*st).bind(*fin);
            }
            q.execute(&mut *$tx).await?;
            at += size;
        }
        // 4. The rest (timers, queues, dead letters, schedule marks) are rare: one
        //    statement each, in order.
        for op in plan.others {
            match op {
                Op::Accept(..) | Op::Event(_) | Op::SetStatus { .. } => {}
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
        results
    }};
}

async fn commit_group(
    conn: &mut WriterConn,
    batches: &[&[Op]],
) -> Result<Vec<Vec<Accepted>>, sqlx::Error> {
    match conn {
        WriterConn::Sqlite(c) => {
            let mut tx = c.begin().await?;
            let out = apply_group!(tx, batches, Params::Anonymous);
            tx.commit().await?;
            Ok(out)
        }
        WriterConn::Postgres(c) => {
            let mut tx = c.begin().await?;
            let out = apply_group!(tx, batches, Params::Numbered);
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
        self.queue_messages_after(queue, i64::MIN, i64::MAX).await
    }

    async fn queue_messages_after(
        &self,
        queue: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<QueueMessage>, StoreError> {
        with_pool!(self, p => {
            let rows = sqlx::query(
                "SELECT seq, queue, run_id, step, body FROM queue_messages WHERE queue = $1 AND seq > $2 ORDER BY seq ASC LIMIT $3",
            )
            .bind(queue)
            .bind(after)
            .bind(limit)
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
    fn synchronous_is_taken_out_of_sqlite_urls() {
        use super::{SqliteSynchronous, sqlite_synchronous};
        let (u, s) = sqlite_synchronous("sqlite://a.db").unwrap();
        assert_eq!(
            (u.as_str(), format!("{s:?}")),
            ("sqlite://a.db", "Full".into())
        );
        let (u, s) = sqlite_synchronous("sqlite://a.db?synchronous=normal&mode=rwc").unwrap();
        assert_eq!(u, "sqlite://a.db?mode=rwc");
        assert!(matches!(s, SqliteSynchronous::Normal));
        let (u, s) = sqlite_synchronous("sqlite://a.db?synchronous=FULL").unwrap();
        assert_eq!(u, "sqlite://a.db");
        assert!(matches!(s, SqliteSynchronous::Full));
        assert!(sqlite_synchronous("sqlite://a.db?synchronous=off").is_err());
    }

    #[test]
    fn chunks_are_powers_of_two() {
        use super::{MAX_ROWS_PER_STATEMENT, chunk_sizes, placeholders};
        assert_eq!(chunk_sizes(0), Vec::<usize>::new());
        assert_eq!(chunk_sizes(7), vec![4, 2, 1]);
        let big = chunk_sizes(3 * MAX_ROWS_PER_STATEMENT + 5);
        assert_eq!(big.iter().sum::<usize>(), 3 * MAX_ROWS_PER_STATEMENT + 5);
        assert!(
            big.iter()
                .all(|n| n.is_power_of_two() && *n <= MAX_ROWS_PER_STATEMENT)
        );
        assert_eq!(
            placeholders(2, 2, super::Params::Numbered),
            "($1, $2), ($3, $4)"
        );
        assert_eq!(
            placeholders(2, 2, super::Params::Anonymous),
            "(?, ?), (?, ?)"
        );
    }

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            redact_url("postgres://claw:hunter2@127.0.0.1:5432/db"),
            "postgres://claw:***@127.0.0.1:5432/db"
        );
        assert_eq!(redact_url("sqlite://claw.db"), "sqlite://claw.db");
    }
}
