//! Retention: events of finished runs older than the system's `data.events.retention` are
//! deleted, with the finished runs they belong to. `claw run` prunes at start and then
//! every [`PRUNE_EVERY`]; runs still in progress are never pruned, whatever their age.

use crate::engine::{EngineError, Runtime};
use crate::time::{Millis, UnixMillis};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::time::Duration;

/// Time between prunes.
pub const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// What one prune removed for one system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pruned {
    /// The system pruned.
    pub system: String,
    /// Events older than this were removed.
    pub before: UnixMillis,
    /// How many events were removed.
    pub events: u64,
}

/// A `data.events.retention` that is not a duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("retention `{text}` is not a duration: {message}")]
pub struct BadRetention {
    /// The retention as written.
    pub text: String,
    /// Why it does not parse.
    pub message: String,
}

/// The retention of a system, or why it cannot be used.
pub fn retention_of(text: &str) -> Result<Duration, BadRetention> {
    claw_language::units::parse_duration(text).map_err(|message| BadRetention {
        text: text.to_string(),
        message: message.to_string(),
    })
}

/// Prunes every loaded system as of `now`. A system whose retention does not parse is
/// skipped with a warning (the checker refuses such systems, so this is a guard).
pub async fn prune_once(rt: &Runtime, now: DateTime<Utc>) -> Result<Vec<Pruned>, EngineError> {
    let mut out = Vec::new();
    for sys in rt.systems() {
        let text = &sys.system.data.events.retention;
        let keep = match retention_of(text) {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(system = %sys.name(), retention = %text, error = %e, "retention not applied");
                continue;
            }
        };
        let before = UnixMillis::from(now) - Millis::from_duration(keep);
        let events = rt.store().prune(sys.name(), before).await?;
        if events > 0 {
            tracing::info!(system = %sys.name(), events, retention = %text, "pruned events past retention");
        }
        out.push(Pruned {
            system: sys.name().to_string(),
            before,
            events,
        });
    }
    Ok(out)
}

/// Prunes at start and then every [`PRUNE_EVERY`] until the runtime drains.
pub async fn run(rt: Runtime) {
    let mut tick = tokio::time::interval(PRUNE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if rt.is_draining() {
            return;
        }
        if let Err(e) = prune_once(&rt, rt.clock().now()).await {
            tracing::warn!(error = %e, "pruning failed; trying again in an hour");
        }
    }
}
