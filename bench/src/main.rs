//! `cargo run --release -p claw-bench -- <benchmark>`: benchmarks whose figures go to docs/performance.md.
//! One subcommand per benchmark module; this file only dispatches.

use clap::{Parser, Subcommand};

mod crontab;
mod formatter;
mod log_system;
mod looping;
mod runtime;
mod shadow;
mod sheet;
mod soak;
mod soak_client;
mod soak_server;
mod zapier;

#[derive(Parser)]
#[command(
    name = "claw-bench",
    about = "OpenClaw benchmarks (figures go to docs/performance.md)"
)]
struct Cli {
    #[command(subcommand)]
    bench: Bench,
}

#[derive(Subcommand)]
enum Bench {
    /// Zapier import throughput on a synthetic 10,000-Zap export vs serde_json alone.
    Zapier(zapier::Args),
    /// Runtime throughput and trigger-to-completion latency (webhook → log.* run) vs raw inserts.
    Runtime(runtime::Args),
    /// Sheet import throughput on a generated 50,000-row xlsx register vs calamine alone.
    Sheet(sheet::Args),
    /// Crontab import throughput on a generated 100,000-line crontab vs reading + splitting lines.
    Crontab(crontab::Args),
    /// Soak: the real `claw run` at half of saturation for minutes, RSS/WAL/p99/stuck runs over time.
    Soak(soak::Args),
    /// A run whose `for_each` step has 500 items (Looping by Zapier's cap): accept to finish.
    Loop(looping::Args),
    /// Shadow diff rate: runs compared per second on 1,000,000 synthetic run pairs.
    Shadow(shadow::Args),
    /// Formatter functions: ns per call in the expression engine vs a trivial expression.
    Formatter(formatter::Args),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().bench {
        Bench::Zapier(a) => zapier::run(a),
        Bench::Runtime(a) => runtime::run(a),
        Bench::Sheet(a) => sheet::run(a),
        Bench::Shadow(a) => shadow::run(a),
        Bench::Crontab(a) => crontab::run(a),
        Bench::Soak(a) => soak::run(a),
        Bench::Loop(a) => looping::run(a),
        Bench::Formatter(a) => formatter::run(a),
    }
}
