//! What makes the `state.*`, `table.*` and `digest.*` transactions apply once per idempotency
//! key: the look-up of a remembered output in `state_applied`, and remembering one, written
//! once for both (`sql/state.rs`, `sql/digest.rs`) as macros over the open transaction (the
//! two backends' transactions are different types).

use crate::store::StoreError;
use serde_json::Value;

/// Parses a JSON document stored in the column `what`.
pub(super) fn parse(text: &str, what: &'static str) -> Result<Value, StoreError> {
    serde_json::from_str(text).map_err(|source| StoreError::Json { what, source })
}

/// The output remembered for (`$system`, `$key`) in the open transaction `$tx`, if any
/// (`Option<Value>`; `?` on a database or JSON error).
macro_rules! remembered {
    ($tx:ident, $system:expr, $key:expr) => {{
        let text: Option<String> = sqlx::query_scalar(
            "SELECT output FROM state_applied WHERE system = $1 AND idempotency_key = $2",
        )
        .bind($system)
        .bind($key)
        .fetch_optional(&mut *$tx)
        .await?;
        match text {
            Some(t) => Some(super::applied::parse(&t, "state_applied.output")?),
            None => None,
        }
    }};
}

/// Remembers `$output` for (`$system`, `$key`) at `$now` in the open transaction `$tx`.
macro_rules! remember {
    ($tx:ident, $system:expr, $key:expr, $output:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO state_applied (system, idempotency_key, output, applied_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind($system)
        .bind($key)
        .bind($output.to_string())
        .bind($now)
        .execute(&mut *$tx)
        .await?
    };
}
