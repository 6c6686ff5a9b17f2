//! `claw backfill`: feed historical payloads (JSON Lines) to a system as triggers.

use super::common::{self, BulkArgs};
use anyhow::{Context, Result};
use claw_runtime::ops;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

/// Feed each line of a JSON Lines file to a trigger, in order.
///
/// Lines go through the trigger's idempotency key, so running the same backfill twice
/// starts nothing new. Bad lines are reported with their line number and skipped after
/// all good lines ran; the exit code is then 1.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// System name.
    pub system: String,
    /// JSON Lines file: one payload per line.
    #[arg(long)]
    pub input: PathBuf,
    /// Trigger to feed (default: the system's only trigger, or its first webhook).
    #[arg(long)]
    pub trigger: Option<String>,
    /// The system's .claw file (default: the version `claw run` last stored).
    #[arg(long)]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub bulk: BulkArgs,
}

/// Runs the command.
pub fn run(a: Args) -> Result<ExitCode> {
    common::init_logging("warn", None);
    let text = std::fs::read_to_string(&a.input)
        .with_context(|| format!("cannot read {}", a.input.display()))?;
    common::tokio()?.block_on(async {
        let store = common::open(&a.bulk.db.db).await?;
        let sys = ops::system_from(&*store, &a.system, a.file.as_deref()).await?;
        let trigger = match &a.trigger {
            Some(t) => t.clone(),
            None => ops::default_trigger(&sys)?,
        };
        let pb = crate::progress::bar(text.lines().count() as u64, "backfill");
        let input = a.input.display().to_string();
        let report =
            ops::backfill(store, sys, &trigger, &input, &text, a.bulk.dry_run, &|| pb.inc(1)).await?;
        pb.finish_and_clear();
        for b in &report.bad_lines {
            eprintln!("error: {b}");
        }
        common::report_runs(
            a.bulk.db.format,
            || json!({"fed": report.runs.len(), "bad_lines": report.bad_lines, "runs": report.runs}),
            &report.runs,
            &format!("fed {} payload(s) to {}/{trigger}", report.runs.len(), a.system),
            report.failed(),
        )
    })
}
