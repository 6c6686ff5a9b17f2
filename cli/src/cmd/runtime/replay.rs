//! `claw replay`: run logged triggers again, optionally through a new system version.

use super::common::{self, DbArgs};
use crate::output::Format;
use anyhow::{Result, bail};
use claw_runtime::engine::decisions_of;
use claw_runtime::store::RunFilter;
use claw_runtime::{EventStore, Runtime, StartOptions};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

/// Run the triggers logged between --from and --to again.
///
/// Each replayed run is a new run (the originals stay as they were) whose
/// `trigger.received` event names the original. Decisions recorded in the original are
/// reused unless --redecide. With --dry-run nothing is written and no adapter acts: the
/// calls they would make are printed.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// System name.
    pub system: String,
    /// Start of the window (RFC 3339 or YYYY-MM-DD), inclusive.
    #[arg(long)]
    pub from: String,
    /// End of the window, exclusive.
    #[arg(long)]
    pub to: String,
    /// Run through this version of the system instead of the stored one.
    #[arg(long = "with")]
    pub with: Option<PathBuf>,
    /// Make decisions again instead of reusing the recorded ones.
    #[arg(long)]
    pub redecide: bool,
    /// Record what adapters would do; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

/// Runs the command.
pub fn run(a: Args) -> Result<ExitCode> {
    common::init_logging("warn", None);
    let from = common::time(&a.from)?;
    let to = common::time(&a.to)?;
    if to <= from {
        bail!("--to must be after --from");
    }
    common::tokio()?.block_on(async {
        let store = common::open(&a.db.db).await?;
        let sys = common::system_from(&store, &a.system, a.with.as_deref()).await?;
        let originals = store
            .runs(&RunFilter {
                system: Some(a.system.clone()),
                from: Some(from.timestamp_millis()),
                to: Some(to.timestamp_millis()),
                oldest_first: true,
                ..Default::default()
            })
            .await?;
        let batch = uuid_like();
        let rt = if a.dry_run {
            Runtime::record_only(vec![sys]).await?
        } else {
            Runtime::builder(store.clone()).system(sys).build().await?
        };
        let mut results = Vec::new();
        let pb = crate::progress::bar(originals.len() as u64, "replay");
        for o in &originals {
            pb.inc(1);
            let reuse = if a.redecide {
                BTreeMap::new()
            } else {
                decisions_of(&store.events(&o.id).await?)
            };
            let opts = StartOptions {
                scheduled_at: None,
                key: Some(format!("replay:{}:{batch}", o.id)),
                reuse_decisions: reuse,
                origin: Some(json!({"replay_of": o.id})),
            };
            let r = if a.dry_run {
                let sim = rt.simulate(&o.system, &o.trigger, o.payload.clone(), opts).await;
                match sim {
                    Ok(s) => json!({"original": o.id, "status": s.status, "decisions": s.decisions, "calls": s.calls}),
                    Err(e) => json!({"original": o.id, "error": e.to_string()}),
                }
            } else {
                match rt.run_to_end(&o.system, &o.trigger, o.payload.clone(), opts).await {
                    Ok(r) => json!({"original": o.id, "run_id": r.id, "status": r.status}),
                    Err(e) => json!({"original": o.id, "error": e.to_string()}),
                }
            };
            results.push(r);
        }
        pb.finish_and_clear();
        let failed = results.iter().any(|r| r.get("error").is_some() || r["status"] == "failed");
        match a.db.format {
            Format::Json => common::print_json(&json!({"replayed": results.len(), "dry_run": a.dry_run, "runs": results}))?,
            Format::Text => {
                for r in &results {
                    println!("{r}");
                }
                println!("replayed {} run(s){}", results.len(), if a.dry_run { " (dry run)" } else { "" });
            }
        }
        Ok(if failed { crate::output::exit::findings() } else { crate::output::exit::ok() })
    })
}

/// A batch id so a replay can be repeated (each replay is new work by design).
fn uuid_like() -> String {
    format!(
        "{:x}",
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    )
}
