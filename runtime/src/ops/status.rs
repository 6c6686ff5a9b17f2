//! Status: runs, failures, dead-letter depth and SLO figures per system over a window,
//! and each declared objective met, breached or without data (`claw status`), from the
//! run statistics ([`crate::slo::status`]), so it answers at once on a database of any size.

use super::OpsError;
use crate::time::{Millis, UnixMillis};
use serde_json::{Value, json};

/// The status over the `hours` ending at `now`, of `system` or of every system:
/// `{"window_hours", "dlq_depth", "systems": {name: summary + "dlq_depth" + "slo"}}`.
pub async fn status(
    store: &dyn crate::store::EventStore,
    now: UnixMillis,
    hours: i64,
    system: Option<&str>,
) -> Result<Value, OpsError> {
    let from = now - Millis(hours.max(0) * 3_600_000);
    let (systems, dlq) = crate::slo::status(store, system, from, now + Millis(1)).await?;
    Ok(json!({"window_hours": hours, "dlq_depth": dlq, "systems": systems}))
}
