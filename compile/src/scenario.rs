//! The synthetic traffic the generated `promtool test rules` files feed to the rules, and the
//! figures each scenario shows, so the generator knows which alerts must fire in which.

use claw_language::figures::{Figure, RunCount, figure};

/// Runs per minute per trigger in the scenarios with traffic.
pub const RUNS_PER_MINUTE: u32 = 10;
/// How long the synthetic series run, in minutes (past the longest `for:`, 3h).
pub const MINUTES: u32 = 300;
/// Open dead letters of the system in the breach scenario.
pub const FAILING_DLQ_DEPTH: u32 = 10;
/// When the tests evaluate the alerts.
pub const EVAL_TIME: &str = "4h";

/// One synthetic situation of a system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Traffic on every trigger, every run succeeds within a millisecond.
    Healthy,
    /// Traffic on every trigger, every run fails, slower than the last latency bucket, and
    /// dead letters are open.
    Failing,
    /// No traffic at all.
    Quiet,
}

impl Scenario {
    /// Every scenario, in the order the test file lists them.
    pub const ALL: [Scenario; 3] = [Scenario::Healthy, Scenario::Failing, Scenario::Quiet];

    /// A name for the test case.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Healthy => "healthy: every run succeeds fast; no alert fires",
            Scenario::Failing => {
                "breach: every run fails and is slow; burn-rate, latency and condition alerts fire"
            }
            Scenario::Quiet => {
                "quiet: no traffic; ratios and latencies have no data, minimum-traffic alerts fire"
            }
        }
    }

    /// The index of the scenario in [`Scenario::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// What a figure reads at [`EVAL_TIME`] in this scenario over the alert window (1h);
    /// `None` is no data (an empty vector). `trigger_count` scales the run counts.
    pub fn value(self, name: &str, trigger_count: u32) -> Option<f64> {
        let per_hour = f64::from(RUNS_PER_MINUTE * 60 * trigger_count);
        let traffic = self != Scenario::Quiet;
        match figure(name)? {
            Figure::ErrorRatio => {
                traffic.then_some(if self == Scenario::Failing { 1.0 } else { 0.0 })
            }
            Figure::SuccessRatio => {
                traffic.then_some(if self == Scenario::Failing { 0.0 } else { 1.0 })
            }
            // histogram_quantile interpolates inside the first bucket when every run is in it,
            // and gives the highest finite bound when every run is in +Inf.
            Figure::Latency { quantile, .. } => traffic.then_some(match self {
                Scenario::Failing => {
                    crate::promql::LATENCY_BUCKETS[crate::promql::LATENCY_BUCKETS.len() - 1]
                }
                _ => crate::promql::LATENCY_BUCKETS[0] * quantile,
            }),
            Figure::Count(c) => Some(match (self, c) {
                (Scenario::Quiet, _) => 0.0,
                (_, RunCount::Received) => per_hour,
                (Scenario::Healthy, RunCount::Succeeded)
                | (Scenario::Failing, RunCount::Failed) => per_hour,
                _ => 0.0,
            }),
            Figure::DlqDepth => Some(if self == Scenario::Failing {
                f64::from(FAILING_DLQ_DEPTH)
            } else {
                0.0
            }),
        }
    }
}
