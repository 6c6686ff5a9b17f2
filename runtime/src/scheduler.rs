//! Schedule triggers: crontab fire times (`claw_language::cron`) in the trigger's time zone,
//! with catch-up of times missed while the runtime was down.
//!
//! The last handled fire time of each trigger is kept in the store. On start, fire
//! times after it and up to now are missed: `none` skips them, `latest` runs the most
//! recent one, `all` runs every one, oldest first. Each fire is a run whose default
//! idempotency key is its fire time, so a fire is never run twice even if the mark is
//! lost. DST gaps and repeats follow Debian cron (see `docs/cron.md`). The clock is
//! injectable: [`Scheduler::tick`] does one step at a given "now".
//!
//! A `release: schedule` digest is driven the same way: at each fire time the scheduler
//! releases it into the system's `digest.append` step ([`Runtime::release_digest`]), with the
//! mark kept under `digest:<name>` and `latest` catch-up (a release missed while the runtime
//! was down is done once at start; the entries wait, none is lost).

use crate::engine::{EngineError, Runtime, StartOptions};
use crate::store::Write;
use crate::time::UnixMillis;
use chrono::{DateTime, Utc};
use claw_language::cron::Schedule;
use claw_language::model::{CatchUp, Source};
use serde_json::json;
use std::time::Duration;

/// Most missed fire times considered for `catch_up: all` (a guard against a schedule
/// that fires every minute after months of downtime).
pub const MAX_CATCH_UP: usize = 10_000;

/// One schedule trigger ready to fire.
#[derive(Debug, Clone)]
pub struct ScheduledTrigger {
    /// The system the trigger belongs to.
    pub system: String,
    /// The trigger's name in that system.
    pub trigger: String,
    /// Parsed schedule.
    pub schedule: Schedule,
    /// The zone the schedule's wall-clock times are read in (`timezone:`, else UTC).
    pub tz: chrono_tz::Tz,
    /// What to do with fire times missed while the runtime was down (`catch_up:`).
    pub catch_up: CatchUp,
    /// For a digest released on a schedule: the `digest.append` step its runs continue from
    /// (`trigger` is then `digest:<name>`, the key of its mark).
    pub release_into: Option<String>,
}

/// Fire times due at `now` given the last handled one, per the catch-up policy.
/// Without a mark (first start) nothing is missed.
pub fn due_fires(
    t: &ScheduledTrigger,
    last: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let Some(last) = last else {
        return Vec::new();
    };
    let missed: Vec<DateTime<Utc>> = t
        .schedule
        .fire_times(last, t.tz)
        .take_while(|f| *f <= now)
        .take(MAX_CATCH_UP)
        .collect();
    match t.catch_up {
        CatchUp::All => missed,
        CatchUp::Latest => missed.last().copied().into_iter().collect(),
        // `none` still fires a time that is due right now (not missed, just reached).
        CatchUp::None => missed
            .last()
            .copied()
            .filter(|f| (now - *f).num_seconds() < 60)
            .into_iter()
            .collect(),
    }
}

/// A schedule named `trigger` of `system` from its crontab line and time zone (UTC when
/// absent), with no catch-up and no digest to release: a schedule trigger's or a digest's.
fn scheduled(
    system: &str,
    trigger: &str,
    schedule: Option<&str>,
    timezone: Option<&str>,
) -> Result<ScheduledTrigger, ScheduleError> {
    let err = |message: String| ScheduleError {
        system: system.to_string(),
        trigger: trigger.to_string(),
        message,
    };
    let text = schedule.ok_or_else(|| err("no `schedule:`".into()))?;
    let schedule = claw_language::cron::parse(text).map_err(|e| err(e.to_string()))?;
    let tz = match timezone {
        Some(z) => z
            .parse::<chrono_tz::Tz>()
            .map_err(|_| err(format!("unknown time zone `{z}`")))?,
        None => chrono_tz::UTC,
    };
    Ok(ScheduledTrigger {
        system: system.to_string(),
        trigger: trigger.to_string(),
        schedule,
        tz,
        catch_up: CatchUp::None,
        release_into: None,
    })
}

