//! SLO figures of a system computed from the log over a window.
//!
//! The figures come from the run index (every accepted run, its status and its
//! trigger-to-completion time), so they are the same in every process reading the same
//! database, and survive restarts.
//!
//! **Naming rule.** Alert conditions and `observability.slo` names read these variables:
//!
//! | name | value |
//! |---|---|
//! | `error_rate`, or any name ending in `error_rate` | failed / finished runs (0 with none finished) |
//! | `success_ratio`, `success_rate`, `availability` | succeeded / finished runs (1 with none) |
//! | `<anything>_p50`, `_p90`, `_p95`, `_p99`, `_p999` (e.g. `dispatch_latency_p95`) | that percentile of trigger-to-completion latency, **in seconds** (alert literals like `800ms` are seconds too); when the part before `_latency_pNN`/`_pNN` names a trigger of the system, only that trigger's runs count |
//! | `runs`, `succeeded`, `failed`, `running` | counts in the window |
//! | `dlq_depth` | open dead letters of the system (not windowed) |
//!
//! A percentile over no finished run is 0. Any other SLO name has no figure: an alert that
//! reads it cannot be evaluated and is reported once as such (never fired).

use crate::engine::summarize;
use crate::store::{EventStore, RunFilter, RunRecord, StoreError};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The figures of one system over a window, by variable name.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Variable name → value (ratios in 0..=1, latencies in seconds, counts).
    pub values: BTreeMap<String, f64>,
    /// SLO names of the system that have no figure (see the naming rule).
    pub unknown: Vec<String>,
}

impl Figures {
    /// As an expression scope.
    pub fn scope(&self) -> Value {
        let m: Map<String, Value> = self
            .values
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        Value::Object(m)
    }
}

/// Percentile `q` (0..=1) of sorted values by the nearest-rank method.
fn nearest_rank(sorted: &[i64], q: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted.get(i).copied()
}

fn latency_ms(r: &RunRecord) -> Option<i64> {
    r.finished_at
        .map(|f| f - r.scheduled_at.unwrap_or(r.received_at).max(r.received_at))
}

/// The percentile a latency SLO name asks for (`dispatch_latency_p95` → 0.95, `dispatch`),
/// and the trigger it may name; `None` for a name that is not a latency percentile.
pub fn percentile_of(name: &str) -> Option<(f64, &str)> {
    let (head, p) = name.rsplit_once('_')?;
    let q = match p {
        "p50" => 0.50,
        "p90" => 0.90,
        "p95" => 0.95,
        "p99" => 0.99,
        "p999" => 0.999,
        _ => return None,
    };
    let subject = head.strip_suffix("_latency").unwrap_or(head);
    Some((q, subject))
}

/// Computes the figures from runs received in the window (and the open dead letters).
pub fn figures_of(
    runs: &[RunRecord],
    open_dead_letters: usize,
    triggers: &[String],
    slo_names: &[String],
) -> Figures {
    let s = summarize(runs);
    let finished = s.succeeded + s.failed;
    let mut v = BTreeMap::new();
    v.insert("runs".to_string(), s.runs as f64);
    v.insert("succeeded".to_string(), s.succeeded as f64);
    v.insert("failed".to_string(), s.failed as f64);
    v.insert("running".to_string(), s.running as f64);
    v.insert("error_rate".to_string(), s.error_rate);
    let success = if finished == 0 {
        1.0
    } else {
        s.succeeded as f64 / finished as f64
    };
    for n in ["success_ratio", "success_rate", "availability"] {
        v.insert(n.to_string(), success);
    }
    v.insert("dlq_depth".to_string(), open_dead_letters as f64);
    let mut all: Vec<i64> = runs.iter().filter_map(latency_ms).collect();
    all.sort_unstable();
    for (name, q) in [
        ("latency_p50", 0.50),
        ("latency_p95", 0.95),
        ("latency_p99", 0.99),
    ] {
        v.insert(
            name.to_string(),
            nearest_rank(&all, q).unwrap_or(0) as f64 / 1000.0,
        );
    }
    let mut unknown = Vec::new();
    for name in slo_names {
        if v.contains_key(name) {
            continue;
        }
        if name.ends_with("error_rate") {
            v.insert(name.clone(), s.error_rate);
        } else if let Some((q, subject)) = percentile_of(name) {
            let lat: Vec<i64> = if triggers.iter().any(|t| t == subject) {
                let mut l: Vec<i64> = runs
                    .iter()
                    .filter(|r| r.trigger == subject)
                    .filter_map(latency_ms)
                    .collect();
                l.sort_unstable();
                l
            } else {
                all.clone()
            };
            v.insert(
                name.clone(),
                nearest_rank(&lat, q).unwrap_or(0) as f64 / 1000.0,
            );
        } else {
            unknown.push(name.clone());
        }
    }
    Figures { values: v, unknown }
}

/// Reads a system's runs received in `[from, to)` and computes its figures.
pub async fn compute(
    store: &dyn EventStore,
    system: &str,
    triggers: &[String],
    slo_names: &[String],
    from_ms: i64,
    to_ms: i64,
) -> Result<Figures, StoreError> {
    let runs = store
        .runs(&RunFilter {
            system: Some(system.to_string()),
            from: Some(from_ms),
            to: Some(to_ms),
            ..Default::default()
        })
        .await?;
    let dlq = store
        .dead_letters(Some("open"))
        .await?
        .iter()
        .filter(|d| d.system == system)
        .count();
    Ok(figures_of(&runs, dlq, triggers, slo_names))
}

