//! Run statistics in the group commit: each group adds its accepted runs (those that were
//! not duplicates) and its finished runs to their minute's rows of `run_stats`, one
//! multi-row upsert per group, in the same transaction as the runs themselves. The SLO
//! figures and `claw status` read these rows instead of the runs.

use super::group::{Group, GroupDb, Params, chunk_sizes, placeholders};
use crate::slo::histogram::{ACCEPTED, NO_BUCKET, latency_bucket, slot_of};
use crate::store::{NewEvent, NewRun, RunTally};
use sqlx::{AssertSqlSafe, Executor, IntoArguments};
use std::collections::{BTreeMap, HashSet};

/// A row's key: slot, system, trigger, kind, bucket.
type Key<'a> = (i64, &'a str, &'a str, &'a str, i64);

/// Sums a group's accepted and finished runs by row.
pub(super) fn tallies<'a>(
    accepts: &[(usize, &'a NewRun, &'a NewEvent)],
    inserted: &HashSet<String>,
    finished: &[&'a RunTally],
) -> Vec<(Key<'a>, i64)> {
    let mut rows: BTreeMap<Key<'a>, i64> = BTreeMap::new();
    for (_, run, _) in accepts {
        if inserted.contains(&run.id) {
            let key = (
                slot_of(run.received_at).0,
                run.system.as_str(),
                run.trigger.as_str(),
                ACCEPTED,
                NO_BUCKET,
            );
            *rows.entry(key).or_default() += 1;
        }
    }
    for t in finished {
        let key = (
            slot_of(t.received_at).0,
            t.system.as_str(),
            t.trigger.as_str(),
            t.status.as_str(),
            latency_bucket(t.latency_ms.0),
        );
        *rows.entry(key).or_default() += 1;
    }
    rows.into_iter().collect()
}

/// The upsert of `rows` statistics rows. Keys are distinct within a statement
/// (PostgreSQL refuses to update one row twice in one statement).
fn upsert_sql(rows: usize, style: Params) -> String {
    format!(
        "INSERT INTO run_stats (slot, system, trigger_name, kind, bucket, n) VALUES {} \
         ON CONFLICT (slot, system, trigger_name, kind, bucket) DO UPDATE SET n = run_stats.n + excluded.n",
        placeholders(rows, 6, style)
    )
}

impl<DB: GroupDb> Group<DB>
where
    DB::Arguments: IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    /// Adds the group's tallies to their rows.
    pub(super) async fn count(
        conn: &mut DB::Connection,
        rows: &[(Key<'_>, i64)],
    ) -> Result<(), sqlx::Error> {
        let mut at = 0;
        for size in chunk_sizes(rows.len()) {
            let mut q = sqlx::query::<DB>(AssertSqlSafe(upsert_sql(size, DB::PARAMS)));
            for ((slot, system, trigger, kind, bucket), n) in &rows[at..at + size] {
                q = q
                    .bind(*slot)
                    .bind(*system)
                    .bind(*trigger)
                    .bind(*kind)
                    .bind(*bucket)
                    .bind(*n);
            }
            q.execute(&mut *conn).await?;
            at += size;
        }
        Ok(())
    }
}
