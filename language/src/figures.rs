//! The naming rule of SLO figures: which names `observability.slo` and alert conditions may
//! read, and what each one measures. The runtime computes the figures (`claw_runtime::slo`)
//! and `claw-compile` turns them into Prometheus queries; both read the rule from here, so a
//! name means the same thing in claw's own alerts and in the generated rules.
//!
//! | name | figure |
//! |---|---|
//! | `error_rate`, or any name ending in `error_rate` | failed / finished runs |
//! | `success_ratio`, `success_rate`, `availability` | succeeded / finished runs |
//! | `<anything>_p50`, `_p90`, `_p95`, `_p99`, `_p999` | that percentile of trigger-to-completion latency, in seconds; the part before `_latency_pNN`/`_pNN` may name a trigger |
//! | `runs`, `succeeded`, `failed`, `running` | counts in the window |
//! | `dlq_depth` | open dead letters (not windowed) |

/// What a figure name measures (see the module's table).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Figure<'a> {
    /// Failed / finished runs, a ratio in 0..=1.
    ErrorRatio,
    /// Succeeded / finished runs, a ratio in 0..=1.
    SuccessRatio,
    /// A percentile of trigger-to-completion latency in seconds.
    Latency {
        /// The quantile, e.g. 0.95.
        quantile: f64,
        /// The name part before `_latency_pNN`/`_pNN`: a trigger's name selects only that
        /// trigger's runs; anything else means every run of the system.
        subject: &'a str,
    },
    /// A count of runs in the window.
    Count(RunCount),
    /// Open dead letters of the system.
    DlqDepth,
}

/// Which runs a count figure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunCount {
    /// Runs received (`runs`): the system's traffic.
    Received,
    /// Runs that ended succeeded.
    Succeeded,
    /// Runs that ended failed.
    Failed,
    /// Runs received and not finished.
    Running,
}

/// The figure a name stands for; `None` for a name outside the naming rule (it has no figure).
pub fn figure(name: &str) -> Option<Figure<'_>> {
    Some(match name {
        "runs" => Figure::Count(RunCount::Received),
        "succeeded" => Figure::Count(RunCount::Succeeded),
        "failed" => Figure::Count(RunCount::Failed),
        "running" => Figure::Count(RunCount::Running),
        "dlq_depth" => Figure::DlqDepth,
        "success_ratio" | "success_rate" | "availability" => Figure::SuccessRatio,
        n if n.ends_with("error_rate") => Figure::ErrorRatio,
        n => {
            let (quantile, subject) = percentile_of(n)?;
            Figure::Latency { quantile, subject }
        }
    })
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

/// Whether a figure name is a ratio in 0..=1 (see the naming rule).
pub fn is_ratio(name: &str) -> bool {
    matches!(
        figure(name),
        Some(Figure::ErrorRatio | Figure::SuccessRatio)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_figures() {
        assert_eq!(figure("error_rate"), Some(Figure::ErrorRatio));
        assert_eq!(figure("ledger_error_rate"), Some(Figure::ErrorRatio));
        assert_eq!(figure("availability"), Some(Figure::SuccessRatio));
        assert_eq!(
            figure("dispatch_latency_p95"),
            Some(Figure::Latency {
                quantile: 0.95,
                subject: "dispatch"
            })
        );
        assert_eq!(
            figure("b_p999"),
            Some(Figure::Latency {
                quantile: 0.999,
                subject: "b"
            })
        );
        assert_eq!(figure("runs"), Some(Figure::Count(RunCount::Received)));
        assert_eq!(figure("dlq_depth"), Some(Figure::DlqDepth));
        assert_eq!(figure("freshness"), None);
        assert!(is_ratio("success_rate") && !is_ratio("x_p50") && !is_ratio("runs"));
    }
}
