//! Alerts: each system's `observability.alerts` conditions evaluated over its SLO figures
//! ([`crate::slo`]) every interval; an alert fires to its route **once per breach**.
//!
//! The state of an alert lives in the log, under the pseudo run id `alert:<system>:<id>`
//! (`id`: 12 hex digits of the SHA-256 of its condition and route): `alert.raised` when the
//! condition starts to hold, `alert.resolved` when it stops, and `alert.delivered` /
//! `alert.delivery_failed` after each notification. A condition that keeps holding adds
//! nothing; a restart reads the state back, so a breach that began before it is not
//! announced again. A notification whose state event is committed but not delivered (a
//! crash, a receiver down) is sent again at the next evaluation, with the same
//! `Idempotency-Key` (`<alert id>:<event seq>`), at most [`MAX_DELIVERY_ATTEMPTS`] times.
//!
//! Routes (webhook, Slack, PagerDuty, email, log) are delivered by [`routes`]; in record-only
//! mode nothing is sent and deliveries are recorded as such.

mod routes;

pub use routes::{
    DEFAULT_MAIL_FROM, PAGERDUTY_EVENTS_URL, pagerduty_secret_names, slack_secret_names,
    webhook_url,
};

use crate::engine::{EngineError, Mode, Runtime};
use crate::slo::{self, Figures};
use crate::store::{NewEvent, Write};
use crate::time::{Millis, UnixMillis};
use chrono::{DateTime, Utc};
use claw_language::expr::{self, Compiled};
use serde::Serialize;
use serde_json::json;
use sha2::Digest;
use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

/// Default window the SLO figures are computed over.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(3600);
/// Default time between evaluations.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
/// Notifications of one state change are given up after this many failed attempts.
pub const MAX_DELIVERY_ATTEMPTS: usize = 5;

/// One alert of one system, compiled.
#[derive(Debug, Clone)]
pub struct AlertPlan {
    /// The system whose figures the condition reads.
    pub system: String,
    /// Pseudo run id the alert's events are logged under.
    pub id: String,
    /// Condition as written.
    pub on: String,
    /// Compiled condition (unit literals desugared: `1%` → 0.01, `800ms` → 0.8).
    pub condition: Compiled,
    /// Where notifications go (`webhook://…`, `slack://…`, `pagerduty://…`, `email://…`,
    /// `log://…`); `None`: the log only.
    pub route: Option<String>,
    /// The alert's `description:`, quoted in notifications; `None` when it has none.
    pub description: Option<String>,
}

/// A state change found by an evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertChange {
    /// Alert id (`alert:<system>:<12 hex digits>`, see [`alert_id`]).
    pub id: String,
    /// The system the alert belongs to.
    pub system: String,
    /// The alert's condition as written (`on:`).
    pub on: String,
    /// `raised` or `resolved`.
    pub state: String,
    /// How the notification went (`posted`, `recorded`, or the error).
    pub delivery: String,
}

/// Evaluates alerts of every loaded system and delivers their notifications.
pub struct Alerts {
    rt: Runtime,
    plans: Vec<AlertPlan>,
    window: Duration,
    interval: Duration,
    notifier: routes::Notifier,
    /// Conditions already reported as not evaluable (reported once, not every interval).
    reported: Mutex<BTreeSet<String>>,
}

impl std::fmt::Debug for Alerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alerts")
            .field("alerts", &self.plans.len())
            .field("window", &self.window)
            .finish()
    }
}

/// The id of an alert from its condition and route.
pub fn alert_id(system: &str, on: &str, route: Option<&str>) -> String {
    let digest = sha2::Sha256::digest(format!("{on}\n{}", route.unwrap_or("")).as_bytes());
    format!("alert:{system}:{}", &hex::encode(digest)[..12])
}

/// The alert a minimum-traffic objective implies (`observability.slo.runs: ">= 10"`):
/// fewer runs than that in the window is a dead or starved system, which the ratio and
/// latency figures cannot show (they have no data then). It goes to the route of the
/// system's first alert (where its owner listens), else to the log.
pub fn minimum_traffic_plan(
    system: &str,
    obs: &claw_language::model::Observability,
) -> Option<AlertPlan> {
    use claw_language::units::{Cmp, Quantity, parse_objective};
    let objective = parse_objective(obs.slo.get("runs")?).ok()?;
    let Quantity::Number(n) = objective.target else {
        return None;
    };
    let on = match objective.cmp {
        Cmp::Ge => format!("runs < {n}"),
        Cmp::Gt => format!("runs <= {n}"),
        // `runs: "< 10"` is a ceiling, not a minimum.
        Cmp::Lt | Cmp::Le => return None,
    };
    let condition = expr::compile(&on).ok()?;
    let route = obs.alerts.first().and_then(|a| a.route.clone());
    Some(AlertPlan {
        system: system.to_string(),
        id: alert_id(system, &on, route.as_deref()),
        on,
        condition,
        route,
        description: Some(
            "traffic below the declared minimum (observability.slo.runs): the system may be dead"
                .into(),
        ),
    })
}

