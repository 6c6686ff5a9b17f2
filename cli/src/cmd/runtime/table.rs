//! `claw table load`: loads a table's records (a Zapier Table's rows) from a CSV file.

use super::common::{self, DbArgs};
use crate::output::Format;
use anyhow::{Context, Result};
use claw_runtime::ops;
use std::path::PathBuf;
use std::process::ExitCode;

/// Tables the `table.*` steps use (stores under `data.state`).
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
    /// Load records from a CSV file: a header row of field names, an optional `id` column
    /// (else the row number); a record whose id exists is replaced; loading the same file
    /// again changes nothing.
    Load {
        /// The system.
        system: String,
        /// The table: the `data.state` store its `table.*` steps name.
        table: String,
        /// The CSV file.
        file: PathBuf,
    },
}

/// Runs the command.
pub fn run(a: Args) -> Result<ExitCode> {
    let Action::Load {
        system,
        table,
        file,
    } = a.action;
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    common::tokio()?.block_on(async {
        let store = common::open(&a.db.db).await?;
        let done = ops::load_table(store.as_ref(), &system, &table, &text).await?;
        match a.db.format {
            Format::Json => common::print_json(&done)?,
            Format::Text => println!(
                "{}/{}: {} record(s) loaded from {}",
                done.system,
                done.table,
                done.records,
                file.display()
            ),
        }
        Ok(crate::output::exit::ok())
    })
}
