//! The group-commit writer: every write of the store goes through one task that takes
//! every batch waiting in its channel (up to a bound) and commits them in one
//! transaction, so a burst of runs costs one fsync per group instead of one per event.
//! Each caller still gets its reply only after its batch is durable. The statements of a
//! group are in [`super::group`].

use super::Pool;
use super::group::Group;
use crate::store::{Accepted, StoreError, Write};
use sqlx::pool::PoolConnection;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Connection, Row};
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
