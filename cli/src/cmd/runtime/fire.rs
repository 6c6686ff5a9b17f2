//! `claw fire`: fire a trigger by hand, through a running runtime or on the database.

use super::common::{self, DbArgs};
use crate::output::Format;
use anyhow::{Result, bail};
use claw_runtime::{Runtime, StartOptions};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

/// Fire a manual (or any) trigger with a payload.
///
/// By default the payload goes to a running `claw run` through its admin endpoint
/// (--url). With --direct, the run is stored in --db and executed here to its end,
/// using the system file given with --file or the version `claw run` last stored.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// System name.
    pub system: String,
    /// Trigger name.
    pub trigger: String,
    /// Payload: inline JSON or @FILE.
    #[arg(long, default_value = "{}")]
    pub payload: String,
    /// Base URL of a running `claw run`.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Run it in this process on --db instead of through --url.
    #[arg(long)]
    pub direct: bool,
    /// The system's .claw file (with --direct).
    #[arg(long)]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub db: DbArgs,
}

/// Runs the command.
pub fn run(a: Args) -> Result<ExitCode> {
    let payload = common::payload(&a.payload)?;
    common::tokio()?.block_on(async {
        let (code, answer) = if a.direct {
            common::init_logging("warn", None);
            let store = common::open(&a.db.db).await?;
            let sys = claw_runtime::ops::system_from(&*store, &a.system, a.file.as_deref()).await?;
            let rt = Runtime::builder(store).system(sys).build().await?;
            let r = rt
                .run_to_end(&a.system, &a.trigger, payload, StartOptions::default())
                .await?;
            (200, json!({"run_id": r.id, "status": r.status}))
        } else {
            claw_runtime::server::fire_remote(&a.url, &a.system, &a.trigger, &payload).await?
        };
        if !(200..300).contains(&code) {
            bail!("the runtime answered {code}: {answer}");
        }
        match a.db.format {
            Format::Json => common::print_json(&answer)?,
            Format::Text => println!(
                "{}{}",
                answer.get("run_id").and_then(|v| v.as_str()).unwrap_or("?"),
                if answer.get("duplicate").is_some() {
                    " (duplicate: first run)"
                } else {
                    ""
                }
            ),
        }
        Ok(crate::output::exit::ok())
    })
}
