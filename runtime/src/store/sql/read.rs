//! The reads of [`SqlStore`]: the [`EventStore`] queries over the shared pool, and
//! `commit`, which hands a batch to the writer and waits for it to be durable.

use super::{Pool, SqlStore};
use crate::slo::histogram::{StatsRow, slot_of};
use crate::store::{
    Accepted, DeadLetterRecord, EventRecord, EventStore, QueueMessage, RunFilter, RunRecord,
    StoreError, Write, status,
};
use crate::time::{Millis, UnixMillis};
use sqlx::{AssertSqlSafe, Row};
use std::collections::BTreeMap;
use tokio::sync::oneshot;

fn json(text: &str, what: &'static str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|source| StoreError::Json { what, source })
}

/// A `$ty` from the row `$r`: each listed field read from the column of the same name, then
/// the `name: value` fields as given (other column names, JSON texts).
macro_rules! from_row {
    ($r:ident, $ty:ident { $($field:ident),* $(,)? } $(, $name:ident: $value:expr)* $(,)?) => {
        $ty { $($field: $r.try_get(stringify!($field))?,)* $($name: $value,)* }
    };
}

/// `$rows` mapped in order with `$each`, an expression over the row `$r` that may use `?`.
macro_rules! map_rows {
    ($rows:expr, |$r:ident| $each:expr) => {{
        let rows = $rows;
        let mut out = Vec::with_capacity(rows.len());
        for $r in rows {
            out.push($each);
        }
        out
    }};
}

/// A [`RunRecord`] from a row of [`RUN_COLS`].
macro_rules! run_from_row {
    ($r:ident) => {
        from_row!(
            $r,
            RunRecord { id, system, idempotency_key, status, received_at, scheduled_at, finished_at },
            trigger: $r.try_get("trigger_name")?,
            payload: json(&$r.try_get::<String, _>("payload")?, "runs.payload")?,
        )
    };
}

/// The run statistics of a window: a range of the `run_stats` primary key (slot first),
/// summed; `$3` optionally keeps one system.
pub(super) const RUN_STATS_SQL: &str = "SELECT system, trigger_name, kind, bucket, CAST(SUM(n) AS BIGINT) AS n \
     FROM run_stats WHERE slot >= $1 AND slot < $2 AND system = COALESCE($3, system) \
     GROUP BY system, trigger_name, kind, bucket";