impl Alerts {
    /// Compiles every alert of every loaded system, and the minimum-traffic alert of each
    /// system that declares one ([`minimum_traffic_plan`]).
    pub fn new(rt: Runtime, window: Duration, interval: Duration) -> Alerts {
        let mut plans = Vec::new();
        for sys in rt.systems() {
            for a in &sys.system.observability.alerts {
                // The checker already refused systems whose conditions do not compile.
                let Ok(condition) = expr::compile(&expr::desugar_units(&a.on)) else {
                    continue;
                };
                plans.push(AlertPlan {
                    system: sys.name().to_string(),
                    id: alert_id(sys.name(), &a.on, a.route.as_deref()),
                    on: a.on.clone(),
                    condition,
                    route: a.route.clone(),
                    description: a.description.clone(),
                });
            }
            if let Some(plan) = minimum_traffic_plan(sys.name(), &sys.system.observability)
                && !plans
                    .iter()
                    .any(|p| p.system == plan.system && p.on == plan.on)
            {
                plans.push(plan);
            }
        }
        Alerts {
            rt,
            plans,
            window,
            interval,
            notifier: routes::Notifier::new(),
            reported: Mutex::new(BTreeSet::new()),
        }
    }

    /// Sends `pagerduty://` events to `url` instead of PagerDuty's Events API v2
    /// ([`PAGERDUTY_EVENTS_URL`]): an EU service region, a proxy, or a test receiver.
    pub fn with_pagerduty_url(mut self, url: impl Into<String>) -> Alerts {
        self.notifier.set_pagerduty_url(url.into());
        self
    }

    /// The compiled alerts.
    pub fn plans(&self) -> &[AlertPlan] {
        &self.plans
    }

    /// The figures of a system at `now` over the window.
    pub async fn figures(&self, system: &str, now: DateTime<Utc>) -> Result<Figures, EngineError> {
        let Some(sys) = self.rt.system(system) else {
            return Err(EngineError::UnknownSystem(system.to_string()));
        };
        let triggers: Vec<String> = sys
            .triggers
            .iter()
            .map(|t| t.trigger.name.clone())
            .collect();
        let slos: Vec<String> = sys.system.observability.slo.keys().cloned().collect();
        let to = UnixMillis::from(now) + Millis(1);
        let from = to - Millis(self.window.as_millis() as i64);
        self.rt.store().flush().await?;
        Ok(slo::compute(self.rt.store().as_ref(), system, &triggers, &slos, from, to).await?)
    }

    /// Evaluates every alert at `now`: logs and delivers state changes, and retries
    /// notifications not delivered yet. Returns the changes.
    pub async fn evaluate(&self, now: DateTime<Utc>) -> Result<Vec<AlertChange>, EngineError> {
        let mut changes = Vec::new();
        let mut by_system: Vec<(String, Figures)> = Vec::new();
        for plan in &self.plans {
            let figures = match by_system.iter().find(|(s, _)| *s == plan.system) {
                Some((_, f)) => f.clone(),
                None => {
                    let f = self.figures(&plan.system, now).await?;
                    by_system.push((plan.system.clone(), f.clone()));
                    f
                }
            };
            let Some(holds) = self.holds(plan, &figures) else {
                continue;
            };
            let Some((state, seq)) = self.owed_notice(plan, holds, &figures, now).await? else {
                continue;
            };
            changes.push(self.notify(plan, state, seq, &figures, now).await?);
        }
        Ok(changes)
    }

    /// Whether the alert's condition holds on `figures`; `None` when it cannot be evaluated
    /// (warned about once per alert, not every interval).
    fn holds(&self, plan: &AlertPlan, figures: &Figures) -> Option<bool> {
        match plan.condition.eval_bool(&figures.scope()) {
            Ok(b) => Some(b),
            Err(e) => {
                let first = self
                    .reported
                    .lock()
                    .map(|mut r| r.insert(plan.id.clone()))
                    .unwrap_or(false);
                if first {
                    tracing::warn!(system = %plan.system, alert = %plan.on, error = %e.message, unknown_slos = ?figures.unknown, "alert condition cannot be evaluated (see the SLO naming rule in docs/runtime.md)");
                }
                None
            }
        }
    }

