//! Prometheus metrics (`GET /metrics`): runs and executions by outcome, retries, DLQ
//! depth (in all and by system), latency histograms per trigger and per execution, and runs the watchdog found
//! without progress.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Labels of run metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RunLabels {
    /// The system the run belongs to.
    pub system: String,
    /// The trigger that started it.
    pub trigger: String,
    /// `accepted`, `duplicate`, `succeeded`, `failed`.
    pub outcome: String,
}

/// Labels of execution metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StepLabels {
    /// The system the step belongs to.
    pub system: String,
    /// The step's name (an execution item).
    pub step: String,
    /// `succeeded`, `failed`, `retried`, `dead_lettered`.
    pub outcome: String,
}

/// Labels of latency histograms.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct NameLabels {
    /// The system the trigger or step belongs to.
    pub system: String,
    /// Trigger or step.
    pub name: String,
}

/// Labels of per-system gauges.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SystemLabels {
    /// The system.
    pub system: String,
}

/// Labels of watchdog findings.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WatchdogLabels {
    /// The system of the run the watchdog found.
    pub system: String,
    /// `lost` (accepted, not finished, and no task drives it: re-driven) or `stalled`
    /// (driven, but without progress for longer than its steps' timeouts, retries and
    /// delays allow).
    pub kind: String,
}

/// Upper bounds of the latency buckets, in seconds. They reach an hour because latency
/// objectives of slow systems (`sync_latency_p95: 2m`) and the rules compiled from them
/// (`claw compile --target prometheus`) need a bucket above the objective: with 60 s as the
/// last bound every slower run fell into `+Inf`, where no quantile can be told.
pub const LATENCY_BUCKETS: [f64; 20] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
    120.0, 300.0, 600.0, 1800.0, 3600.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// Every runtime metric.
pub struct Metrics {
    registry: Registry,
    /// Runs by outcome.
    pub runs: Family<RunLabels, Counter>,
    /// Executions by outcome.
    pub executions: Family<StepLabels, Counter>,
    /// Open dead letters.
    pub dlq_depth: Gauge,
    /// Open dead letters by system (only systems that have some), so that a per-system rule
    /// (`dlq_depth > 0` in `claw compile`'s output) can read them.
    pub system_dlq_depth: Family<SystemLabels, Gauge>,
    /// Trigger-to-completion latency.
    pub run_latency: Family<NameLabels, Histogram, fn() -> Histogram>,
    /// Attempt latency.
    pub execution_latency: Family<NameLabels, Histogram, fn() -> Histogram>,
    /// Runs the watchdog found without progress, by kind.
    pub watchdog: Family<WatchdogLabels, Counter>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("claw");
        let runs = Family::<RunLabels, Counter>::default();
        let executions = Family::<StepLabels, Counter>::default();
        let dlq_depth = Gauge::default();
        let run_latency = Family::<NameLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        let execution_latency =
            Family::<NameLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram as fn() -> Histogram,
            );
        registry.register("runs", "Runs by trigger and outcome", runs.clone());
        registry.register(
            "executions",
            "Execution attempts by step and outcome",
            executions.clone(),
        );
        registry.register("dlq_depth", "Open dead letters", dlq_depth.clone());
        let system_dlq_depth = Family::<SystemLabels, Gauge>::default();
        registry.register(
            "system_dlq_depth",
            "Open dead letters by system",
            system_dlq_depth.clone(),
        );
        registry.register(
            "run_latency_seconds",
            "Trigger-to-completion latency per trigger",
            run_latency.clone(),
        );
        registry.register(
            "execution_latency_seconds",
            "Attempt latency per execution step",
            execution_latency.clone(),
        );
        let watchdog = Family::<WatchdogLabels, Counter>::default();
        registry.register(
            "watchdog_runs",
            "Unfinished runs found without progress: lost (re-driven) or stalled",
            watchdog.clone(),
        );
        Metrics {
            registry,
            watchdog,
            runs,
            executions,
            dlq_depth,
            system_dlq_depth,
            run_latency,
            execution_latency,
        }
    }
}

impl Metrics {
    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// Counts a run outcome.
    pub fn run(&self, system: &str, trigger: &str, outcome: &str) {
        self.runs
            .get_or_create(&RunLabels {
                system: system.into(),
                trigger: trigger.into(),
                outcome: outcome.into(),
            })
            .inc();
    }

    /// Sets the dead-letter gauges from the systems of the open dead letters (one entry per
    /// dead letter). A system whose last dead letter went away loses its series.
    pub fn set_dead_letters<'a>(&self, systems: impl IntoIterator<Item = &'a str>) {
        let mut by_system: std::collections::BTreeMap<&str, i64> = Default::default();
        for s in systems {
            *by_system.entry(s).or_insert(0) += 1;
        }
        self.dlq_depth.set(by_system.values().sum());
        self.system_dlq_depth.clear();
        for (system, n) in by_system {
            self.system_dlq_depth
                .get_or_create(&SystemLabels {
                    system: system.into(),
                })
                .set(n);
        }
    }

    /// Counts a run the watchdog found (`lost` or `stalled`).
    pub fn watchdog(&self, system: &str, kind: &str) {
        self.watchdog
            .get_or_create(&WatchdogLabels {
                system: system.into(),
                kind: kind.into(),
            })
            .inc();
    }

    /// Counts an execution outcome.
    pub fn step(&self, system: &str, step: &str, outcome: &str) {
        self.executions
            .get_or_create(&StepLabels {
                system: system.into(),
                step: step.into(),
                outcome: outcome.into(),
            })
            .inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_names_every_family_and_bucket() {
        let m = Metrics::default();
        m.run("s", "t", "succeeded");
        m.step("s", "x", "failed");
        m.watchdog("s", "lost");
        m.set_dead_letters(["s", "s", "u"]);
        m.set_dead_letters(["s", "s"]);
        let labels = NameLabels {
            system: "s".into(),
            name: "t".into(),
        };
        m.run_latency.get_or_create(&labels).observe(90.0);
        m.execution_latency.get_or_create(&labels).observe(0.2);
        let text = m.render();
        for line in [
            "claw_runs_total{system=\"s\",trigger=\"t\",outcome=\"succeeded\"} 1",
            "claw_executions_total{system=\"s\",step=\"x\",outcome=\"failed\"} 1",
            "claw_watchdog_runs_total{system=\"s\",kind=\"lost\"} 1",
            "claw_dlq_depth 2",
            "claw_system_dlq_depth{system=\"s\"} 2",
            "claw_run_latency_seconds_bucket{le=\"60.0\",system=\"s\",name=\"t\"} 0",
            "claw_run_latency_seconds_bucket{le=\"120.0\",system=\"s\",name=\"t\"} 1",
            "claw_run_latency_seconds_bucket{le=\"3600.0\",system=\"s\",name=\"t\"} 1",
            "claw_run_latency_seconds_count{system=\"s\",name=\"t\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing:\n{text}");
        }
        assert!(
            !text.contains("system=\"u\""),
            "a system without dead letters: {text}"
        );
    }
}
