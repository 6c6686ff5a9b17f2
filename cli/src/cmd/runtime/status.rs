//! `claw status`: runs, failures, DLQ depth and SLO figures over a window.

use super::common::{self, DbArgs};
use crate::output::Format;
use anyhow::Result;
use claw_runtime::EventStore;
use claw_runtime::engine::summarize;
use claw_runtime::store::RunFilter;
use serde_json::json;
use std::collections::BTreeMap;
use std::process::ExitCode;

/// Runs, failures, DLQ depth and latency percentiles per system over a window.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Window length in hours, ending now.
    #[arg(long, default_value_t = 24)]
    pub hours: i64,
    /// Only this system.
    #[arg(long)]
    pub system: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
}

/// Runs the command.
pub fn run(a: Args) -> Result<ExitCode> {
    common::tokio()?.block_on(async {
        let store = common::open(&a.db.db).await?;
        let now = chrono::Utc::now().timestamp_millis();
        let from = now - a.hours.max(0) * 3_600_000;
        let runs = store
            .runs(&RunFilter {
                system: a.system.clone(),
                from: Some(from),
                oldest_first: true,
                ..Default::default()
            })
            .await?;
        let dl = store.dead_letters(Some("open")).await?;
        let mut by_system: BTreeMap<String, Vec<_>> = BTreeMap::new();
        for r in runs {
            by_system.entry(r.system.clone()).or_default().push(r);
        }
        let mut systems = serde_json::Map::new();
        for (name, rs) in &by_system {
            let mut s = serde_json::to_value(summarize(rs))?;
            if let serde_json::Value::Object(m) = &mut s {
                m.insert("dlq_depth".into(), json!(dl.iter().filter(|d| &d.system == name).count()));
            }
            systems.insert(name.clone(), s);
        }
        let out = json!({"window_hours": a.hours, "dlq_depth": dl.len(), "systems": systems});
        match a.db.format {
            Format::Json => common::print_json(&out)?,
            Format::Text => {
                println!("window: last {} h, open dead letters: {}", a.hours, dl.len());
                for (name, s) in &systems {
                    println!(
                        "{name}: {} runs, {} succeeded, {} failed, {} running, error rate {:.2}%, p50 {} ms, p95 {} ms, p99 {} ms, dlq {}",
                        s["runs"], s["succeeded"], s["failed"], s["running"],
                        s["error_rate"].as_f64().unwrap_or(0.0) * 100.0,
                        s["latency_p50_ms"], s["latency_p95_ms"], s["latency_p99_ms"], s["dlq_depth"]
                    );
                }
            }
        }
        Ok(crate::output::exit::ok())
    })
}
