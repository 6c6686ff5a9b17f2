//! `claw import zapier`: Zapier exports → one `.claw` system per Zap.

use super::common::OutputArgs;
use crate::output::exit;
use std::process::ExitCode;

/// Import a Zapier export: an account export (.zip holding Zapfile.json), a Zapfile.json or
/// exported-zap JSON file, a folder of them, or `-` for standard input.
///
/// Each Zap becomes one NAME.claw in the output folder (NAME is the slug of the Zap title, with
/// the Zap id appended if two titles collide); Code by Zapier steps are saved under
/// policies/NAME/. Findings (what the Zap lacks, what was assumed) are printed, and written as
/// JSON with --report. Any error in the input (bad JSON, wrong shape, broken step tree) exits 2
/// and writes nothing.
#[derive(clap::Args)]
pub struct Args {
    /// Input: .zip, .json, a folder of them, or `-` for standard input.
    pub input: std::path::PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Runs the command.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let spin = crate::progress::spinner("reading and mapping the legacy setup");
    let result = claw_importers::zapier::import(&a.input);
    spin.finish_and_clear();
    let imported = match result {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            return Ok(exit::usage());
        }
    };
    super::common::finish(&a.output, &imported.generated, &imported.findings)
}
