//! `claw schema`: prints the JSON Schema of .claw files.

use std::process::ExitCode;

/// Print the JSON Schema of .claw files.
///
/// For yaml-language-server: `claw schema > claw.schema.json`, then add
/// `# yaml-language-server: $schema=./claw.schema.json` or map `*.claw` to it in your editor.
#[derive(clap::Args)]
#[command(
    after_help = "Editors: `claw schema > claw.schema.json`, then start a .claw file with\n`# yaml-language-server: $schema=./claw.schema.json` or map `*.claw` to the schema in your\neditor settings (yaml.schemas). The schema is JSON Schema draft 2020-12, generated from the\nsame field tables the parser uses."
)]
pub struct Args {}

/// Runs the command.
pub fn run(_a: Args) -> anyhow::Result<ExitCode> {
    println!(
        "{}",
        serde_json::to_string_pretty(&claw_language::schema::json_schema())?
    );
    Ok(ExitCode::SUCCESS)
}
