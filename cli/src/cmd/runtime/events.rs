//! `claw events`: the event log of one run.

use super::common::{self, DbArgs};
use crate::output::Format;
use anyhow::{Result, bail};
use claw_runtime::EventStore;
use std::process::ExitCode;

/// Show the event log of one run, in order.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Run id.
    pub run_id: String,
    #[command(flatten)]
    pub db: DbArgs,
}

/// Runs the command.
pub fn run(a: Args) -> Result<ExitCode> {
    common::tokio()?.block_on(async {
        let store = common::open(&a.db.db).await?;
        let Some(run) = store.run(&a.run_id).await? else {
            bail!("no run `{}` in this database", a.run_id);
        };
        let events = store.events(&a.run_id).await?;
        match a.db.format {
            Format::Json => common::print_json(&serde_json::json!({"run": run, "events": events}))?,
            Format::Text => {
                println!(
                    "run {} ({}/{}) {}",
                    run.id, run.system, run.trigger, run.status
                );
                for e in &events {
                    // A loop item's events name the item: `step[index]`.
                    let step = match (&e.step, e.data.get("index").and_then(|i| i.as_u64())) {
                        (Some(s), Some(i)) => format!("{s}[{i}]"),
                        (Some(s), None) => s.clone(),
                        (None, _) => "-".to_string(),
                    };
                    println!(
                        "{:>6}  {}  {:<22} {}{}  {}",
                        e.seq,
                        common::show_ms(Some(e.at)),
                        e.kind,
                        step,
                        e.attempt.map(|a| format!(" #{a}")).unwrap_or_default(),
                        e.data
                    );
                }
            }
        }
        Ok(crate::output::exit::ok())
    })
}
