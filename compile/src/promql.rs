//! The runtime's metric names and labels the rules read, the standard windows, and each
//! figure of the naming rule ([`claw_language::figures`]) as a PromQL query.
//!
//! The names are those `claw run` exposes on `/metrics` (`runtime/src/metrics.rs`); the cli's
//! test `compile_metrics_drift` feeds a real run's exposition to `promtool test rules`, so a
//! renamed metric or label fails there.

use claw_language::System;
use claw_language::figures::{Figure, RunCount, figure};

/// Runs by `system`, `trigger` and `outcome` (`accepted`, `duplicate`, `succeeded`, `failed`).
pub const RUNS_TOTAL: &str = "claw_runs_total";
/// Trigger-to-completion latency buckets by `system`, `name` (the trigger) and `le`.
pub const RUN_LATENCY_BUCKET: &str = "claw_run_latency_seconds_bucket";
/// Open dead letters by `system` (a gauge; systems without any have no series).
pub const SYSTEM_DLQ_DEPTH: &str = "claw_system_dlq_depth";
/// Upper bounds of the runtime's latency buckets (`claw_runtime::metrics::LATENCY_BUCKETS`,
/// pinned equal by the cli's drift test); the synthetic series of the unit tests use them.
pub const LATENCY_BUCKETS: [f64; 20] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
    120.0, 300.0, 600.0, 1800.0, 3600.0,
];

/// The windows error ratios and latency quantiles are recorded over (the SRE workbook's).
pub const WINDOWS: [&str; 7] = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"];

/// The window alert conditions read: the runtime's default (`claw_runtime::alerts::DEFAULT_WINDOW`).
pub const ALERT_WINDOW: &str = "1h";

/// The error-budget period of the `claw:error_budget_remaining:ratio30d` rule.
pub const BUDGET_PERIOD: &str = "30d";

/// The recorded error ratio of a system over a window.
pub fn error_ratio_record(window: &str) -> String {
    format!("claw:run_error_ratio:rate{window}")
}

/// The recorded latency quantile (`p95`) over a window.
pub fn latency_record(pname: &str, window: &str) -> String {
    format!("claw:run_latency_seconds:{pname}_rate{window}")
}

/// `{system="x",…}` with extra matchers.
pub fn selector(system: &str, extra: &[(&str, &str)]) -> String {
    let mut parts = vec![format!("system={}", quoted(system))];
    parts.extend(extra.iter().map(|(k, v)| format!("{k}{}", matcher(v))));
    format!("{{{}}}", parts.join(","))
}

fn matcher(v: &str) -> String {
    match v.strip_prefix('~') {
        Some(re) => format!("=~{}", quoted(re)),
        None => format!("={}", quoted(v)),
    }
}

/// A PromQL string literal.
pub fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// The error ratio of a system over `window` from the raw counters: failed / finished runs,
/// 0 (not "no data") when runs finished and none failed, as the runtime's `error_rate`.
pub fn error_ratio_expr(system: &str, window: &str) -> String {
    let failed = selector(system, &[("outcome", "failed")]);
    let finished = selector(system, &[("outcome", "~succeeded|failed")]);
    format!(
        "(sum by (system) (rate({RUNS_TOTAL}{failed}[{window}])) or on(system) 0 * sum by (system) (rate({RUNS_TOTAL}{finished}[{window}]))) / sum by (system) (rate({RUNS_TOTAL}{finished}[{window}]))"
    )
}

/// The latency quantile of a system's runs (or one trigger's) over `window`.
pub fn latency_expr(system: &str, quantile: f64, trigger: Option<&str>, window: &str) -> String {
    let sel = match trigger {
        Some(t) => selector(system, &[("name", t)]),
        None => selector(system, &[]),
    };
    format!(
        "histogram_quantile({}, sum by (system, le) (rate({RUN_LATENCY_BUCKET}{sel}[{window}])))",
        crate::condition::number(quantile)
    )
}

/// The trigger a latency figure is restricted to: its subject when that names a trigger.
pub fn latency_trigger<'a>(sys: &System, subject: &'a str) -> Option<&'a str> {
    sys.triggers
        .iter()
        .any(|t| t.name == subject)
        .then_some(subject)
}

/// The `pNN` part of a latency figure name.
pub fn pname(name: &str) -> &str {
    name.rsplit_once('_').map(|(_, p)| p).unwrap_or(name)
}

/// A figure of `sys` as an instant vector over the alert window, reading the recording
/// rules; `Err` says why the metrics cannot give it.
pub fn figure_query(sys: &System, name: &str) -> Result<String, String> {
    let system = sys.system.as_str();
    match figure(name) {
        Some(Figure::ErrorRatio) => Ok(format!(
            "{}{}",
            error_ratio_record(ALERT_WINDOW),
            selector(system, &[])
        )),
        Some(Figure::SuccessRatio) => Ok(format!(
            "(1 - {}{})",
            error_ratio_record(ALERT_WINDOW),
            selector(system, &[])
        )),
        Some(Figure::Latency { subject, .. }) => {
            let extra: Vec<(&str, &str)> = latency_trigger(sys, subject)
                .map(|t| vec![("trigger", t)])
                .unwrap_or_else(|| vec![("trigger", "")]);
            Ok(format!(
                "{}{}",
                latency_record(pname(name), ALERT_WINDOW),
                selector(system, &extra)
            ))
        }
        Some(Figure::Count(c)) => {
            let outcome = match c {
                RunCount::Received => "accepted",
                RunCount::Succeeded => "succeeded",
                RunCount::Failed => "failed",
                RunCount::Running => {
                    return Err(
                        "`running` has no counter: the runtime exposes no gauge of unfinished runs"
                            .into(),
                    );
                }
            };
            Ok(format!(
                "(sum by (system) (increase({RUNS_TOTAL}{}[{ALERT_WINDOW}])) or on() vector(0))",
                selector(system, &[("outcome", outcome)])
            ))
        }
        Some(Figure::DlqDepth) => Ok(format!(
            "(sum by (system) ({SYSTEM_DLQ_DEPTH}{}) or on() vector(0))",
            selector(system, &[])
        )),
        None => Err(format!(
            "`{name}` is not a figure of the naming rule (docs/observability.md)"
        )),
    }
}
