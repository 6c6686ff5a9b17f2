//! `claw import sheet`: a runbook register or decision table in a spreadsheet becomes one
//! system per worksheet.

use super::common::{OutputArgs, finish};
use crate::output::exit;
use claw_importers::sheet::{self, Options};
use std::process::ExitCode;

/// Import options.
#[derive(clap::Args)]
pub struct Args {
    /// Spreadsheet: .xlsx, .xls, .ods, .csv or .tsv, or `-` for standard input (format sniffed).
    ///
    /// Each worksheet that looks like a runbook register (one row per automation or step) or a
    /// decision table (condition columns, outcome columns) becomes its own system; see
    /// docs/importers/sheet.md for the accepted headers and schedule phrases.
    pub input: std::path::PathBuf,
    /// Import only this worksheet (by name); it is an error if it follows no known convention.
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Runs the command.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let opts = Options {
        sheet: a.sheet.clone(),
    };
    match crate::progress::while_spinning("reading and mapping the legacy setup", || {
        sheet::import(&a.input, &opts)
    }) {
        Ok(imported) => finish(&a.output, &imported.generated, &imported.findings),
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            Ok(exit::usage())
        }
    }
}
