//! `claw import sheet` (being built in this session).

use super::common::OutputArgs;
use std::process::ExitCode;

/// Import options.
#[derive(clap::Args)]
pub struct Args {
    /// Input path, or `-` for standard input.
    pub input: std::path::PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Runs the command.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let _ = (&a.input, &a.output, super::common::finish);
    anyhow::bail!("this importer is not available in this build yet")
}
