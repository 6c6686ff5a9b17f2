//! claw events (being built in this session; see the issue tracker).

use std::process::ExitCode;

/// claw events
#[derive(clap::Args)]
pub struct Args {}

/// Runs the command.
pub fn run(_a: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("this command is not available in this build yet")
}
