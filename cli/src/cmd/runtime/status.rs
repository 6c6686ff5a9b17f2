//! `claw status`: runs, failures, DLQ depth and SLO figures over a window, and each
//! declared objective (`observability.slo` of the system version the runtime last loaded)
//! met, breached, or without data; figured by [`claw_runtime::slo::status`] from the run
//! statistics, so it answers at once on a database of any size.

use super::common::{self, DbArgs};
use crate::output::Format;
use anyhow::Result;
use claw_runtime::ops;
use std::process::ExitCode;

/// Runs, failures, DLQ depth, latency percentiles and each declared SLO (met or
/// breached) per system over a window.
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
        let now = claw_runtime::UnixMillis::now();
        let out = ops::status(&*store, now, a.hours, a.system.as_deref()).await?;
        let empty = serde_json::Map::new();
        let systems = out["systems"].as_object().unwrap_or(&empty);
        let open_dead_letters = &out["dlq_depth"];
        match a.db.format {
            Format::Json => common::print_json(&out)?,
            Format::Text => {
                println!("window: last {} h, open dead letters: {open_dead_letters}", a.hours);
                for (name, s) in systems {
                    println!(
                        "{name}: {} runs, {} succeeded, {} failed, {} running, error rate {:.2}%, p50 {} ms, p95 {} ms, p99 {} ms, dlq {}",
                        s["runs"], s["succeeded"], s["failed"], s["running"],
                        s["error_rate"].as_f64().unwrap_or(0.0) * 100.0,
                        s["latency_p50_ms"], s["latency_p95_ms"], s["latency_p99_ms"], s["dlq_depth"]
                    );
                    for o in s["slo"].as_array().into_iter().flatten() {
                        let verdict = match (o["met"].as_bool(), o["no_data"].as_bool()) {
                            (Some(true), _) => "met",
                            (Some(false), _) => "BREACHED",
                            (None, Some(true)) => "no data",
                            (None, _) => "no figure",
                        };
                        let name = o["name"].as_str().unwrap_or("");
                        let value = o["value"].as_f64().map(|v| shown(name, v)).unwrap_or_else(|| "-".into());
                        println!(
                            "  slo {name}: objective {}, measured {value}: {verdict}",
                            o["objective"].as_str().unwrap_or("")
                        );
                    }
                }
            }
        }
        Ok(crate::output::exit::ok())
    })
}

/// A figure as people read it: ratios in percent, latencies in milliseconds.
fn shown(name: &str, v: f64) -> String {
    if claw_runtime::slo::is_ratio(name) {
        format!("{:.2}%", v * 100.0)
    } else if claw_runtime::slo::percentile_of(name).is_some() {
        format!("{:.0} ms", v * 1000.0)
    } else {
        format!("{v}")
    }
}
