//! `claw runs`: list runs.

use super::common::{self, DbArgs};
use crate::output::Format;
use anyhow::Result;
use claw_runtime::EventStore;
use claw_runtime::store::RunFilter;
use std::process::ExitCode;

/// List runs, newest first.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only this system.
    #[arg(long)]
    pub system: Option<String>,
    /// Only this status: running, succeeded or failed.
    #[arg(long, value_parser = ["running", "succeeded", "failed"])]
    pub status: Option<String>,
    /// At most this many.
    #[arg(long, default_value_t = 100)]
    pub limit: i64,
    #[command(flatten)]
    pub db: DbArgs,
}

/// Runs the command.
pub fn run(a: Args) -> Result<ExitCode> {
    common::tokio()?.block_on(async {
        let store = common::open(&a.db.db).await?;
        let runs = store
            .runs(&RunFilter {
                system: a.system.clone(),
                status: a.status.clone(),
                limit: Some(a.limit),
                ..Default::default()
            })
            .await?;
        match a.db.format {
            Format::Json => common::print_json(&runs)?,
            Format::Text => {
                for r in &runs {
                    println!(
                        "{}  {:<10} {}/{}  received {}  key {}",
                        r.id,
                        r.status,
                        r.system,
                        r.trigger,
                        common::show_ms(Some(r.received_at)),
                        r.idempotency_key
                    );
                }
                if runs.is_empty() {
                    println!("no runs");
                }
            }
        }
        Ok(crate::output::exit::ok())
    })
}