/// One declared objective against its measured figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SloStatus {
    /// SLO name.
    pub name: String,
    /// The objective as written (`<1%`, `800ms`, `>= 99.9`).
    pub objective: String,
    /// The figure (ratio 0..=1, seconds, or count); `None` when the name has no figure.
    pub value: Option<f64>,
    /// Whether the figure meets the objective; `None` when it cannot be told (no figure, or
    /// an objective that does not parse).
    pub met: Option<bool>,
}

/// Judges each declared objective (`observability.slo`, in declaration order) against the
/// figures. A latency objective compares seconds; a ratio compares 0..=1; a plain number
/// over 1 against a ratio figure (`availability: ">= 99.9"`) is read as a percentage.
pub fn assess<'a>(
    figures: &Figures,
    objectives: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> Vec<SloStatus> {
    use claw_language::units::{Cmp, Quantity, parse_objective};
    objectives
        .into_iter()
        .map(|(name, text)| {
            let value = figures.values.get(name).copied();
            let met = match (value, parse_objective(text)) {
                (Some(v), Ok(o)) => {
                    let target = match o.target {
                        Quantity::Duration(d) => d.as_secs_f64(),
                        Quantity::Ratio(r) => r,
                        Quantity::Number(n) if n > 1.0 && is_ratio(name) => n / 100.0,
                        Quantity::Number(n) => n,
                    };
                    Some(match o.cmp {
                        Cmp::Lt => v < target,
                        Cmp::Le => v <= target,
                        Cmp::Gt => v > target,
                        Cmp::Ge => v >= target,
                    })
                }
                _ => None,
            };
            SloStatus {
                name: name.clone(),
                objective: text.clone(),
                value,
                met,
            }
        })
        .collect()
}

/// Whether a figure name is a ratio in 0..=1 (see the naming rule).
pub fn is_ratio(name: &str) -> bool {
    name.ends_with("error_rate")
        || matches!(name, "success_ratio" | "success_rate" | "availability")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(trigger: &str, status: &str, received: i64, finished: Option<i64>) -> RunRecord {
        RunRecord {
            id: format!("{trigger}-{received}"),
            system: "s".into(),
            trigger: trigger.into(),
            idempotency_key: format!("{received}"),
            status: status.into(),
            payload: json!({}),
            received_at: received,
            scheduled_at: None,
            finished_at: finished,
        }
    }

    #[test]
    fn naming_rule() {
        let mut runs = Vec::new();
        for i in 0..100 {
            // a: latencies 1..=100 ms, b: 1 s each; 10 of a fail.
            let st = if i < 10 { "failed" } else { "succeeded" };
            runs.push(run("a", st, i * 1000, Some(i * 1000 + i + 1)));
        }
        runs.push(run("b", "succeeded", 0, Some(1000)));
        runs.push(run("b", "running", 5, None));
        let names: Vec<String> = [
            "error_rate",
            "ledger_error_rate",
            "a_latency_p95",
            "b_p50",
            "dispatch_latency_p99",
            "success_ratio",
            "freshness",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let f = figures_of(&runs, 2, &["a".into(), "b".into()], &names);
        let v = &f.values;
        assert_eq!(v["runs"], 102.0);
        assert_eq!(v["running"], 1.0);
        assert!((v["error_rate"] - 10.0 / 101.0).abs() < 1e-9);
        assert_eq!(v["ledger_error_rate"], v["error_rate"]);
        assert!((v["success_ratio"] - 91.0 / 101.0).abs() < 1e-9);
        assert_eq!(v["a_latency_p95"], 0.095);
        assert_eq!(v["b_p50"], 1.0);
        // Not a trigger name: every run of the system (101 latencies; rank 100 is 100 ms).
        assert_eq!(v["dispatch_latency_p99"], 0.1);
        assert_eq!(v["dlq_depth"], 2.0);
        assert_eq!(f.unknown, vec!["freshness".to_string()]);
    }

    #[test]
    fn empty_window() {
        let f = figures_of(&[], 0, &[], &["x_p99".into()]);
        assert_eq!(f.values["error_rate"], 0.0);
        assert_eq!(f.values["success_ratio"], 1.0);
        assert_eq!(f.values["x_p99"], 0.0);
    }

    #[test]
    fn objectives_are_judged_in_their_units() {
        let mut runs = Vec::new();
        for i in 0..100 {
            // 2 failures in 100; latencies 1..=100 ms.
            let st = if i < 2 { "failed" } else { "succeeded" };
            runs.push(run("a", st, i * 1000, Some(i * 1000 + i + 1)));
        }
        let slo: Vec<(String, String)> = [
            ("error_rate", "<1%"),
            ("a_latency_p95", "800ms"),
            ("a_latency_p99", "<= 50ms"),
            ("availability", ">= 97.5"),
            ("freshness", "5m"),
            ("success_ratio", "soon"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let names: Vec<String> = slo.iter().map(|(n, _)| n.clone()).collect();
        let f = figures_of(&runs, 0, &["a".into()], &names);
        let got: Vec<(String, Option<bool>)> = assess(&f, slo.iter().map(|(a, b)| (a, b)))
            .into_iter()
            .map(|s| (s.name, s.met))
            .collect();
        assert_eq!(
            got,
            vec![
                ("error_rate".to_string(), Some(false)), // 2 % is not < 1 %
                ("a_latency_p95".into(), Some(true)),    // 95 ms <= 800 ms
                ("a_latency_p99".into(), Some(false)),   // 99 ms > 50 ms
                ("availability".into(), Some(true)),     // 98 % >= 97.5 %
                ("freshness".into(), None),              // no figure
                ("success_ratio".into(), None),          // objective does not parse
            ]
        );
    }
}
