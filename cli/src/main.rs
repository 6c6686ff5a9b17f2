//! `claw`: the OpenClaw command-line tool. It only wires the libraries together.

mod cmd;
mod output;
mod progress;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// mimalloc: fewer cycles per allocation than glibc malloc on the runtime's hot path
/// (measured in docs/performance.md "Runtime").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Compile systems' SLOs and alerts into Prometheus rules (with promtool tests) or an Alertmanager config.
    ///
    /// Every system must check (`claw check`); nothing is written otherwise. Parts of the
    /// observability layer PromQL cannot express are reported as warnings and left out. Files
    /// are written atomically and are byte-identical for the same systems. Exit codes: 0
    /// written; 1 a system does not check (or two files define one system), or something was
    /// left out; 2 usage error, unreadable input, or an output folder that cannot be written.
    Compile(cmd::compile::Args),
    /// Print the JSON Schema of the .claw language (for editors).
    Schema(cmd::schema::Args),
    /// Import legacy automation (Zapier exports, crontabs, spreadsheets) as .claw systems.
    Import(cmd::import::Args),
    /// Review pending generated systems (*.claw.new): accept, reject or skip each diff.
    Review(cmd::review::Args),
    /// Check crontab schedules: next fire times and plain-English explanations.
    Cron(cmd::cron::Args),
    /// Run systems durably (SQLite by default, PostgreSQL with --db postgres://…).
    Run(cmd::runtime::run::Args),
    /// Fire a manual trigger.
    Fire(cmd::runtime::fire::Args),
    /// Run logged triggers again, optionally through a new version of the system.
    Replay(cmd::runtime::replay::Args),
    /// Feed historical payloads (JSON Lines) to a system as triggers.
    Backfill(cmd::runtime::backfill::Args),
    /// List runs.
    Runs(cmd::runtime::runs::Args),
    /// Show the event log of one run.
    Events(cmd::runtime::events::Args),
    /// Inspect and handle the dead-letter queue.
    Dlq(cmd::runtime::dlq::Args),
    /// Runs, failures, DLQ depth and SLO figures over a window.
    Status(cmd::runtime::status::Args),
    /// Load the records of a table the `table.*` steps use (a Zapier Table's rows) from CSV.
    Table(cmd::runtime::table::Args),
    /// Shadow mode: run an imported system beside the legacy one and gate the cutover.
    Shadow(cmd::shadow::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(a) => cmd::check::run(a),
        Command::Fmt(a) => cmd::fmt::run(a),
        Command::Graph(a) => cmd::graph::run(a),
        Command::Schema(a) => cmd::schema::run(a),
        Command::Compile(a) => cmd::compile::run(a),
        Command::Import(a) => cmd::import::run(a),
        Command::Review(a) => cmd::review::run(a),
        Command::Cron(a) => cmd::cron::run(a),
        Command::Run(a) => cmd::runtime::run::run(a),
        Command::Fire(a) => cmd::runtime::fire::run(a),
        Command::Replay(a) => cmd::runtime::replay::run(a),
        Command::Backfill(a) => cmd::runtime::backfill::run(a),
        Command::Runs(a) => cmd::runtime::runs::run(a),
        Command::Events(a) => cmd::runtime::events::run(a),
        Command::Dlq(a) => cmd::runtime::dlq::run(a),
        Command::Status(a) => cmd::runtime::status::run(a),
        Command::Table(a) => cmd::runtime::table::run(a),
        Command::Shadow(a) => cmd::shadow::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
