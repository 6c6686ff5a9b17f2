//! `claw replay`: run logged triggers again, optionally through a new system version.

use super::common::{self, BulkArgs};
use anyhow::{Result, bail};
use claw_runtime::ops::{self, ReplayOptions};
use serde_json::json;
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
    #[command(flatten)]
    pub bulk: BulkArgs,
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
        let store = common::open(&a.bulk.db.db).await?;
        let sys = ops::system_from(&*store, &a.system, a.with.as_deref()).await?;
        let opts = ReplayOptions {
            from: from.into(),
            to: to.into(),
            redecide: a.redecide,
            dry_run: a.bulk.dry_run,
        };
        let pb = crate::progress::bar(0, "replay");
        let results = ops::replay(store, sys, &opts, &|n| pb.set_length(n as u64), &|| {
            pb.inc(1)
        })
        .await?;
        pb.finish_and_clear();
        let failed = results
            .iter()
            .any(|r| r.get("error").is_some() || r["status"] == "failed");
        let note = if a.bulk.dry_run { " (dry run)" } else { "" };
        common::report_runs(
            a.bulk.db.format,
            || json!({"replayed": results.len(), "dry_run": a.bulk.dry_run, "runs": results}),
            &results,
            &format!("replayed {} run(s){note}", results.len()),
            failed,
        )
    })
}
