//! [`SqlStore`]: opening and migrating a SQLite (one file, WAL) or PostgreSQL database.
//!
//! The store's other two jobs live beside this file: [`writer`] group-commits every write
//! on one connection of its own, and [`read`] answers the [`EventStore`] queries from the
//! shared pool. Both databases get the same schema semantics.
//!
//! [`EventStore`]: super::EventStore

#[macro_use]
mod applied;
mod digest;
mod group;
mod read;
mod state;
mod stats;
mod writer;

use super::StoreError;
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::mpsc;
use writer::{Submission, WriterDb};

/// The pool readers use (and, for a private in-memory database, the writer too).
#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// SQLite or PostgreSQL event store.
pub struct SqlStore {
    pool: Pool,
    writer: mpsc::Sender<Submission>,
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

/// The schema's migrations, in order: (version, description, SQL). Applied migrations
/// are never edited (sqlx checks their checksums); a change is a new one.
type Migrations = [(i64, &'static str, &'static str)];

const SQLITE_MIGRATIONS: &Migrations = &[
    (
        1,
        "init",
        include_str!("../../../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "drop timers",
        include_str!("../../../migrations/sqlite/0002_drop_timers.sql"),
    ),
    (
        3,
        "run stats",
        include_str!("../../../migrations/sqlite/0003_run_stats.sql"),
    ),
    (
        4,
        "runtime holder",
        include_str!("../../../migrations/sqlite/0004_runtime_holder.sql"),
    ),
    (
        5,
        "state stores",
        include_str!("../../../migrations/sqlite/0005_state.sql"),
    ),
    (
        6,
        "digests",
        include_str!("../../../migrations/sqlite/0006_digests.sql"),
    ),
];

const POSTGRES_MIGRATIONS: &Migrations = &[
    (
        1,
        "init",
        include_str!("../../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "drop timers",
        include_str!("../../../migrations/postgres/0002_drop_timers.sql"),
    ),
    (
        3,
        "run stats",
        include_str!("../../../migrations/postgres/0003_run_stats.sql"),
    ),
    (
        4,
        "runtime holder",
        include_str!("../../../migrations/postgres/0004_runtime_holder.sql"),
    ),
    (
        5,
        "state stores",
        include_str!("../../../migrations/postgres/0005_state.sql"),
    ),
    (
        6,
        "digests",
        include_str!("../../../migrations/postgres/0006_digests.sql"),
    ),
];

fn migrator(migrations: &Migrations) -> Migrator {
    Migrator::with_migrations(
        migrations
            .iter()
            .map(|(version, description, sql)| {
                Migration::new(
                    *version,
                    (*description).into(),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

/// Largest WAL file SQLite keeps after a checkpoint resets it (64 MiB), bytes.
pub const JOURNAL_SIZE_LIMIT: u64 = 64 * 1024 * 1024;

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
                .busy_timeout(Duration::from_secs(10))
                // Bounded WAL: the writer checkpoints (PASSIVE) each time the WAL passes
                // 1000 pages, a WAL reset shrinks the file back to the limit, and the
                // service truncates it periodically ([`crate::store::EventStore::checkpoint`]).
                // Readers are short (no read holds a snapshot for long), so checkpoints are
                // not starved.
                .pragma("wal_autocheckpoint", "1000")
                .pragma("journal_size_limit", JOURNAL_SIZE_LIMIT.to_string());
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
            migrator(SQLITE_MIGRATIONS).run(&pool).await?;
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
            migrator(POSTGRES_MIGRATIONS).run(&pool).await?;
            own_writer = Some(WriterDb::Postgres(url.to_string()));
            Pool::Postgres(pool)
        } else {
            return Err(StoreError::BadUrl(redact_url(url)));
        };
        let (tx, rx) = mpsc::channel(8192);
        match own_writer {
            Some(db) => writer::spawn_writer_thread(db, rx).await?,
            None => {
                // A private in-memory database lives in its one pooled connection.
                // Readers share that one connection: the writer must not keep it.
                tokio::spawn(writer::writer(pool.clone(), rx, false));
            }
        }
        Ok(SqlStore {
            pool,
            writer: tx,
            url: url.to_string(),
        })
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
    fn passwords_are_hidden() {
        assert_eq!(
            redact_url("postgres://claw:hunter2@127.0.0.1:5432/db"),
            "postgres://claw:***@127.0.0.1:5432/db"
        );
        assert_eq!(redact_url("sqlite://claw.db"), "sqlite://claw.db");
    }
}
