//! One writer per database: the lock a [`super::Service`] holds for its whole life, so a
//! second `claw run` on the same SQLite file or PostgreSQL database refuses to start and
//! names the holder instead of resuming the same runs a second time.
//!
//! SQLite: an exclusive OS lock (`flock`) on `FILE.lock` beside the database, whose content
//! names the holder. PostgreSQL: a session advisory lock on a connection of the lock's own,
//! plus the `runtime_holder` row naming the holder. Both die with the process (a SIGKILL
//! leaves no stale lock); a stale holder record is never trusted on its own.

use crate::codes;
use crate::store::redact;
use crate::time::UnixMillis;
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, Row};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The advisory lock key (the bytes of "claw run"). Advisory locks are per database, so
/// two claw databases on one server do not contend.
const PG_LOCK_KEY: i64 = 0x636c_6177_2072_756e;

/// How long a refused start waits for the holder to write down who it is (it takes the
/// lock a moment before it writes its record).
const HOLDER_WAIT: Duration = Duration::from_secs(2);

/// Time between checks that the PostgreSQL lock connection is alive.
pub const PG_PING_EVERY: Duration = Duration::from_secs(5);

/// Who holds a database: what a refused `claw run` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Host name of the machine the holder runs on.
    pub host: String,
    /// Process id of the holder on that host.
    pub pid: u32,
    /// When the holder took the lock.
    pub started_at: UnixMillis,
}

impl Holder {
    /// This process, now.
    fn me() -> Holder {
        Holder {
            host: host_name(),
            pid: std::process::id(),
            started_at: UnixMillis::now(),
        }
    }
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let started = self
            .started_at
            .to_datetime()
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_else(|| format!("{} ms", self.started_at));
        write!(f, "host {}, pid {}, started {started}", self.host, self.pid)
    }
}

fn show(holder: &Option<Holder>) -> String {
    match holder {
        Some(h) => format!("held by {h}"),
        None => "its holder has not recorded who it is".to_string(),
    }
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another `claw run` holds the database.
    #[error(
        "{code}: {db} is in use by another `claw run` ({holder}); one runtime per database: stop that one first, or give this one a database of its own",
        code = codes::DB_IN_USE.id,
        holder = show(holder)
    )]
    Held {
        /// The database URL, password hidden.
        db: String,
        /// The holder, when it could be read.
        holder: Option<Holder>,
    },
    /// The lock file could not be opened, locked or written.
    #[error("cannot take the lock file {path}")]
    File {
        /// The lock file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The database refused the lock's statements.
    #[error("cannot take the writer lock on {db}")]
    Db {
        /// The database URL, password hidden.
        db: String,
        /// What the database said.
        source: sqlx::Error,
    },
}

/// The held lock; dropping it releases it (the process ending does too).
#[derive(Debug)]
pub struct WriterLock {
    held: Held,
}

#[derive(Debug)]
enum Held {
    /// A private in-memory database: nobody else can open it.
    Nothing,
    /// The locked `FILE.lock` (closing it unlocks it; only kept, never read).
    File { _locked: File },
    /// The task keeping the PostgreSQL lock connection; a send stops it, unlocking.
    Postgres {
        stop: oneshot::Sender<()>,
        keeper: JoinHandle<()>,
        /// Sent once if another process took the database after the lock connection died.
        lost: Option<oneshot::Receiver<LockError>>,
    },
}

impl WriterLock {
    /// Takes the database at `url` for this process, or says who has it.
    pub async fn acquire(url: &str) -> Result<WriterLock, LockError> {
        let held = if url.starts_with("sqlite:") {
            match sqlite_file(url)? {
                Some(db) => Held::File {
                    _locked: lock_file(&db, url).await?,
                },
                None => Held::Nothing,
            }
        } else {
            let me = Holder::me();
            let conn = take_pg(url, &me).await?;
            let (stop, stopped) = oneshot::channel();
            let (lost_tx, lost) = oneshot::channel();
            let keeper = tokio::spawn(keep_pg(conn, url.to_string(), me, stopped, lost_tx));
            Held::Postgres {
                stop,
                keeper,
                lost: Some(lost),
            }
        };
        Ok(WriterLock { held })
    }

    /// Resolves if the lock is lost for good: its PostgreSQL connection died and another
    /// `claw run` took the database before this one could take it back. Never resolves
    /// otherwise (a file lock cannot be lost while the process lives). Cancel-safe.
    pub async fn lost(&mut self) -> LockError {
        if let Held::Postgres { lost, .. } = &mut self.held
            && let Some(rx) = lost.as_mut()
            && let Ok(e) = rx.await
        {
            *lost = None;
            return e;
        }
        std::future::pending().await
    }

    /// Releases the lock now (and, on PostgreSQL, removes the holder row), so the next
    /// `claw run` can start at once.
    pub async fn release(self) {
        match self.held {
            Held::Nothing | Held::File { .. } => {}
            Held::Postgres { stop, keeper, .. } => {
                let _ = stop.send(());
                let _ = tokio::time::timeout(Duration::from_secs(5), keeper).await;
            }
        }
    }
}

/// The database file a SQLite URL names, or None for a private in-memory database.
fn sqlite_file(url: &str) -> Result<Option<PathBuf>, LockError> {
    if url.contains(":memory:") || url.contains("mode=memory") {
        return Ok(None);
    }
    // The query may hold the runtime's own `synchronous=` parameter, which sqlx refuses;
    // only the path matters here.
    let base = url.split_once('?').map_or(url, |(b, _)| b);
    let opts = SqliteConnectOptions::from_str(base).map_err(|source| LockError::Db {
        db: redact(url),
        source,
    })?;
    Ok(Some(opts.get_filename().to_path_buf()))
}

