//! Read-only views over stored runs: `claw status` counts, decisions of a run.

use crate::plan::LoadedSystem;
use crate::store::{EventRecord, RunRecord, status};
use crate::time::Millis;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Counts of a set of runs, for `claw status`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StatusSummary {
    /// Runs in the window.
    pub runs: u64,
    /// Runs that finished with every step succeeded (or stopped by a decision).
    pub succeeded: u64,
    /// Runs that finished with a step failed for good.
    pub failed: u64,
    /// Still running.
    pub running: u64,
    /// Failed / finished.
    pub error_rate: f64,
    /// Median trigger-to-completion latency of the finished runs; `None` when none finished.
    pub latency_p50_ms: Option<Millis>,
    /// 95th percentile of the same latency; `None` when no run finished.
    pub latency_p95_ms: Option<Millis>,
    /// 99th percentile of the same latency; `None` when no run finished.
    pub latency_p99_ms: Option<Millis>,
}

/// Summarises runs.
pub fn summarize(runs: &[RunRecord]) -> StatusSummary {
    let mut s = StatusSummary {
        runs: runs.len() as u64,
        ..Default::default()
    };
    let mut lat: Vec<Millis> = Vec::new();
    for r in runs {
        match r.status.as_str() {
            status::SUCCEEDED => s.succeeded += 1,
            status::FAILED => s.failed += 1,
            _ => s.running += 1,
        }
        if let Some(f) = r.finished_at {
            lat.push(f - r.scheduled_at.unwrap_or(r.received_at).max(r.received_at));
        }
    }
    let finished = s.succeeded + s.failed;
    s.error_rate = if finished == 0 {
        0.0
    } else {
        s.failed as f64 / finished as f64
    };
    lat.sort_unstable();
    let pct = |p: f64| -> Option<Millis> {
        if lat.is_empty() {
            return None;
        }
        let i = ((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1;
        Some(lat[i])
    };
    s.latency_p50_ms = pct(0.50);
    s.latency_p95_ms = pct(0.95);
    s.latency_p99_ms = pct(0.99);
    s
}

/// Keys of decisions made in a run (for replays that reuse them).
pub fn decisions_of(events: &[EventRecord]) -> BTreeMap<String, Value> {
    events
        .iter()
        .filter(|e| e.kind == "decision.made")
        .filter_map(|e| Some((e.step.clone()?, e.data.clone())))
        .collect()
}

/// Unused-name guard: the set of step names a system runs (for docs and checks).
pub fn step_names(sys: &LoadedSystem) -> BTreeSet<String> {
    sys.steps.iter().map(|s| s.exec.name.clone()).collect()
}
