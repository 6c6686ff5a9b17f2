//! `claw status`'s figures: per system, the run counts, error rate and latency percentiles
//! over a window, its open dead letters, and each declared objective judged — all from the
//! run statistics, so the answer costs the same on a database of any size.

use super::histogram::TriggerStats;
use super::{SloStatus, assess, figures_from, window_stats};
use crate::engine::StatusSummary;
use crate::store::{EventStore, StoreError};
use crate::time::{Millis, UnixMillis};
use serde::Serialize;
use std::collections::BTreeMap;

/// One system's line of `claw status`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SystemStatus {
    /// Counts and latency percentiles.
    #[serde(flatten)]
    pub summary: StatusSummary,
    /// Open dead letters of the system.
    pub dlq_depth: u64,
    /// Each declared objective (`observability.slo` of the version the runtime last
    /// loaded), judged; empty when no source was saved.
    pub slo: Vec<SloStatus>,
}

/// The summary `claw status` shows for a set of run statistics.
pub fn summary_of(t: &TriggerStats) -> StatusSummary {
    let finished = t.finished();
    StatusSummary {
        runs: t.runs,
        succeeded: t.succeeded,
        failed: t.failed,
        running: t.running(),
        error_rate: if finished == 0 {
            0.0
        } else {
            t.failed as f64 / finished as f64
        },
        latency_p50_ms: t.percentile_ms(0.50).map(Millis),
        latency_p95_ms: t.percentile_ms(0.95).map(Millis),
        latency_p99_ms: t.percentile_ms(0.99).map(Millis),
    }
}

/// Every system with runs in `[from, to)` (or only `system`), and the open dead letters of
/// every system.
pub async fn status(
    store: &dyn EventStore,
    system: Option<&str>,
    from: UnixMillis,
    to: UnixMillis,
) -> Result<(BTreeMap<String, SystemStatus>, u64), StoreError> {
    let stats = window_stats(store, system, from, to).await?;
    let dead = store.open_dead_letter_counts().await?;
    let mut out = BTreeMap::new();
    for (name, w) in &stats {
        let depth = dead.get(name).copied().unwrap_or(0);
        let slo = match store.latest_source(name).await? {
            Some((_, text)) => match claw_language::parse::parse(&text).system {
                Some(sys) => {
                    let triggers: Vec<String> =
                        sys.triggers.iter().map(|t| t.name.clone()).collect();
                    let names: Vec<String> = sys.observability.slo.keys().cloned().collect();
                    let depth = usize::try_from(depth).unwrap_or(usize::MAX);
                    let figures = figures_from(w, depth, &triggers, &names);
                    assess(&figures, &sys.observability.slo)
                }
                None => Vec::new(),
            },
            None => Vec::new(),
        };
        out.insert(
            name.clone(),
            SystemStatus {
                summary: summary_of(&w.total()),
                dlq_depth: depth,
                slo,
            },
        );
    }
    Ok((out, dead.values().sum()))
}
