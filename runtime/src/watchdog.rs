//! The watchdog: finds accepted runs that have made no progress for longer than their
//! steps allow, logs each as an error, counts it in `claw_watchdog_runs_total`, and drives
//! again the ones no task of this process is driving (a lost driver).
//!
//! A run's last event says how long it may stay quiet: until its due time after a scheduled
//! delay or retry, the step's timeout (plus the engine's 5 s margin) after an attempt
//! started, and otherwise no time at all (the engine goes on at once); [`Watchdog::grace`]
//! is added to each. Runs driven by another process on the same database (`claw fire
//! --direct`, `claw backfill`, `claw replay`) keep making progress, so they are left alone.

use crate::engine::{EngineError, Runtime};
use crate::store::{EventRecord, RunRecord};
use crate::time::UnixMillis;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

/// Time between passes.
pub const WATCHDOG_EVERY: Duration = Duration::from_secs(10);
/// Default slack over what a run's steps allow.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(30);
/// Most runs examined per pass (the oldest first).
const MAX_PER_PASS: i64 = 1000;
/// The engine's margin over a step's own timeout (see `engine::step`).
const ATTEMPT_MARGIN_MS: i64 = 5_000;

/// What one pass found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Findings {
    /// Runs with no task driving them: driven again.
    pub lost: Vec<String>,
    /// Runs driven but without progress past what their steps allow.
    pub stalled: Vec<String>,
}

/// Watches the unfinished runs of one runtime.
pub struct Watchdog {
    rt: Runtime,
    grace: Duration,
    /// Stalled runs already reported, so each is logged once (pruned to the runs still
    /// unfinished at each pass, so it stays as small as the set of stalled runs).
    reported: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for Watchdog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watchdog")
            .field("grace", &self.grace)
            .finish()
    }
}

impl Watchdog {
    /// A watchdog over `rt` with the default grace.
    pub fn new(rt: Runtime) -> Watchdog {
        Watchdog {
            rt,
            grace: DEFAULT_GRACE,
            reported: Mutex::new(HashSet::new()),
        }
    }

    /// Sets the slack added to what a run's steps allow.
    pub fn grace(mut self, grace: Duration) -> Watchdog {
        self.grace = grace;
        self
    }

    /// The time after which a run whose last event is `last` has made no progress for
    /// longer than its steps allow.
    fn deadline(&self, rt: &Runtime, run: &RunRecord, last: Option<&EventRecord>) -> UnixMillis {
        let grace = i64::try_from(self.grace.as_millis()).unwrap_or(i64::MAX / 4);
        let Some(e) = last else {
            return UnixMillis(run.received_at.0.saturating_add(grace));
        };
        let quiet = match e.kind.as_str() {
            "step.delay_scheduled" | "step.retry_scheduled" => e
                .data
                .get("due_at")
                .and_then(serde_json::Value::as_i64)
                .map(|due| (due - e.at.0).max(0))
                .unwrap_or(0),
            "step.attempt_started" => rt
                .system(&run.system)
                .and_then(|s| {
                    s.steps
                        .iter()
                        .find(|p| Some(&p.exec.name) == e.step.as_ref())
                })
                .map(|p| i64::try_from(p.timeout.as_millis()).unwrap_or(i64::MAX / 4))
                .unwrap_or(0)
                .saturating_add(ATTEMPT_MARGIN_MS),
            _ => 0,
        };
        UnixMillis(e.at.0.saturating_add(quiet).saturating_add(grace))
    }

    /// One pass at `now`: examines runs `running` received before `now - grace`.
    pub async fn pass(&self, now: DateTime<Utc>) -> Result<Findings, EngineError> {
        let now_ms = UnixMillis::from(now);
        let grace = i64::try_from(self.grace.as_millis()).unwrap_or(i64::MAX / 4);
        let store = self.rt.store();
        let candidates = store
            .running_before(UnixMillis(now_ms.0.saturating_sub(grace)), MAX_PER_PASS)
            .await?;
        let mut found = Findings::default();
        let mut still = HashSet::new();
        for run in candidates {
            if self.rt.system(&run.system).is_none() {
                continue;
            }
            let events = store.events(&run.id).await?;
            if self.deadline(&self.rt, &run, events.last()) > now_ms {
                continue;
            }
            still.insert(run.id.clone());
            if self.rt.is_driving(&run.id) {
                let first = self
                    .reported
                    .lock()
                    .map(|mut r| r.insert(run.id.clone()))
                    .unwrap_or(false);
                if first {
                    tracing::error!(run_id = %run.id, system = %run.system, last_event = ?events.last().map(|e| &e.kind), "watchdog: run is driven but has made no progress for longer than its steps allow");
                    self.rt.metrics().watchdog(&run.system, "stalled");
                    found.stalled.push(run.id);
                }
                continue;
            }
            // No task drives it here; read it again, as its driver may just have finished.
            match store.run(&run.id).await? {
                Some(r) if r.status == crate::store::status::RUNNING => {}
                _ => continue,
            }
            if self.rt.redrive(&run.id) {
                tracing::error!(run_id = %run.id, system = %run.system, last_event = ?events.last().map(|e| &e.kind), "watchdog: run had no driver; driving it again");
                self.rt.metrics().watchdog(&run.system, "lost");
                found.lost.push(run.id);
            }
        }
        if let Ok(mut r) = self.reported.lock() {
            r.retain(|id| still.contains(id));
        }
        Ok(found)
    }

    /// Passes every [`WATCHDOG_EVERY`] until the runtime drains.
    pub async fn run(self) {
        let mut tick = tokio::time::interval(WATCHDOG_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if self.rt.is_draining() {
                return;
            }
            if let Err(e) = self.pass(self.rt.clock().now()).await {
                tracing::warn!(error = %e, "watchdog pass failed");
            }
        }
    }
}
