//! A Grafana dashboard per system (`--target grafana`): the classic dashboard JSON model, one
//! row per layer, every query over the metrics `claw run` exposes ([`crate::promql`]) and the
//! rules `--target prometheus` records.
//!
//! Layout (24 columns wide):
//! * **Runs**: runs per second by outcome; the error ratio over 1h against the `error_rate`
//!   objective (when the file has one); latency quantiles (p50, p95, p99) against a latency
//!   objective; the error budget left over 30 days (when there is an error objective).
//! * **Execution**: attempts per second by step and outcome; p95 attempt latency by step.
//! * **Health**: open dead letters; runs the watchdog found without progress.
//!
//! The datasource is a variable (`$datasource`, type prometheus), so one file imports into any
//! Grafana. The JSON is built from sorted maps and written with two-space indents: the same
//! system always gives the same bytes.

use crate::promql::{
    self, BUDGET_PERIOD, EXECUTION_LATENCY_BUCKET, EXECUTIONS_TOTAL, RUNS_TOTAL, SYSTEM_DLQ_DEPTH,
    WATCHDOG_RUNS_TOTAL,
};
use claw_language::System;
use claw_language::figures::{Figure, figure};
use serde_json::{Value, json};

/// The classic dashboard model's schema version the output follows (Grafana 11).
pub const SCHEMA_VERSION: u64 = 39;

/// The file name of a system's dashboard.
pub fn dashboard_file(system: &str) -> String {
    format!("{system}.dashboard.json")
}

/// The dashboard of one checked system, as text.
pub fn render(sys: &System) -> String {
    let mut text = serde_json::to_string_pretty(&dashboard(sys)).unwrap_or_default();
    text.push('\n');
    text
}

/// Objectives a panel draws as its red threshold.
struct Objectives {
    /// The error-ratio objective, as a ratio (`<0.5%` → 0.005).
    error_ratio: Option<f64>,
    /// The latency objective in seconds, and its quantile.
    latency: Option<(f64, f64)>,
}

fn objectives(sys: &System) -> Objectives {
    let mut o = Objectives {
        error_ratio: None,
        latency: None,
    };
    for (name, target) in &sys.observability.slo {
        match figure(name) {
            Some(Figure::ErrorRatio) => o.error_ratio = o.error_ratio.or(percent(target)),
            Some(Figure::Latency { quantile, .. }) => {
                o.latency = o.latency.or(seconds(target).map(|s| (quantile, s)));
            }
            _ => {}
        }
    }
    o
}

/// `<0.5%` → 0.005.
fn percent(target: &str) -> Option<f64> {
    let t = target.trim().trim_start_matches(['<', '=', ' ']);
    t.strip_suffix('%')?
        .trim()
        .parse::<f64>()
        .ok()
        .map(|p| p / 100.0)
}

/// `500ms`, `2m`, `<1s` → seconds.
fn seconds(target: &str) -> Option<f64> {
    let t = target.trim().trim_start_matches(['<', '=', ' ']);
    claw_language::units::parse_duration(t)
        .ok()
        .map(|d| d.as_secs_f64())
}

fn dashboard(sys: &System) -> Value {
    let name = sys.system.as_str();
    let sel = promql::selector(name, &[]);
    let mut panels = Vec::new();
    let y = runs_row(&sel, &objectives(sys), &mut panels);
    let y = execution_row(&sel, y, &mut panels);
    health_row(&sel, y, &mut panels);
    let mut tags = vec![json!("claw")];
    if let Some(owner) = &sys.observability.owner {
        tags.push(json!(owner));
    }
    json!({
        "uid": uid(name),
        "title": format!("{name} (claw)"),
        "description": sys.description.clone().unwrap_or_else(|| format!("The system {name}, compiled by claw")),
        "tags": tags,
        "timezone": "browser",
        "editable": true,
        "graphTooltip": 1,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "1m",
        "schemaVersion": SCHEMA_VERSION,
        "templating": {"list": [{
            "name": "datasource",
            "label": "Prometheus",
            "type": "datasource",
            "query": "prometheus",
        }]},
        "annotations": {"list": []},
        "panels": panels,
    })
}

/// The Runs row (ids 1–5): traffic, errors and latency against the objectives, the budget.
/// Returns the next free row (`y`).
fn runs_row(sel: &str, o: &Objectives, panels: &mut Vec<Value>) -> u32 {
    let mut y = 0;
    panels.push(row(1, "Runs", y));
    y += 1;
    panels.push(timeseries(
        2,
        "Runs per second by outcome",
        (0, y, 12, 8),
        "reqps",
        None,
        vec![target(
            "A",
            &format!("sum by (outcome) (rate({RUNS_TOTAL}{sel}[5m]))"),
            "{{outcome}}",
        )],
    ));
    panels.push(timeseries(
        3,
        "Error ratio (1h)",
        (12, y, 12, 8),
        "percentunit",
        o.error_ratio,
        vec![target(
            "A",
            &format!("{}{sel}", promql::error_ratio_record("1h")),
            "error ratio",
        )],
    ));
    y += 8;
    let bucket = format!(
        "sum by (le) (rate({}{sel}[5m]))",
        promql::RUN_LATENCY_BUCKET
    );
    panels.push(timeseries(
        4,
        "Trigger-to-completion latency",
        (0, y, 12, 8),
        "s",
        o.latency.map(|(_, s)| s),
        ["0.5", "0.95", "0.99"]
            .iter()
            .zip(["A", "B", "C"])
            .map(|(q, id)| {
                target(
                    id,
                    &format!("histogram_quantile({q}, {bucket})"),
                    &format!("p{}", &q[2..]),
                )
            })
            .collect(),
    ));
    if o.error_ratio.is_some() {
        panels.push(stat(
            5,
            &format!("Error budget left ({BUDGET_PERIOD})"),
            (12, y, 12, 8),
            "percentunit",
            &format!("claw:error_budget_remaining:ratio{BUDGET_PERIOD}{sel}"),
        ));
    }
    y + 8
}

