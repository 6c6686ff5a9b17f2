//! `claw schema`.

use std::process::ExitCode;

/// Print the JSON Schema of .claw files.
///
/// For yaml-language-server: `claw schema > claw.schema.json`, then add
/// `# yaml-language-server: $schema=./claw.schema.json` or map `*.claw` to it in your editor.
#[derive(clap::Args)]
pub struct Args {}

/// Runs the command.
pub fn run(_a: Args) -> anyhow::Result<ExitCode> {
    println!(
        "{}",
        serde_json::to_string_pretty(&claw_spec::schema::json_schema())?
    );
    Ok(ExitCode::SUCCESS)
}
