//! `claw dlq`: list, retry or drop dead-lettered work.

use super::common::{self, DbArgs};
use crate::output::Format;
use anyhow::Result;
use claw_runtime::EventStore;
use claw_runtime::ops::{self, RetryOutcome};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

/// Why a retry or drop did nothing.
const NOT_OPEN: &str = "no open dead letter with this id";

/// Inspect and handle the dead-letter queue.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
    #[command(flatten)]
    pub db: DbArgs,
}

/// What to do.
#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// List dead letters (open ones unless --all).
    List {
        /// Include retried and dropped ones.
        #[arg(long)]
        all: bool,
    },
    /// Run the failed work again: a new run of the same payload, decisions reused.
    Retry {
        /// Dead-letter id.
        id: i64,
        /// The system's .claw file (default: the version `claw run` last stored).
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Mark a dead letter as handled without running it.
    Drop {
        /// Dead-letter id.
        id: i64,
    },
}

/// Runs the command.
pub fn run(a: Args) -> Result<ExitCode> {
    common::tokio()?.block_on(async {
        let store = common::open(&a.db.db).await?;
        match a.action {
            Action::List { all } => {
                let dl = store.dead_letters(if all { None } else { Some("open") }).await?;
                match a.db.format {
                    Format::Json => common::print_json(&dl)?,
                    Format::Text => {
                        for d in &dl {
                            println!(
                                "{:>5}  {:<8} {}/{}  run {}  {}  {}",
                                d.id, d.state, d.system, d.step, d.run_id, d.target, d.error
                            );
                        }
                        if dl.is_empty() {
                            println!("no dead letters");
                        }
                    }
                }
                Ok(crate::output::exit::ok())
            }
            Action::Drop { id } => {
                let ok = store.set_dead_letter_state(id, "open", "dropped").await?;
                if ok {
                    report(a.db.format, json!({"id": id, "dropped": true}))?;
                    return Ok(crate::output::exit::ok());
                }
                report(a.db.format, json!({"id": id, "dropped": false, "reason": NOT_OPEN}))?;
                eprintln!("error: no open dead letter with id {id} (see `claw dlq list --all`)");
                Ok(crate::output::exit::findings())
            }
            Action::Retry { id, file } => {
                common::init_logging("warn", None);
                match ops::retry_dead_letter(store, id, file.as_deref()).await? {
                    RetryOutcome::NotOpen => {
                        report(a.db.format, json!({"id": id, "retried": false, "reason": NOT_OPEN}))?;
                        eprintln!("error: no open dead letter with id {id} (see `claw dlq list --all`)");
                        Ok(crate::output::exit::findings())
                    }
                    RetryOutcome::Retried { run_id, status } => {
                        report(a.db.format, json!({"id": id, "retried": run_id.is_some(), "run_id": run_id, "status": status}))?;
                        Ok(crate::output::exit::ok())
                    }
                }
            }
        }
    })
}

fn report(format: Format, v: serde_json::Value) -> Result<()> {
    match format {
        Format::Json => common::print_json(&v),
        Format::Text => {
            println!("{v}");
            Ok(())
        }
    }
}
