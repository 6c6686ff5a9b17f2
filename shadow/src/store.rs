//! The shadow store: a SQLite file (sqlx) holding wrap records, mirrored
//! requests with the shadow outcome `serve` recorded for each, and the verdict
//! of every compared run, so a shadow period of several weeks shows parity per day.

use crate::compare::{Class, Tally};
use crate::error::ShadowError;
use crate::model::{Correlation, Outcome};
use crate::report::{Day, Report};
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::path::Path;
use std::str::FromStr;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS wrap_runs (
  id INTEGER PRIMARY KEY,
  system TEXT NOT NULL, job TEXT NOT NULL,
  started_at TEXT NOT NULL, ended_at TEXT,
  exit_code INTEGER, signal INTEGER,
  program TEXT NOT NULL, command_sha256 TEXT NOT NULL,
  stdout_sha256 TEXT, stderr_sha256 TEXT, stdout_bytes INTEGER, stderr_bytes INTEGER);
CREATE TABLE IF NOT EXISTS mirror_requests (
  id INTEGER PRIMARY KEY,
  system TEXT NOT NULL, trigger TEXT NOT NULL, received_at TEXT NOT NULL,
  payload TEXT NOT NULL, payload_sha256 TEXT NOT NULL,
  legacy_status INTEGER, forward_error TEXT, shadow_error TEXT);
CREATE TABLE IF NOT EXISTS mirror_outcomes (
  request_id INTEGER PRIMARY KEY REFERENCES mirror_requests(id),
  system_sha256 TEXT NOT NULL, outcome TEXT, error TEXT,
  CHECK ((outcome IS NULL) <> (error IS NULL)));
CREATE TABLE IF NOT EXISTS verdicts (
  system TEXT NOT NULL, run TEXT NOT NULL, day TEXT NOT NULL, class TEXT NOT NULL,
  PRIMARY KEY (system, run));
";

/// An open store.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    path: String,
}

/// What `wrap` records about one run of a legacy command.
#[derive(Debug, Clone)]
pub struct WrapRecord {
    /// System the job belongs to.
    pub system: String,
    /// Job (the schedule trigger's name).
    pub job: String,
    /// When the command was started.
    pub started_at: DateTime<Utc>,
    /// When the command ended.
    pub ended_at: DateTime<Utc>,
    /// Exit code, when it exited.
    pub exit_code: Option<i32>,
    /// Signal, when it was killed.
    pub signal: Option<i32>,
    /// argv[0] only: arguments may hold credentials.
    pub program: String,
    /// SHA-256 of the whole command line.
    pub command_sha256: String,
    /// SHA-256 of stdout.
    pub stdout_sha256: String,
    /// SHA-256 of stderr.
    pub stderr_sha256: String,
    /// Bytes of stdout.
    pub stdout_bytes: u64,
    /// Bytes of stderr.
    pub stderr_bytes: u64,
}

/// One mirrored request.
#[derive(Debug, Clone)]
pub struct Mirrored {
    /// Row id, the `mirror:<id>` of the outcome sources.
    pub id: i64,
    /// Trigger name from the hook path.
    pub trigger: String,
    /// When the mirror received it (RFC 3339).
    pub received_at: String,
    /// Body as received.
    pub payload: String,
    /// Status the legacy endpoint answered.
    pub legacy_status: Option<i64>,
    /// Why forwarding failed.
    pub forward_error: Option<String>,
    /// Why the shadow side failed before the record-only run (body not JSON).
    pub shadow_error: Option<String>,
    /// What the record-only run made of it when it arrived, if it got that far.
    pub recorded: Option<Recorded>,
}

/// A mirrored request to record.
#[derive(Debug, Clone, Copy)]
pub struct NewMirror<'a> {
    /// System the request was sent to.
    pub system: &'a str,
    /// Trigger name from the hook path.
    pub trigger: &'a str,
    /// Body as received (lossy UTF-8).
    pub payload: &'a str,
    /// When the mirror received it.
    pub received_at: DateTime<Utc>,
    /// Status the legacy endpoint answered.
    pub legacy_status: Option<u16>,
    /// Why forwarding failed.
    pub forward_error: Option<&'a str>,
    /// Why the shadow side cannot run it (body not JSON).
    pub shadow_error: Option<&'a str>,
}

