//! The `digest.*` operations of [`SqlStore`]: one transaction per operation that checks the
//! step's idempotency key, appends the entry, and (when the digest releases) reads the pending
//! entries and marks them released by that key, then remembers the key with the output.
//!
//! Operations on one digest are serialised so concurrent appends count right and two releases
//! never take the same entry: SQLite takes the database's write lock at `BEGIN IMMEDIATE`;
//! PostgreSQL takes a transaction-scoped advisory lock on the digest before reading anything.

use super::applied::parse;
use super::{Pool, SqlStore};
use crate::store::StoreError;
use crate::store::digest::{DigestOp, DigestRequest};
use serde_json::Value;

/// The body of one operation inside the open transaction `$tx`; evaluates to the output.
/// A macro for the reason given in `sql/state.rs`: the two backends' transactions differ.
macro_rules! digest_in {
    ($tx:ident, $req:expr) => {{
        let req: &DigestRequest = $req;
        match remembered!($tx, &req.system, &req.idempotency_key) {
            Some(output) => output,
            None => {
                if let DigestOp::Append { entry, .. } = &req.op {
                    sqlx::query(
                        "INSERT INTO digest_entries (digest, entry, system, run_id, appended_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&req.digest)
                    .bind(entry.to_string())
                    .bind(&req.system)
                    .bind(&req.run_id)
                    .bind(req.now.0)
                    .execute(&mut *$tx)
                    .await?;
                }
                let pending: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM digest_entries \
                     WHERE digest = $1 AND release_key IS NULL",
                )
                .bind(&req.digest)
                .fetch_one(&mut *$tx)
                .await?;
                let output = if req.releases(pending) {
                    let rows: Vec<String> = sqlx::query_scalar(
                        "SELECT entry FROM digest_entries \
                         WHERE digest = $1 AND release_key IS NULL ORDER BY seq",
                    )
                    .bind(&req.digest)
                    .fetch_all(&mut *$tx)
                    .await?;
                    sqlx::query(
                        "UPDATE digest_entries SET release_key = $1, released_at = $2 \
                         WHERE digest = $3 AND release_key IS NULL",
                    )
                    .bind(&req.idempotency_key)
                    .bind(req.now.0)
                    .bind(&req.digest)
                    .execute(&mut *$tx)
                    .await?;
                    let entries = rows
                        .iter()
                        .map(|t| parse(t, "digest_entries.entry"))
                        .collect::<Result<Vec<_>, _>>()?;
                    req.released(entries)
                } else {
                    req.held(pending)
                };
                remember!($tx, &req.system, &req.idempotency_key, output, req.now.0);
                output
            }
        }
    }};
}

impl SqlStore {
    /// Applies one `digest.*` operation exactly once per idempotency key (see the module).
    pub(super) async fn apply_digest(&self, req: &DigestRequest) -> Result<Value, StoreError> {
        match &self.pool {
            Pool::Sqlite(p) => {
                let mut tx = p.begin_with("BEGIN IMMEDIATE").await?;
                let out = digest_in!(tx, req);
                tx.commit().await?;
                Ok(out)
            }
            Pool::Postgres(p) => {
                let mut tx = p.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                    .bind(format!("claw.digest\u{1f}{}", req.digest))
                    .execute(&mut *tx)
                    .await?;
                let out = digest_in!(tx, req);
                tx.commit().await?;
                Ok(out)
            }
        }
    }
}