/// The scheduled releases of a system's `release: schedule` digests: one per digest that a
/// `digest.append` step of the system appends to (the first such step is the one its runs
/// continue from).
fn digest_releases(
    sys: &crate::plan::LoadedSystem,
) -> Result<Vec<ScheduledTrigger>, ScheduleError> {
    let mut out = Vec::new();
    for d in &sys.system.data.digests {
        if d.release != claw_language::model::DigestRelease::Schedule {
            continue;
        }
        let step = sys.system.execution.iter().find(|x| {
            x.action == "digest.append"
                && x.with.get("digest").and_then(serde_json::Value::as_str) == Some(&d.name)
        });
        let Some(step) = step else { continue };
        let mut t = scheduled(
            sys.name(),
            &format!("digest:{}", d.name),
            d.schedule.as_deref(),
            d.timezone.as_deref(),
        )?;
        t.catch_up = CatchUp::Latest;
        t.release_into = Some(step.name.clone());
        out.push(t);
    }
    Ok(out)
}

/// Drives every schedule trigger of a runtime.
#[derive(Debug, Clone)]
pub struct Scheduler {
    rt: Runtime,
    triggers: Vec<ScheduledTrigger>,
}

/// A schedule that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("system `{system}`, trigger `{trigger}`: {message}")]
pub struct ScheduleError {
    /// The system the trigger belongs to.
    pub system: String,
    /// The trigger's name in that system.
    pub trigger: String,
    /// What is wrong with its schedule or time zone.
    pub message: String,
}

impl Scheduler {
    /// Collects the enabled schedule triggers of every loaded system.
    pub fn new(rt: Runtime) -> Result<Scheduler, ScheduleError> {
        let mut triggers = Vec::new();
        for sys in rt.systems() {
            for t in &sys.triggers {
                let tr = &t.trigger;
                if tr.source != Source::Schedule || !tr.is_enabled() {
                    continue;
                }
                let mut st = scheduled(
                    sys.name(),
                    &tr.name,
                    tr.schedule.as_deref(),
                    tr.timezone.as_deref(),
                )?;
                st.catch_up = tr.catch_up.unwrap_or(CatchUp::None);
                triggers.push(st);
            }
            triggers.extend(digest_releases(sys)?);
        }
        Ok(Scheduler { rt, triggers })
    }

    /// The triggers it drives.
    pub fn triggers(&self) -> &[ScheduledTrigger] {
        &self.triggers
    }

    /// Fires everything due at `now` and moves the marks; returns the run ids started.
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<Vec<String>, EngineError> {
        let mut started = Vec::new();
        for t in &self.triggers {
            let store = self.rt.store();
            let last = store
                .schedule_mark(&t.system, &t.trigger)
                .await?
                .and_then(|ms| UnixMillis(ms).to_datetime());
            let fires = due_fires(t, last, now);
            for f in &fires {
                if let Some(step) = &t.release_into {
                    started.extend(self.rt.release_digest(&t.system, step, *f).await?);
                    continue;
                }
                let acc = self
                    .rt
                    .accept(
                        &t.system,
                        &t.trigger,
                        json!({"scheduled_at": f.to_rfc3339()}),
                        StartOptions {
                            scheduled_at: Some(*f),
                            ..Default::default()
                        },
                    )
                    .await?;
                if !acc.duplicate {
                    tracing::info!(system = %t.system, trigger = %t.trigger, run_id = %acc.run_id, fire = %f, "schedule fired");
                    started.push(acc.run_id);
                }
            }
            let mark = match (fires.last(), last) {
                (Some(f), _) => Some(*f),
                (None, None) => Some(now),
                (None, Some(l)) => {
                    // Skipped (catch_up none): move the mark past what was missed.
                    t.schedule
                        .fire_times(l, t.tz)
                        .take_while(|f| *f <= now)
                        .last()
                }
            };
            if let Some(m) = mark {
                store
                    .commit(vec![Write::ScheduleMark {
                        system: t.system.clone(),
                        trigger: t.trigger.clone(),
                        last_fire: UnixMillis::from(m).0,
                    }])
                    .await?;
            }
        }
        Ok(started)
    }

    /// Ticks at start (catch-up), then at every next fire time, until the runtime drains.
    pub async fn run(self) {
        if self.triggers.is_empty() {
            return;
        }
        loop {
            if self.rt.is_draining() {
                return;
            }
            let now = self.rt.clock().now();
            if let Err(e) = self.tick(now).await {
                tracing::error!(error = %e, "schedule tick failed");
            }
            let next = self
                .triggers
                .iter()
                .filter_map(|t| t.schedule.fire_times(now, t.tz).next())
                .min();
            let wait = match next {
                Some(n) => (n - self.rt.clock().now())
                    .to_std()
                    .unwrap_or(Duration::ZERO),
                None => return,
            };
            // Wake at least every minute so clock jumps are noticed.
            tokio::time::sleep(wait.min(Duration::from_secs(60)) + Duration::from_millis(5)).await;
        }
    }
}