/// Locks `DB.lock` and writes this process into it.
async fn lock_file(db: &Path, url: &str) -> Result<File, LockError> {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    let path = PathBuf::from(name);
    let io = |source| LockError::File {
        path: path.clone(),
        source,
    };
    // Never truncated on open, and never deleted: the content belongs to whoever holds the
    // lock, and deleting the file would let a later process lock a new file while an older
    // one still holds the old one.
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {
            let me = serde_json::to_string(&Holder::me()).unwrap_or_default();
            file.set_len(0).map_err(io)?;
            file.write_all(me.as_bytes()).map_err(io)?;
            Ok(file)
        }
        Err(TryLockError::WouldBlock) => {
            let mut holder = None;
            let deadline = tokio::time::Instant::now() + HOLDER_WAIT;
            while holder.is_none() && tokio::time::Instant::now() < deadline {
                holder = std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|s| serde_json::from_str(&s).ok());
                if holder.is_none() {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            Err(LockError::Held {
                db: redact(url),
                holder,
            })
        }
        Err(TryLockError::Error(e)) => Err(io(e)),
    }
}

/// Opens a connection, takes the advisory lock on it and records `me` as the holder.
async fn take_pg(url: &str, me: &Holder) -> Result<PgConnection, LockError> {
    let db = |source| LockError::Db {
        db: redact(url),
        source,
    };
    let mut conn = PgConnection::connect(url).await.map_err(db)?;
    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(PG_LOCK_KEY)
        .fetch_one(&mut conn)
        .await
        .map_err(db)?;
    if !got {
        let holder = pg_holder(&mut conn).await;
        let _ = conn.close().await;
        return Err(LockError::Held {
            db: redact(url),
            holder,
        });
    }
    sqlx::query(
        "INSERT INTO runtime_holder (id, host, pid, started_at, backend_pid) \
         VALUES (1, $1, $2, $3, pg_backend_pid()) \
         ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, \
         started_at = excluded.started_at, backend_pid = excluded.backend_pid",
    )
    .bind(&me.host)
    .bind(i64::from(me.pid))
    .bind(me.started_at.0)
    .execute(&mut conn)
    .await
    .map_err(db)?;
    Ok(conn)
}

/// The holder row, if it belongs to the session that holds the lock now (a row left by a
/// killed holder does not); waits briefly for a holder that has just taken the lock.
async fn pg_holder(conn: &mut PgConnection) -> Option<Holder> {
    let deadline = tokio::time::Instant::now() + HOLDER_WAIT;
    loop {
        let row = sqlx::query(
            "SELECT h.host, h.pid, h.started_at FROM runtime_holder h \
             JOIN pg_locks l ON l.pid = h.backend_pid \
             WHERE h.id = 1 AND l.locktype = 'advisory' AND l.granted \
             AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
             AND l.classid::bigint = $1 AND l.objid::bigint = $2 AND l.objsubid = 1",
        )
        .bind(PG_LOCK_KEY >> 32)
        .bind(PG_LOCK_KEY & 0xffff_ffff)
        .fetch_optional(&mut *conn)
        .await;
        if let Ok(Some(row)) = row {
            let pid: i64 = row.try_get("pid").ok()?;
            return Some(Holder {
                host: row.try_get("host").ok()?,
                pid: u32::try_from(pid).ok()?,
                started_at: UnixMillis(row.try_get("started_at").ok()?),
            });
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Keeps the lock connection for the service's life. A connection that dies loses the
/// lock, so it is checked every [`PG_PING_EVERY`] and, when lost, taken again (retried at
/// each check while the database is unreachable). If another process took the database
/// meanwhile, that is sent on `lost` and the keeper ends: the service must stop.
async fn keep_pg(
    conn: PgConnection,
    url: String,
    me: Holder,
    mut stop: oneshot::Receiver<()>,
    lost: oneshot::Sender<LockError>,
) {
    let mut conn = Some(conn);
    let mut tick = tokio::time::interval(PG_PING_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = tick.tick() => {}
        }
        if let Some(c) = conn.as_mut() {
            if c.ping().await.is_ok() {
                continue;
            }
            tracing::error!("the database lock connection was lost; taking the lock again");
            conn = None;
        }
        match take_pg(&url, &me).await {
            Ok(c) => {
                tracing::warn!("the database lock is held again");
                conn = Some(c);
            }
            Err(e @ LockError::Held { .. }) => {
                tracing::error!(error = %e, "this `claw run` lost its database to another runtime");
                let _ = lost.send(e);
                return;
            }
            Err(e) => tracing::error!(
                error = %e,
                "this `claw run` does not hold its database until it can take the lock again"
            ),
        }
    }
    if let Some(mut c) = conn {
        let _ = sqlx::query("DELETE FROM runtime_holder WHERE backend_pid = pg_backend_pid()")
            .execute(&mut c)
            .await;
        let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(PG_LOCK_KEY)
            .execute(&mut c)
            .await;
        let _ = c.close().await;
    }
}

/// This machine's host name (what the refused process prints to find the holder).
fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it
    // or truncates, and the read below stops at the first NUL or the end.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "unknown host".to_string();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}
