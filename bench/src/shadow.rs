//! `claw-bench shadow`: diff rate of the shadow comparison core on synthetic run pairs.
//!
//! Builds N legacy runs and N shadow runs of a two-step system (a Slack post and a
//! sheet row), keyed by idempotency key, with planted differences: 2% changed text,
//! 0.1% missing, 0.1% extra, and a timestamp that differs in every pair and is learned
//! as noise from 1% legacy replays. Times `compare` (correlation, field diff, noise,
//! classification) and the tally, not the generation.

use claw_shadow::compare::{Options, Tally, compare};
use claw_shadow::model::{Correlation, Outcome, StepOutcome, parse_time};
use serde_json::json;
use std::time::{Duration, Instant};

/// Size of the synthetic comparison.
#[derive(clap::Args)]
pub struct Args {
    /// Number of run pairs.
    #[arg(long, default_value_t = 1_000_000)]
    pairs: usize,
}

/// Runs the benchmark.
pub fn run(a: Args) -> anyhow::Result<()> {
    let base = parse_time("2026-11-01T00:00:00Z").ok_or_else(|| anyhow::anyhow!("base time"))?;
    let make = |i: usize, secs: u64, text: String, ts: u64| Outcome {
        source: String::new(),
        system: "bench".into(),
        trigger: "order".into(),
        correlation: Correlation::Key(i.to_string()),
        at: base + Duration::from_secs(secs),
        payload_digest: Some(format!("{i:016x}")),
        branches: vec!["big_order".into()],
        steps: vec![
            StepOutcome {
                step: "post_slack".into(),
                action: "slack.post".into(),
                params: json!({"channel": "#orders", "text": text}),
                idempotency_key: None,
                status: String::new(),
            },
            StepOutcome {
                step: "log_row".into(),
                action: "sheets.add_row".into(),
                params: json!({"sheet": "orders", "order": i, "total": (i % 997) as f64 / 4.0, "logged_at": ts}),
                idempotency_key: None,
                status: String::new(),
            },
        ],
        status: "success".into(),
        payload: None,
    };
    let n = a.pairs;
    let t0 = Instant::now();
    let mut legacy = Vec::with_capacity(n + n / 100);
    let mut shadow = Vec::with_capacity(n);
    for i in 0..n {
        let secs = (i as u64) * 2;
        let text = format!("New order {i} for {} EUR", i % 997);
        if i % 1000 != 1 {
            legacy.push(make(i, secs, text.clone(), secs + 1));
        }
        if i % 100 == 7 {
            legacy.push(make(i, secs + 600, text.clone(), secs + 601));
        }
        if i % 1000 != 2 {
            let t = if i % 50 == 3 {
                format!("Order {i}: {} EUR", i % 997)
            } else {
                text
            };
            shadow.push(make(i, secs, t, secs));
        }
    }
    let gen_time = t0.elapsed();
    let t1 = Instant::now();
    let cmp = compare(&legacy, &shadow, &Options::default())?;
    let tally = Tally::of(cmp.runs.iter().map(|r| r.class));
    let took = t1.elapsed();
    let pairs = tally.compared - tally.counts["missing"] - tally.counts["extra"];
    println!(
        "shadow diff benchmark: {} legacy runs, {} shadow runs (generated in {:.2?})",
        legacy.len(),
        shadow.len(),
        gen_time
    );
    println!("  classes: {:?}", tally.counts);
    println!("  noise rules learned: {}", cmp.noise.len());
    println!(
        "  compared {} runs ({} pairs) in {:.2?}: {:.0} runs/s, {:.0} pairs/s",
        tally.compared + tally.counts["duplicate"],
        pairs,
        took,
        (tally.compared + tally.counts["duplicate"]) as f64 / took.as_secs_f64(),
        pairs as f64 / took.as_secs_f64()
    );
    Ok(())
}
