//! `claw status`: runs, failures, DLQ depth and SLO figures over a window, and each
//! declared objective (`observability.slo` of the system version the runtime last loaded)
//! met or breached.

use super::common::{self, DbArgs};
use crate::output::Format;
use anyhow::Result;
use claw_runtime::EventStore;
use claw_runtime::engine::summarize;
use claw_runtime::store::RunFilter;
use serde_json::json;
use std::collections::BTreeMap;
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
            let depth = dl.iter().filter(|d| &d.system == name).count();
            let mut s = serde_json::to_value(summarize(rs))?;
            if let serde_json::Value::Object(m) = &mut s {
                m.insert("dlq_depth".into(), json!(depth));
                m.insert("slo".into(), serde_json::to_value(objectives(&*store, name, rs, depth).await?)?);
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
                    for o in s["slo"].as_array().into_iter().flatten() {
                        let verdict = match o["met"].as_bool() {
                            Some(true) => "met",
                            Some(false) => "BREACHED",
                            None => "no figure",
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

/// The declared objectives of `system` (from the source the runtime saved when it loaded
/// the system) judged over `runs`; empty when no source was saved.
async fn objectives(
    store: &dyn EventStore,
    system: &str,
    runs: &[claw_runtime::store::RunRecord],
    dlq_depth: usize,
) -> Result<Vec<claw_runtime::slo::SloStatus>> {
    let Some((_, text)) = store.latest_source(system).await? else {
        return Ok(Vec::new());
    };
    let Some(sys) = claw_language::parse::parse(&text).system else {
        return Ok(Vec::new());
    };
    let triggers: Vec<String> = sys.triggers.iter().map(|t| t.name.clone()).collect();
    let names: Vec<String> = sys.observability.slo.keys().cloned().collect();
    let figures = claw_runtime::slo::figures_of(runs, dlq_depth, &triggers, &names);
    Ok(claw_runtime::slo::assess(&figures, &sys.observability.slo))
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
