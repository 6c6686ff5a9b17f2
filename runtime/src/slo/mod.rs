//! SLO figures of a system over a window, from the run statistics the store keeps.
//!
//! The figures come from per-minute counts and latency histograms the store's writer
//! updates in the same transaction as each accepted and finished run ([`histogram`]), so
//! they are the same in every process reading the same database, survive restarts, and
//! cost a few hundred rows to compute whatever the traffic: no figure loads runs.
//!
//! **Naming rule** (declared once, in [`claw_language::figures`]). Alert conditions and
//! `observability.slo` names read these variables:
//!
//! | name | value |
//! |---|---|
//! | `error_rate`, or any name ending in `error_rate` | failed / finished runs |
//! | `success_ratio`, `success_rate`, `availability` | succeeded / finished runs |
//! | `<anything>_p50`, `_p90`, `_p95`, `_p99`, `_p999` (e.g. `dispatch_latency_p95`) | that percentile of trigger-to-completion latency, **in seconds** (alert literals like `800ms` are seconds too); when the part before `_latency_pNN`/`_pNN` names a trigger of the system, only that trigger's runs count |
//! | `runs`, `succeeded`, `failed`, `running` | counts in the window (`runs` is the system's traffic: an objective `runs: ">= 10"` declares a minimum) |
//! | `dlq_depth` | open dead letters of the system (not windowed) |
//!
//! With no finished run in the window, ratios and percentiles have **no data**: an objective
//! on them is neither met nor breached ([`SloStatus::no_data`]), and an alert condition reads
//! them as their neutral value (error rate 0, success 1, latency 0), so a breach alert
//! resolves when a system goes quiet. A dead system is caught by a minimum-traffic objective
//! on `runs`, which the alerts turn into an alert of its own. Any other SLO name has no
//! figure: an alert that reads it cannot be evaluated and is reported once as such.

pub mod histogram;
mod status;

pub use status::{SystemStatus, status, summary_of};

use crate::store::{EventStore, RunRecord, StoreError};
use crate::time::UnixMillis;
use histogram::{TriggerStats, WindowStats};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The figures of one system over a window, by variable name.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Variable name → value (ratios in 0..=1, latencies in seconds, counts).
    pub values: BTreeMap<String, f64>,
    /// Names whose figure has no data in the window (no finished run to take it from).
    pub no_data: Vec<String>,
    /// SLO names of the system that have no figure (see the naming rule).
    pub unknown: Vec<String>,
}

impl Figures {
    /// As an expression scope: measured figures, and names without data at their neutral
    /// value (so that no breach holds on no data).
    pub fn scope(&self) -> Value {
        let mut m: Map<String, Value> = self
            .values
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        for name in &self.no_data {
            let neutral = if matches!(
                name.as_str(),
                "success_ratio" | "success_rate" | "availability"
            ) {
                1.0
            } else {
                0.0
            };
            m.insert(name.clone(), json!(neutral));
        }
        Value::Object(m)
    }
}

pub use claw_language::figures::{is_ratio, percentile_of};

/// Computes the figures from a list of runs received in the window (and the open dead
/// letters). The runtime never has such a list; tests and other stores do.
pub fn figures_of(
    runs: &[RunRecord],
    open_dead_letters: usize,
    triggers: &[String],
    slo_names: &[String],
) -> Figures {
    figures_from(
        &WindowStats::from_runs(runs),
        open_dead_letters,
        triggers,
        slo_names,
    )
}