/// The shadow side's result for one mirrored request, recorded as it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// [`crate::bind::system_digest`] of the system the run used: a recorded result
    /// only stands for that version of the system.
    pub system_sha256: String,
    /// The shadow outcome, or why the record-only run failed.
    pub result: Result<Outcome, RecordedFailure>,
}

/// Why a record-only run failed, as recorded when the request arrived. Only the text
/// survives: the error itself belonged to the `serve` process that recorded it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RecordedFailure(pub String);

impl std::ops::Deref for RecordedFailure {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Store {
    /// Opens (creating) the store file.
    pub async fn open(path: &Path) -> Result<Store, ShadowError> {
        let p = path.display().to_string();
        let err = |e: sqlx::Error| ShadowError::Store {
            path: p.clone(),
            message: e.to_string(),
        };
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{p}"))
            .map_err(err)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await
            .map_err(err)?;
        sqlx::raw_sql(SCHEMA).execute(&pool).await.map_err(err)?;
        Ok(Store { pool, path: p })
    }

    fn err(&self, e: sqlx::Error) -> ShadowError {
        ShadowError::Store {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }

    /// Appends a wrap record.
    pub async fn add_wrap(&self, r: &WrapRecord) -> Result<(), ShadowError> {
        sqlx::query("INSERT INTO wrap_runs (system, job, started_at, ended_at, exit_code, signal, program, command_sha256, stdout_sha256, stderr_sha256, stdout_bytes, stderr_bytes) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)")
            .bind(&r.system).bind(&r.job).bind(r.started_at.to_rfc3339()).bind(r.ended_at.to_rfc3339())
            .bind(r.exit_code).bind(r.signal).bind(&r.program).bind(&r.command_sha256)
            .bind(&r.stdout_sha256).bind(&r.stderr_sha256).bind(r.stdout_bytes as i64).bind(r.stderr_bytes as i64)
            .execute(&self.pool).await.map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Wrap records of a system as legacy job runs.
    pub async fn wrap_outcomes(&self, system: &str) -> Result<Vec<Outcome>, ShadowError> {
        let rows = sqlx::query("SELECT id, job, started_at, exit_code, signal FROM wrap_runs WHERE system = ? ORDER BY id")
            .bind(system).fetch_all(&self.pool).await.map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for r in rows {
            let id: i64 = r.get(0);
            let started: String = r.get(2);
            let at = crate::model::parse_time(&started).ok_or_else(|| ShadowError::Store {
                path: self.path.clone(),
                message: format!("wrap_runs row {id}: bad started_at `{started}`"),
            })?;
            let code: Option<i32> = r.get(3);
            let sig: Option<i32> = r.get(4);
            out.push(Outcome {
                source: format!("wrap:{id}"),
                system: system.to_string(),
                trigger: r.get(1),
                correlation: Correlation::FireTime,
                at,
                payload_digest: None,
                branches: Vec::new(),
                steps: Vec::new(),
                status: match (code, sig) {
                    (Some(c), _) => format!("exit {c}"),
                    (None, Some(s)) => format!("signal {s}"),
                    _ => "unknown".into(),
                },
                payload: None,
            });
        }
        Ok(out)
    }

    /// Appends a mirrored request; returns its row id.
    pub async fn add_mirror(&self, m: &NewMirror<'_>) -> Result<i64, ShadowError> {
        use sha2::{Digest, Sha256};
        let r = sqlx::query("INSERT INTO mirror_requests (system, trigger, received_at, payload, payload_sha256, legacy_status, forward_error, shadow_error) VALUES (?,?,?,?,?,?,?,?)")
            .bind(m.system).bind(m.trigger).bind(m.received_at.to_rfc3339()).bind(m.payload)
            .bind(hex::encode(Sha256::digest(m.payload.as_bytes())))
            .bind(m.legacy_status.map(i64::from)).bind(m.forward_error).bind(m.shadow_error)
            .execute(&self.pool).await.map_err(|e| self.err(e))?;
        Ok(r.last_insert_rowid())
    }

    /// Records the shadow side's result for mirrored request `request_id` (replacing any
    /// earlier one).
    pub async fn add_mirror_result(
        &self,
        request_id: i64,
        system_sha256: &str,
        result: Result<&Outcome, &str>,
    ) -> Result<(), ShadowError> {
        let (outcome, error) = match result {
            Ok(o) => (
                Some(serde_json::to_string(o).map_err(|e| ShadowError::Store {
                    path: self.path.clone(),
                    message: format!(
                        "mirrored request {request_id}: outcome not serializable: {e}"
                    ),
                })?),
                None,
            ),
            Err(e) => (None, Some(e)),
        };
        sqlx::query("INSERT OR REPLACE INTO mirror_outcomes (request_id, system_sha256, outcome, error) VALUES (?,?,?,?)")
            .bind(request_id).bind(system_sha256).bind(outcome).bind(error)
            .execute(&self.pool).await.map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Mirrored requests with their recorded results, oldest first.
    pub async fn mirrored(&self, system: &str) -> Result<Vec<Mirrored>, ShadowError> {
        let rows = sqlx::query("SELECT m.id, m.trigger, m.received_at, m.payload, m.legacy_status, m.forward_error, m.shadow_error, o.system_sha256, o.outcome, o.error FROM mirror_requests m LEFT JOIN mirror_outcomes o ON o.request_id = m.id WHERE m.system = ? ORDER BY m.id")
            .bind(system).fetch_all(&self.pool).await.map_err(|e| self.err(e))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: i64 = r.get(0);
            let digest: Option<String> = r.get(7);
            let outcome: Option<String> = r.get(8);
            let error: Option<String> = r.get(9);
            let recorded = match (digest, outcome, error) {
                (Some(system_sha256), Some(o), _) => Some(Recorded {
                    system_sha256,
                    result: Ok(serde_json::from_str(&o).map_err(|e| ShadowError::Store {
                        path: self.path.clone(),
                        message: format!("mirror_outcomes row {id}: unreadable outcome: {e}"),
                    })?),
                }),
                (Some(system_sha256), None, Some(e)) => Some(Recorded {
                    system_sha256,
                    result: Err(RecordedFailure(e)),
                }),
                _ => None,
            };
            out.push(Mirrored {
                id,
                trigger: r.get(1),
                received_at: r.get(2),
                payload: r.get(3),
                legacy_status: r.get(4),
                forward_error: r.get(5),
                shadow_error: r.get(6),
                recorded,
            });
        }
        Ok(out)
    }

    /// Records every run verdict of a report; re-comparing the same runs replaces their verdicts.
    pub async fn add_report(&self, r: &Report) -> Result<(), ShadowError> {
        let mut tx = self.pool.begin().await.map_err(|e| self.err(e))?;
        for run in &r.runs {
            let src = run
                .legacy
                .as_ref()
                .or(run.shadow.as_ref())
                .map_or("", |o| o.source.as_str());
            let key = format!("{}|{}|{}|{src}", run.trigger, run.correlation, run.at);
            sqlx::query(
                "INSERT OR REPLACE INTO verdicts (system, run, day, class) VALUES (?,?,?,?)",
            )
            .bind(&r.system)
            .bind(key)
            .bind(&run.at[..10.min(run.at.len())])
            .bind(run.class.name())
            .execute(&mut *tx)
            .await
            .map_err(|e| self.err(e))?;
        }
        tx.commit().await.map_err(|e| self.err(e))
    }

    /// Parity per day over everything stored for a system.
    pub async fn days(&self, system: &str) -> Result<Vec<Day>, ShadowError> {
        let rows =
            sqlx::query("SELECT day, class FROM verdicts WHERE system = ? ORDER BY day, run")
                .bind(system)
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
        let mut by_day: std::collections::BTreeMap<String, Vec<Class>> = Default::default();
        for r in rows {
            let class: String = r.get(1);
            // An unknown name can only come from a newer claw; it is not counted in parity.
            let c = Class::ALL
                .into_iter()
                .find(|c| c.name() == class)
                .unwrap_or(Class::Duplicate);
            by_day.entry(r.get(0)).or_default().push(c);
        }
        Ok(by_day
            .into_iter()
            .map(|(day, c)| Day {
                day,
                tally: Tally::of(c.into_iter()),
            })
            .collect())
    }

    /// Closes the pool (flushes WAL).
    pub async fn close(self) {
        self.pool.close().await;
    }
}