/// The Execution row (ids 6–8), from row `y`: attempts and their latency by step.
fn execution_row(sel: &str, mut y: u32, panels: &mut Vec<Value>) -> u32 {
    panels.push(row(6, "Execution", y));
    y += 1;
    panels.push(timeseries(
        7,
        "Attempts per second by step and outcome",
        (0, y, 12, 8),
        "ops",
        None,
        vec![target(
            "A",
            &format!("sum by (step, outcome) (rate({EXECUTIONS_TOTAL}{sel}[5m]))"),
            "{{step}} {{outcome}}",
        )],
    ));
    panels.push(timeseries(
        8,
        "Attempt latency p95 by step",
        (12, y, 12, 8),
        "s",
        None,
        vec![target(
            "A",
            &format!(
                "histogram_quantile(0.95, sum by (le, name) (rate({EXECUTION_LATENCY_BUCKET}{sel}[5m])))"
            ),
            "{{name}}",
        )],
    ));
    y + 8
}

/// The Health row (ids 9–11), from row `y`: dead letters and runs without progress.
fn health_row(sel: &str, mut y: u32, panels: &mut Vec<Value>) {
    panels.push(row(9, "Health", y));
    y += 1;
    panels.push(stat(
        10,
        "Open dead letters",
        (0, y, 12, 6),
        "short",
        &format!("sum({SYSTEM_DLQ_DEPTH}{sel}) or vector(0)"),
    ));
    panels.push(stat(
        11,
        "Runs without progress (1h)",
        (12, y, 12, 6),
        "short",
        &format!("sum(increase({WATCHDOG_RUNS_TOTAL}{sel}[1h])) or vector(0)"),
    ));
}

/// Grafana uids are at most 40 characters: the system's name, cut and made unique by a hash
/// when it is longer.
fn uid(system: &str) -> String {
    let full = format!("claw-{system}");
    if full.len() <= 40 {
        return full;
    }
    use sha2::{Digest, Sha256};
    let hash = hex::encode(&Sha256::digest(system.as_bytes())[..4]);
    let cut: String = full.chars().take(31).collect();
    format!("{cut}-{hash}")
}

fn datasource() -> Value {
    json!({"type": "prometheus", "uid": "${datasource}"})
}

fn target(id: &str, expr: &str, legend: &str) -> Value {
    json!({"refId": id, "datasource": datasource(), "expr": expr, "legendFormat": legend})
}

fn grid((x, y, w, h): (u32, u32, u32, u32)) -> Value {
    json!({"x": x, "y": y, "w": w, "h": h})
}

fn row(id: u32, title: &str, y: u32) -> Value {
    json!({"type": "row", "id": id, "title": title, "collapsed": false,
           "gridPos": grid((0, y, 24, 1)), "panels": []})
}

/// Thresholds: green, and red from `red` when an objective gives one.
fn thresholds(red: Option<f64>) -> Value {
    let mut steps = vec![json!({"color": "green", "value": null})];
    if let Some(v) = red {
        steps.push(json!({"color": "red", "value": v}));
    }
    json!({"mode": "absolute", "steps": steps})
}

fn timeseries(
    id: u32,
    title: &str,
    at: (u32, u32, u32, u32),
    unit: &str,
    red: Option<f64>,
    targets: Vec<Value>,
) -> Value {
    let mut custom = json!({"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10});
    if red.is_some() {
        custom["thresholdsStyle"] = json!({"mode": "line"});
    }
    json!({
        "type": "timeseries", "id": id, "title": title, "gridPos": grid(at),
        "datasource": datasource(), "targets": targets,
        "fieldConfig": {"defaults": {"unit": unit, "thresholds": thresholds(red), "custom": custom},
                        "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": true},
                    "tooltip": {"mode": "multi", "sort": "none"}},
    })
}

fn stat(id: u32, title: &str, at: (u32, u32, u32, u32), unit: &str, expr: &str) -> Value {
    json!({
        "type": "stat", "id": id, "title": title, "gridPos": grid(at),
        "datasource": datasource(), "targets": [target("A", expr, title)],
        "fieldConfig": {"defaults": {"unit": unit, "thresholds": thresholds(None)}, "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": false},
                    "colorMode": "value", "graphMode": "area", "textMode": "auto"},
    })
}

#[cfg(test)]
mod tests {
    use super::{percent, seconds, uid};
    use crate::promql::quoted;

    #[test]
    fn objectives_and_uids() {
        assert_eq!(percent("<0.5%"), Some(0.005));
        assert_eq!(percent("99%").map(|p| (p * 100.0).round()), Some(99.0));
        assert_eq!(seconds("500ms"), Some(0.5));
        assert_eq!(seconds("<2m"), Some(120.0));
        assert_eq!(uid("dispatch"), "claw-dispatch");
        let long = uid("a-very-long-system-name-that-goes-on-and-on-forever");
        assert_eq!(long.len(), 40);
        assert_eq!(
            long,
            uid("a-very-long-system-name-that-goes-on-and-on-forever")
        );
        assert_eq!(quoted("x"), "\"x\"");
    }
}