/// Computes the figures from a system's run statistics over the window.
pub fn figures_from(
    stats: &WindowStats,
    open_dead_letters: usize,
    triggers: &[String],
    slo_names: &[String],
) -> Figures {
    let all = stats.total();
    let finished = all.finished();
    let mut v = BTreeMap::new();
    let mut no_data = Vec::new();
    v.insert("runs".to_string(), all.runs as f64);
    v.insert("succeeded".to_string(), all.succeeded as f64);
    v.insert("failed".to_string(), all.failed as f64);
    v.insert("running".to_string(), all.running() as f64);
    v.insert("dlq_depth".to_string(), open_dead_letters as f64);
    let error_rate = (finished > 0).then(|| all.failed as f64 / finished as f64);
    let mut put = |name: &str, x: Option<f64>| match x {
        Some(x) => {
            v.insert(name.to_string(), x);
        }
        None => no_data.push(name.to_string()),
    };
    put("error_rate", error_rate);
    for n in ["success_ratio", "success_rate", "availability"] {
        put(n, error_rate.map(|e| 1.0 - e));
    }
    let secs = |t: &TriggerStats, q: f64| t.percentile_ms(q).map(|ms| ms as f64 / 1000.0);
    for (name, q) in [
        ("latency_p50", 0.50),
        ("latency_p95", 0.95),
        ("latency_p99", 0.99),
    ] {
        put(name, secs(&all, q));
    }
    let mut unknown = Vec::new();
    let none = TriggerStats::default();
    for name in slo_names {
        if v.contains_key(name) || no_data.contains(name) {
            continue;
        }
        if name.ends_with("error_rate") {
            match error_rate {
                Some(e) => {
                    v.insert(name.clone(), e);
                }
                None => no_data.push(name.clone()),
            }
        } else if let Some((q, subject)) = percentile_of(name) {
            let t = if triggers.iter().any(|t| t == subject) {
                stats.triggers.get(subject).unwrap_or(&none)
            } else {
                &all
            };
            match secs(t, q) {
                Some(s) => {
                    v.insert(name.clone(), s);
                }
                None => no_data.push(name.clone()),
            }
        } else {
            unknown.push(name.clone());
        }
    }
    Figures {
        values: v,
        no_data,
        unknown,
    }
}

/// Computes a system's SLO figures from its run statistics over `[from, to)` (whole
/// minutes are read).
pub async fn compute(
    store: &dyn EventStore,
    system: &str,
    triggers: &[String],
    slo_names: &[String],
    from: UnixMillis,
    to: UnixMillis,
) -> Result<Figures, StoreError> {
    let stats = window_stats(store, Some(system), from, to).await?;
    let dlq = store
        .open_dead_letter_counts()
        .await?
        .get(system)
        .copied()
        .unwrap_or(0);
    Ok(figures_from(
        &stats.get(system).cloned().unwrap_or_default(),
        usize::try_from(dlq).unwrap_or(usize::MAX),
        triggers,
        slo_names,
    ))
}

/// The run statistics of every system (or one) over `[from, to)`, by system.
pub async fn window_stats(
    store: &dyn EventStore,
    system: Option<&str>,
    from: UnixMillis,
    to: UnixMillis,
) -> Result<BTreeMap<String, WindowStats>, StoreError> {
    let rows = store.run_stats(system, from, to).await?;
    let mut out: BTreeMap<String, WindowStats> = BTreeMap::new();
    for r in &rows {
        out.entry(r.system.clone()).or_default().add(r);
    }
    Ok(out)
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
    /// Whether the figure meets the objective; `None` when it cannot be told (no figure, no
    /// data in the window, or an objective that does not parse).
    pub met: Option<bool>,
    /// The figure has no data in the window (no finished run): unknown, never "met".
    pub no_data: bool,
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
                no_data: figures.no_data.contains(name),
            }
        })
        .collect()
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
            received_at: UnixMillis(received),
            scheduled_at: None,
            finished_at: finished.map(UnixMillis),
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
    fn an_empty_window_has_no_data_not_a_met_objective() {
        let names = vec![
            "x_p99".to_string(),
            "error_rate".to_string(),
            "runs".to_string(),
        ];
        let f = figures_of(&[], 0, &[], &names);
        assert!(!f.values.contains_key("error_rate"));
        assert!(f.no_data.contains(&"x_p99".to_string()));
        assert_eq!(f.values["runs"], 0.0);
        // Alert conditions read the neutral values: a breach does not hold on no data.
        let scope = f.scope();
        assert_eq!(scope["error_rate"], 0.0);
        assert_eq!(scope["success_ratio"], 1.0);
        assert_eq!(scope["x_p99"], 0.0);
        let slo: Vec<(String, String)> = vec![
            ("error_rate".into(), "<1%".into()),
            ("x_p99".into(), "800ms".into()),
            ("runs".into(), ">= 10".into()),
        ];
        let got: Vec<(Option<bool>, bool)> = assess(&f, slo.iter().map(|(a, b)| (a, b)))
            .into_iter()
            .map(|s| (s.met, s.no_data))
            .collect();
        // A dead system: ratio and latency unknown, its minimum traffic breached.
        assert_eq!(got, vec![(None, true), (None, true), (Some(false), false)]);
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
