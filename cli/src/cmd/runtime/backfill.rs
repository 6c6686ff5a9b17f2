//! `claw backfill`: feed historical payloads (JSON Lines) to a system as triggers.

use super::common::{self, DbArgs};
use crate::output::Format;
use anyhow::{Context, Result, bail};
use claw_runtime::{Runtime, StartOptions};
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
    /// Record what adapters would do; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

/// Runs the command.
pub fn run(a: Args) -> Result<ExitCode> {
    common::init_logging("warn", None);
    let text = std::fs::read_to_string(&a.input)
        .with_context(|| format!("cannot read {}", a.input.display()))?;
    common::tokio()?.block_on(async {
        let store = common::open(&a.db.db).await?;
        let sys = common::system_from(&store, &a.system, a.file.as_deref()).await?;
        let trigger = match &a.trigger {
            Some(t) => t.clone(),
            None => match sys.triggers.as_slice() {
                [only] => only.trigger.name.clone(),
                many => match many.iter().find(|t| t.trigger.source == claw_language::model::Source::Webhook) {
                    Some(t) => t.trigger.name.clone(),
                    None => bail!("system `{}` has several triggers; choose one with --trigger", a.system),
                },
            },
        };
        let rt = if a.dry_run {
            Runtime::record_only(vec![sys]).await?
        } else {
            Runtime::builder(store.clone()).system(sys).build().await?
        };
        let mut results = Vec::new();
        let mut bad = Vec::new();
        let pb = crate::progress::bar(text.lines().count() as u64, "backfill");
        for (i, line) in text.lines().enumerate() {
            pb.inc(1);
            if line.trim().is_empty() {
                continue;
            }
            let payload: serde_json::Value = match serde_json::from_str(line) {
                Ok(p) => p,
                Err(e) => {
                    bad.push(format!(
                        "claw::runtime::bad_json: {}:{}:{}: {e}",
                        a.input.display(),
                        i + 1,
                        e.column()
                    ));
                    continue;
                }
            };
            let opts = StartOptions {
                origin: Some(json!({"backfill": a.input.display().to_string(), "line": i + 1})),
                ..Default::default()
            };
            let r = if a.dry_run {
                match rt.simulate(&a.system, &trigger, payload, opts).await {
                    Ok(s) => json!({"line": i + 1, "status": s.status, "decisions": s.decisions, "calls": s.calls}),
                    Err(e) => json!({"line": i + 1, "error": e.to_string()}),
                }
            } else {
                match rt.run_to_end(&a.system, &trigger, payload, opts).await {
                    Ok(r) => json!({"line": i + 1, "run_id": r.id, "status": r.status}),
                    Err(e) => json!({"line": i + 1, "error": e.to_string()}),
                }
            };
            results.push(r);
        }
        pb.finish_and_clear();
        for b in &bad {
            eprintln!("error: {b}");
        }
        let failed = !bad.is_empty() || results.iter().any(|r| r.get("error").is_some());
        match a.db.format {
            Format::Json => common::print_json(&json!({"fed": results.len(), "bad_lines": bad, "runs": results}))?,
            Format::Text => {
                for r in &results {
                    println!("{r}");
                }
                println!("fed {} payload(s) to {}/{trigger}", results.len(), a.system);
            }
        }
        Ok(if failed { crate::output::exit::findings() } else { crate::output::exit::ok() })
    })
}
