//! `claw`: the OpenClaw command-line tool. It only wires the libraries together.

mod cmd;
mod output;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// OpenClaw: declarative, observable, replay-safe operations automation.
///
/// Exit codes: 0 ok; 1 findings, invalid systems, or a diff over the gate; 2 usage error or unreadable input.
#[derive(Parser)]
#[command(name = "claw", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check .claw files: parse, validate and lint them.
    Check(cmd::check::Args),
    /// Rewrite .claw files in canonical form.
    Fmt(cmd::fmt::Args),
    /// Draw a system as a graph (Graphviz DOT or Mermaid).
    Graph(cmd::graph::Args),
    /// Print the JSON Schema of the .claw language (for editors).
    Schema(cmd::schema::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(a) => cmd::check::run(a),
        Command::Fmt(a) => cmd::fmt::run(a),
        Command::Graph(a) => cmd::graph::run(a),
        Command::Schema(a) => cmd::schema::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
