//! One group commit's statements: the group's writes laid out table by table ([`Plan`]) and
//! written with a few multi-row statements per table ([`Group`]), for SQLite and PostgreSQL
//! alike. The writer task ([`super::writer`]) runs them inside its transaction.

use crate::store::{Accepted, NewEvent, NewRun, RunTally, Write, status};
use sqlx::{
    AssertSqlSafe, ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Row, Type,
};
use std::collections::HashSet;

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
    pub(super) async fn apply(
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