/// The watchdog's candidates: the `runs_status` index narrows them to unfinished runs.
fn running_before_sql() -> String {
    format!(
        "SELECT {RUN_COLS} FROM runs WHERE status = $1 AND received_at < $2 \
         ORDER BY received_at ASC, id ASC LIMIT $3"
    )
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
    async fn commit(&self, ops: Vec<Write>) -> Result<Vec<Accepted>, StoreError> {
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
                .bind(f.from.map(|t| t.0))
                .bind(f.to.map(|t| t.0))
                .bind(limit)
                .fetch_all(p)
                .await?;
            Ok(map_rows!(rows, |r| run_from_row!(r)))
        })
    }

    async fn unfinished_runs(&self) -> Result<Vec<RunRecord>, StoreError> {
        let sql = format!(
            "SELECT {RUN_COLS} FROM runs WHERE status = $1 ORDER BY received_at ASC, id ASC"
        );
        with_pool!(self, p => {
            let rows = sqlx::query(AssertSqlSafe(sql)).bind(status::RUNNING).fetch_all(p).await?;
            Ok(map_rows!(rows, |r| run_from_row!(r)))
        })
    }

    async fn running_before(
        &self,
        before: UnixMillis,
        limit: i64,
    ) -> Result<Vec<RunRecord>, StoreError> {
        with_pool!(self, p => {
            let rows = sqlx::query(AssertSqlSafe(running_before_sql()))
                .bind(status::RUNNING)
                .bind(before.0)
                .bind(limit)
                .fetch_all(p)
                .await?;
            Ok(map_rows!(rows, |r| run_from_row!(r)))
        })
    }

    async fn run_stats(
        &self,
        system: Option<&str>,
        from: UnixMillis,
        to: UnixMillis,
    ) -> Result<Vec<StatsRow>, StoreError> {
        with_pool!(self, p => {
            let rows = sqlx::query(RUN_STATS_SQL)
                .bind(slot_of(from).0)
                .bind(to.0)
                .bind(system)
                .fetch_all(p)
                .await?;
            Ok(map_rows!(rows, |r| from_row!(
                r,
                StatsRow { system, kind, bucket, n },
                trigger: r.try_get("trigger_name")?,
            )))
        })
    }

    async fn open_dead_letter_counts(&self) -> Result<BTreeMap<String, u64>, StoreError> {
        with_pool!(self, p => {
            let rows = sqlx::query(
                "SELECT system, COUNT(*) AS n FROM dead_letters WHERE state = 'open' GROUP BY system",
            )
            .fetch_all(p)
            .await?;
            let mut out = BTreeMap::new();
            for r in rows {
                let n: i64 = r.try_get("n")?;
                out.insert(r.try_get("system")?, u64::try_from(n).unwrap_or(0));
            }
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
            Ok(map_rows!(rows, |r| from_row!(
                r,
                EventRecord { seq, run_id, system, at, kind, step, attempt },
                data: json(&r.try_get::<String, _>("data")?, "events.data")?,
            )))
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
            Ok(map_rows!(rows, |r| from_row!(
                r,
                DeadLetterRecord { id, system, run_id, step, target, error, at, state },
            )))
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
            Ok(map_rows!(rows, |r| from_row!(
                r,
                QueueMessage { seq, queue, run_id, step },
                body: json(&r.try_get::<String, _>("body")?, "queue_messages.body")?,
            )))
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

    async fn take_queue_slot(
        &self,
        scope: &str,
        queue: &str,
        now: UnixMillis,
        spacing: Millis,
    ) -> Result<UnixMillis, StoreError> {
        // Kept beside the schedule marks under a key no trigger name can have (`#`).
        let key = format!("delay_queue#{queue}");
        let first = now.0.saturating_add(spacing.0);
        // One statement on either database; only the name of "the larger of" differs.
        macro_rules! take {
            ($p:expr, $max:literal) => {
                sqlx::query_scalar(concat!(
                    "INSERT INTO schedule_marks (system, trigger_name, last_fire) VALUES ($1, $2, $3) \
                     ON CONFLICT (system, trigger_name) DO UPDATE \
                     SET last_fire = ",
                    $max,
                    "(schedule_marks.last_fire, $4) + $5 RETURNING last_fire"
                ))
                .bind(scope)
                .bind(&key)
                .bind(first)
                .bind(now.0)
                .bind(spacing.0)
                .fetch_one($p)
                .await?
            };
        }
        let slot: i64 = match &self.pool {
            Pool::Sqlite(p) => take!(p, "max"),
            Pool::Postgres(p) => take!(p, "GREATEST"),
        };
        Ok(UnixMillis(slot))
    }

    async fn save_source(
        &self,
        system: &str,
        path: &str,
        source: &str,
        at: UnixMillis,
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
            .bind(at.0)
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

    async fn prune(&self, system: &str, before: UnixMillis) -> Result<u64, StoreError> {
        self.flush().await?;
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let a = sqlx::query(
                "DELETE FROM events WHERE system = $1 AND at < $2 AND run_id IN \
                 (SELECT id FROM runs WHERE system = $3 AND status <> 'running')",
            )
            .bind(system)
            .bind(before.0)
            .bind(system)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM runs WHERE system = $1 AND status <> 'running' AND received_at < $2")
                .bind(system)
                .bind(before.0)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM run_stats WHERE system = $1 AND slot < $2")
                .bind(system)
                .bind(slot_of(before).0)
                .execute(&mut *tx)
                .await?;
            // State: the remembered operations of the pruned past (their runs are gone, so
            // nothing re-drives them) and entries that had expired by then.
            sqlx::query("DELETE FROM state_applied WHERE system = $1 AND applied_at < $2")
                .bind(system)
                .bind(before.0)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM state_entries WHERE system = $1 AND expires_at < $2")
                .bind(system)
                .bind(before.0)
                .execute(&mut *tx)
                .await?;
            // Digests: entries this system appended and that were released before then; a
            // pending entry is kept whatever its age (it has not been delivered yet).
            sqlx::query(
                "DELETE FROM digest_entries WHERE system = $1 AND release_key IS NOT NULL \
                 AND released_at < $2",
            )
            .bind(system)
            .bind(before.0)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(a.rows_affected())
        })
    }

    async fn flush(&self) -> Result<(), StoreError> {
        self.commit(Vec::new()).await.map(|_| ())
    }

    async fn apply_state(
        &self,
        req: &crate::store::state::StateRequest,
    ) -> Result<serde_json::Value, StoreError> {
        SqlStore::apply_state(self, req).await
    }
    async fn apply_digest(
        &self,
        req: &crate::store::digest::DigestRequest,
    ) -> Result<serde_json::Value, StoreError> {
        SqlStore::apply_digest(self, req).await
    }
}

#[cfg(test)]
mod tests {
    use super::{Pool, RUN_STATS_SQL, SqlStore, running_before_sql};
    use sqlx::{AssertSqlSafe, Row};

    /// SQLite's plan for `sql`, one `detail` line per step.
    async fn plan(store: &SqlStore, sql: &str, binds: usize) -> Vec<String> {
        let Pool::Sqlite(p) = &store.pool else {
            unreachable!("a SQLite store")
        };
        let mut q = sqlx::query(AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")));
        for _ in 0..binds {
            q = q.bind(Option::<i64>::None);
        }
        q.fetch_all(p)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>("detail"))
            .collect()
    }

    /// The reads a server repeats while it serves (SLO figures, `claw status`, the
    /// watchdog) are index range reads, never a scan of a table that grows per run.
    #[tokio::test]
    async fn periodic_reads_use_an_index() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("plan.db").display());
        let store = SqlStore::connect(&url).await.unwrap();
        let stats = plan(&store, RUN_STATS_SQL, 3).await;
        assert!(
            stats
                .iter()
                .any(|d| d.contains("run_stats USING PRIMARY KEY (slot>? AND slot<?)")),
            "{stats:?}"
        );
        assert!(!stats.iter().any(|d| d.starts_with("SCAN")), "{stats:?}");
        let running = plan(&store, &running_before_sql(), 3).await;
        assert!(
            running
                .iter()
                .any(|d| d.contains("runs USING INDEX runs_status (status=?)")),
            "{running:?}"
        );
        assert!(
            !running.iter().any(|d| d.starts_with("SCAN")),
            "{running:?}"
        );
    }
}