    /// The notification owed for this alert, as (state, seq of its state event): a state
    /// change (`holds` differs from the logged state), logged here first, or the last change
    /// when it is neither delivered nor given up yet. `None` when nothing is owed.
    async fn owed_notice(
        &self,
        plan: &AlertPlan,
        holds: bool,
        figures: &Figures,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, i64)>, EngineError> {
        let history = self.rt.store().events(&plan.id).await?;
        let last_state = history
            .iter()
            .rev()
            .find(|e| e.kind == "alert.raised" || e.kind == "alert.resolved");
        let raised = last_state.is_some_and(|e| e.kind == "alert.raised");
        let new_state = match (holds, raised) {
            (true, false) => "raised",
            (false, true) => "resolved",
            _ => {
                // No change: is the last notification still owed?
                let Some(last) = last_state else {
                    return Ok(None);
                };
                let after: Vec<_> = history.iter().filter(|e| e.seq > last.seq).collect();
                let delivered = after.iter().any(|e| e.kind == "alert.delivered");
                let failures = after
                    .iter()
                    .filter(|e| e.kind == "alert.delivery_failed")
                    .count();
                if delivered || failures >= MAX_DELIVERY_ATTEMPTS {
                    return Ok(None);
                }
                let state = last.kind.trim_start_matches("alert.").to_string();
                return Ok(Some((state, last.seq)));
            }
        };
        let seq = self.log_state(plan, new_state, figures, now).await?;
        Ok(Some((new_state.to_string(), seq)))
    }

    /// Logs a state change (`raised` or `resolved`) with the figures that caused it; returns
    /// the seq of the event logged.
    async fn log_state(
        &self,
        plan: &AlertPlan,
        state: &str,
        figures: &Figures,
        now: DateTime<Utc>,
    ) -> Result<i64, EngineError> {
        let data = json!({
            "on": plan.on,
            "route": plan.route,
            "description": plan.description,
            "figures": figures.values,
            "window_seconds": self.window.as_secs(),
        });
        self.log(plan, now, format!("alert.{state}"), data).await?;
        if state == "raised" {
            tracing::error!(system = %plan.system, alert = %plan.on, route = ?plan.route, "alert raised");
        } else {
            tracing::info!(system = %plan.system, alert = %plan.on, "alert resolved");
        }
        Ok(self
            .rt
            .store()
            .events(&plan.id)
            .await?
            .last()
            .map(|e| e.seq)
            .unwrap_or(0))
    }

    /// Delivers the notification of `state` (its state event is `seq`) and logs how it went.
    async fn notify(
        &self,
        plan: &AlertPlan,
        state: String,
        seq: i64,
        figures: &Figures,
        now: DateTime<Utc>,
    ) -> Result<AlertChange, EngineError> {
        let notice = routes::Notice {
            plan,
            state: &state,
            seq,
            figures,
            now,
            window: self.window,
        };
        let delivery = self
            .notifier
            .deliver(
                self.rt.secrets(),
                self.rt.mode() == Mode::RecordOnly,
                &notice,
            )
            .await;
        let (kind, data, text) = match &delivery {
            Ok(how) => (
                "alert.delivered",
                json!({"state": state, "via": how}),
                how.clone(),
            ),
            Err(e) => (
                "alert.delivery_failed",
                json!({"state": state, "error": e}),
                format!("failed: {e}"),
            ),
        };
        if let Err(e) = &delivery {
            tracing::warn!(system = %plan.system, alert = %plan.on, error = %e, "alert notification failed; trying again at the next evaluation");
        }
        self.log(plan, now, kind.into(), data).await?;
        Ok(AlertChange {
            id: plan.id.clone(),
            system: plan.system.clone(),
            on: plan.on.clone(),
            state,
            delivery: text,
        })
    }

    /// Appends one event of kind `kind` to the alert's log (its pseudo run).
    async fn log(
        &self,
        plan: &AlertPlan,
        now: DateTime<Utc>,
        kind: String,
        data: serde_json::Value,
    ) -> Result<(), EngineError> {
        self.rt
            .store()
            .commit(vec![Write::Event(NewEvent {
                run_id: plan.id.clone(),
                system: plan.system.clone(),
                at: UnixMillis::from(now),
                kind,
                step: None,
                attempt: None,
                data,
            })])
            .await?;
        Ok(())
    }

    /// Evaluates every interval until the runtime drains.
    pub async fn run(self) {
        if self.plans.is_empty() {
            return;
        }
        let mut tick = tokio::time::interval(self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if self.rt.is_draining() {
                return;
            }
            if let Err(e) = self.evaluate(self.rt.clock().now()).await {
                tracing::warn!(error = %e, "alert evaluation failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_differ_by_condition() {
        assert_ne!(
            alert_id("s", "error_rate > 1%", None),
            alert_id("s", "error_rate > 2%", None)
        );
    }
}
