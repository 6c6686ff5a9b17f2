//! `claw import zapier|crontab|sheet`: the import subcommands, one module each.

mod common;
mod crontab;
mod sheet;
mod zapier;

use std::process::ExitCode;

/// Import legacy automation as .claw systems (one per Zap, crontab file or worksheet).
///
/// Generated systems that differ from the accepted NAME.claw in the output folder are written as
/// NAME.claw.new for `claw review`; nothing is written when the input has an error.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    kind: Kind,
}

#[derive(clap::Subcommand)]
enum Kind {
    /// A Zapier account export (.zip), a Zapfile.json / exported-zap JSON, a folder of them, or `-`.
    Zapier(zapier::Args),
    /// A user crontab, /etc/crontab or cron.d file, cron.daily-style folder, anacrontab, a folder, or `-`.
    Crontab(crontab::Args),
    /// A spreadsheet (.xlsx, .xls, .ods, .csv, .tsv) holding a runbook register or decision table.
    Sheet(sheet::Args),
}

/// Runs the command.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    match a.kind {
        Kind::Zapier(x) => zapier::run(x),
        Kind::Crontab(x) => crontab::run(x),
        Kind::Sheet(x) => sheet::run(x),
    }
}
