//! The compact form SLO figures are kept in: per-trigger run counts and a fixed-bucket
//! latency histogram, summed from per-minute rows the store keeps as runs are accepted and
//! finish (so no figure ever needs the runs themselves).

use crate::store::RunRecord;
use crate::time::{Millis, UnixMillis};
use serde::Serialize;
use std::collections::BTreeMap;

/// Width of one row of the run statistics, ms: figures over a window count whole minutes
/// (a window's first minute is counted whole).
pub const STATS_SLOT_MS: i64 = 60_000;

/// Latencies under this many milliseconds have a bucket each, so percentiles up to ~2 s are
/// exact to the millisecond.
pub const EXACT_BELOW_MS: i64 = 2048;

/// Buckets per power of two above [`EXACT_BELOW_MS`]: a bucket spans under 0.4 % of its value.
const SUB_BITS: i64 = 8;

/// `kind` of a statistics row counting accepted runs (its bucket is [`NO_BUCKET`]).
pub const ACCEPTED: &str = "accepted";
/// Bucket of a row that counts runs rather than latencies.
pub const NO_BUCKET: i64 = -1;

/// The slot (the start of the minute) an instant falls in.
pub fn slot_of(t: UnixMillis) -> UnixMillis {
    UnixMillis(t.0.div_euclid(STATS_SLOT_MS) * STATS_SLOT_MS)
}

/// The histogram bucket of a latency in ms: the value itself below [`EXACT_BELOW_MS`], then
/// 256 log-linear buckets per power of two.
pub fn latency_bucket(ms: i64) -> i64 {
    let v = ms.max(0);
    if v < EXACT_BELOW_MS {
        return v;
    }
    let e = 63 - i64::from(v.leading_zeros());
    let sub = (v >> (e - SUB_BITS)) & ((1 << SUB_BITS) - 1);
    EXACT_BELOW_MS + (e - 11) * (1 << SUB_BITS) + sub
}

/// The smallest latency (ms) in a bucket: what a percentile falling in it reports.
pub fn bucket_floor_ms(bucket: i64) -> i64 {
    if bucket < EXACT_BELOW_MS {
        return bucket.max(0);
    }
    let k = bucket - EXACT_BELOW_MS;
    let e = (11 + k / (1 << SUB_BITS)).min(62);
    ((1 << SUB_BITS) + k % (1 << SUB_BITS)) << (e - SUB_BITS)
}

/// Trigger-to-completion latency of a finished run (from its scheduled time when that is
/// later than its receipt).
pub fn run_latency_ms(
    received_at: UnixMillis,
    scheduled_at: Option<UnixMillis>,
    finished_at: UnixMillis,
) -> Millis {
    finished_at - scheduled_at.unwrap_or(received_at).max(received_at)
}

/// One row of run statistics summed over a window: `n` runs of `trigger` that were
/// accepted (`kind` [`ACCEPTED`], `bucket` [`NO_BUCKET`]) or finished with status `kind`
/// (`succeeded`, `failed`) in latency bucket `bucket`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatsRow {
    /// The system the runs belong to.
    pub system: String,
    /// The trigger that started the runs.
    pub trigger: String,
    /// `accepted`, `succeeded` or `failed`.
    pub kind: String,
    /// Latency bucket ([`latency_bucket`]) or [`NO_BUCKET`].
    pub bucket: i64,
    /// How many runs the row counts.
    pub n: i64,
}

/// Counts and latency histogram of one trigger (or of a whole system) over a window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TriggerStats {
    /// Runs accepted in the window.
    pub runs: u64,
    /// Of those, succeeded.
    pub succeeded: u64,
    /// Of those, failed.
    pub failed: u64,
    /// Latency bucket → finished runs.
    pub latency: BTreeMap<i64, u64>,
}

impl TriggerStats {
    /// Runs not finished yet.
    pub fn running(&self) -> u64 {
        self.runs.saturating_sub(self.succeeded + self.failed)
    }

    /// Finished runs.
    pub fn finished(&self) -> u64 {
        self.succeeded + self.failed
    }

    /// Percentile `q` (0..=1) of latency by the nearest-rank method, ms (to the bucket's
    /// floor); `None` with no finished run.
    pub fn percentile_ms(&self, q: f64) -> Option<i64> {
        let total: u64 = self.latency.values().sum();
        if total == 0 {
            return None;
        }
        let rank = ((total as f64 * q).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for (bucket, n) in &self.latency {
            seen += n;
            if seen >= rank {
                return Some(bucket_floor_ms(*bucket));
            }
        }
        None
    }

    fn merge(&mut self, o: &TriggerStats) {
        self.runs += o.runs;
        self.succeeded += o.succeeded;
        self.failed += o.failed;
        for (b, n) in &o.latency {
            *self.latency.entry(*b).or_default() += n;
        }
    }
}

/// Statistics of one system over a window, by trigger.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WindowStats {
    /// Trigger → its counts.
    pub triggers: BTreeMap<String, TriggerStats>,
}

impl WindowStats {
    /// Adds a summed row (rows of other systems must be filtered out by the caller).
    pub fn add(&mut self, row: &StatsRow) {
        let t = self.triggers.entry(row.trigger.clone()).or_default();
        let n = u64::try_from(row.n).unwrap_or(0);
        match row.kind.as_str() {
            ACCEPTED => t.runs += n,
            k => {
                if k == crate::store::status::SUCCEEDED {
                    t.succeeded += n;
                } else {
                    t.failed += n;
                }
                *t.latency.entry(row.bucket).or_default() += n;
            }
        }
    }

    /// The statistics of a list of runs (tests, and stores that keep no rows).
    pub fn from_runs(runs: &[RunRecord]) -> WindowStats {
        let mut w = WindowStats::default();
        for r in runs {
            let t = w.triggers.entry(r.trigger.clone()).or_default();
            t.runs += 1;
            if let Some(f) = r.finished_at
                && crate::store::status::is_finished(&r.status)
            {
                if r.status == crate::store::status::SUCCEEDED {
                    t.succeeded += 1;
                } else {
                    t.failed += 1;
                }
                let b = latency_bucket(run_latency_ms(r.received_at, r.scheduled_at, f).0);
                *t.latency.entry(b).or_default() += 1;
            }
        }
        w
    }

    /// Every trigger together.
    pub fn total(&self) -> TriggerStats {
        let mut all = TriggerStats::default();
        for t in self.triggers.values() {
            all.merge(t);
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_exact_below_two_seconds_and_close_above() {
        for v in [0, 1, 999, 2047] {
            assert_eq!(bucket_floor_ms(latency_bucket(v)), v);
        }
        let mut last = -1;
        for v in (2048..10_000_000).step_by(997) {
            let b = latency_bucket(v);
            assert!(b >= last, "buckets grow with the value");
            last = b;
            let floor = bucket_floor_ms(b);
            assert!(
                floor <= v && (v - floor) as f64 / v as f64 <= 1.0 / 256.0,
                "{v} {floor}"
            );
        }
        assert_eq!(latency_bucket(-5), 0);
        // The largest latency still maps into range.
        assert!(bucket_floor_ms(latency_bucket(i64::MAX)) > 0);
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut t = TriggerStats::default();
        for v in 1..=100 {
            *t.latency.entry(latency_bucket(v)).or_default() += 1;
        }
        assert_eq!(t.percentile_ms(0.5), Some(50));
        assert_eq!(t.percentile_ms(0.99), Some(99));
        assert_eq!(t.percentile_ms(1.0), Some(100));
        assert_eq!(TriggerStats::default().percentile_ms(0.5), None);
    }
}
