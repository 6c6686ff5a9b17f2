//! `claw graph`: one system drawn as Graphviz DOT or Mermaid.

use crate::output::{color_stderr, exit};
use claw_language::codes;
use std::path::PathBuf;
use std::process::ExitCode;

/// Drawing format.
#[derive(Debug, Clone, Copy, clap::ValueEnum, Default)]
pub enum GraphFormat {
    /// Graphviz DOT (`claw graph x.claw | dot -Tsvg > x.svg`).
    #[default]
    Dot,
    /// Mermaid flowchart (renders in GitHub and GitLab markdown).
    Mermaid,
}

/// Draw a system: triggers → decisions → events → executions → dead letters, alerts → routes.
#[derive(clap::Args)]
pub struct Args {
    /// The .claw file.
    file: PathBuf,
    /// Drawing format.
    #[arg(long, value_enum, default_value_t)]
    format: GraphFormat,
}

/// Runs the command.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let (text, checked) = match claw_language::check_file(&a.file) {
        Ok(x) => x,
        Err(e) => {
            eprintln!(
                "error[{}]: cannot read {}: {e}",
                codes::IO.id,
                a.file.display()
            );
            return Ok(exit::usage());
        }
    };
    let Some(sys) = checked.valid_system() else {
        eprint!(
            "{}",
            claw_language::diag::render(&checked.diagnostics, &text, color_stderr())
        );
        return Ok(exit::findings());
    };
    let out = match a.format {
        GraphFormat::Dot => claw_language::draw::dot(sys),
        GraphFormat::Mermaid => claw_language::draw::mermaid(sys),
    };
    print!("{out}");
    Ok(exit::ok())
}
