//! The `state.*` operations of [`SqlStore`]: one transaction per operation that checks the
//! step's idempotency key, reads the entries it touches, writes their new values and
//! remembers the key with the output.
//!
//! Operations on the same store are serialised so a read-modify-write (an increment) never
//! loses an update: SQLite takes the database's write lock at `BEGIN IMMEDIATE`; PostgreSQL
//! takes a transaction-scoped advisory lock on the store before reading anything.

use super::applied::parse;
use super::{Pool, SqlStore};
use crate::store::StoreError;
use crate::store::state::{StateRequest, apply};
use serde_json::Value;
use std::collections::BTreeMap;

/// The body of one operation inside the open transaction `$tx`; evaluates to the output.
/// A macro rather than a generic function: the two backends' transactions are different
/// types and sqlx's executor bounds over `&mut *tx` are not worth spelling out twice.
macro_rules! apply_in {
    ($tx:ident, $req:expr) => {{
        let req: &StateRequest = $req;
        match remembered!($tx, &req.system, &req.idempotency_key) {
            Some(output) => output,
            None => {
                let mut current = BTreeMap::new();
                if req.op.reads_all() {
                    let rows: Vec<(String, String, Option<i64>)> = sqlx::query_as(
                        "SELECT entry_key, value, expires_at FROM state_entries \
                         WHERE system = $1 AND store = $2",
                    )
                    .bind(&req.system)
                    .bind(&req.store)
                    .fetch_all(&mut *$tx)
                    .await?;
                    for (key, text, expires) in rows {
                        if expires.is_none_or(|e| e > req.now.0) {
                            current.insert(key, parse(&text, "state_entries.value")?);
                        }
                    }
                }
                for key in req.op.keys() {
                    let row: Option<(String, Option<i64>)> = sqlx::query_as(
                        "SELECT value, expires_at FROM state_entries \
                         WHERE system = $1 AND store = $2 AND entry_key = $3",
                    )
                    .bind(&req.system)
                    .bind(&req.store)
                    .bind(&key)
                    .fetch_optional(&mut *$tx)
                    .await?;
                    if let Some((text, expires)) = row
                        && expires.is_none_or(|e| e > req.now.0)
                    {
                        current.insert(key, parse(&text, "state_entries.value")?);
                    }
                }
                let applied = apply(&req.op, &current)?;
                for (key, value) in &applied.writes {
                    match value {
                        Some(v) => {
                            sqlx::query(
                                "INSERT INTO state_entries \
                                 (system, store, entry_key, value, updated_at, expires_at) \
                                 VALUES ($1, $2, $3, $4, $5, $6) \
                                 ON CONFLICT (system, store, entry_key) DO UPDATE SET \
                                 value = excluded.value, updated_at = excluded.updated_at, \
                                 expires_at = excluded.expires_at",
                            )
                            .bind(&req.system)
                            .bind(&req.store)
                            .bind(key)
                            .bind(v.to_string())
                            .bind(req.now.0)
                            .bind(req.expires_at())
                            .execute(&mut *$tx)
                            .await?;
                        }
                        None => {
                            sqlx::query(
                                "DELETE FROM state_entries \
                                 WHERE system = $1 AND store = $2 AND entry_key = $3",
                            )
                            .bind(&req.system)
                            .bind(&req.store)
                            .bind(key)
                            .execute(&mut *$tx)
                            .await?;
                        }
                    }
                }
                remember!(
                    $tx,
                    &req.system,
                    &req.idempotency_key,
                    applied.output,
                    req.now.0
                );
                applied.output
            }
        }
    }};
}

impl SqlStore {
    /// Applies one `state.*` operation exactly once per idempotency key (see the module).
    pub(super) async fn apply_state(&self, req: &StateRequest) -> Result<Value, StoreError> {
        match &self.pool {
            Pool::Sqlite(p) => {
                let mut tx = p.begin_with("BEGIN IMMEDIATE").await?;
                let out = apply_in!(tx, req);
                tx.commit().await?;
                Ok(out)
            }
            Pool::Postgres(p) => {
                let mut tx = p.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                    .bind(format!("claw.state\u{1f}{}\u{1f}{}", req.system, req.store))
                    .execute(&mut *tx)
                    .await?;
                let out = apply_in!(tx, req);
                tx.commit().await?;
                Ok(out)
            }
        }
    }
}
