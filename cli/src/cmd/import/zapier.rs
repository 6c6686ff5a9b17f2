//! `claw import zapier`: Zapier exports → one `.claw` system per Zap.

use super::common::{OutputArgs, print_report, spool_for};
use crate::output::exit;
use claw_importers::output::{OutputError, Writer};
use claw_importers::zapier::ZapierError;
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

/// Why a streamed import stopped: the input, the output, or keeping the findings.
enum Stop {
    /// Boxed: the error is large and the callback returns this on every Zap.
    Input(Box<ZapierError>),
    Output(OutputError),
    /// The findings could not be kept (temporary file trouble).
    Spool(anyhow::Error),
}

impl From<ZapierError> for Stop {
    fn from(e: ZapierError) -> Stop {
        Stop::Input(Box::new(e))
    }
}

/// Runs the command: each Zap is mapped, checked and staged as it is read, so memory stays
/// bounded at any export size; the staged files are moved into place only when all succeeded.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let input = match claw_importers::zapier::open(&a.input) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            return Ok(exit::usage());
        }
    };
    let mut spool = spool_for(&a.output)?;
    spool.add(&input.findings)?;
    let spin = crate::progress::spinner("importing Zaps");
    let mut writer = Writer::new(&a.output.out, a.output.accept);
    let result = input.each(&mut |g, f| {
        writer.add(&g).map_err(Stop::Output)?;
        spool.add(&f).map_err(|e| Stop::Spool(e.into()))?;
        spin.inc(1);
        Ok::<(), Stop>(())
    });
    spin.finish_and_clear();
    match result {
        Ok(()) => {}
        Err(Stop::Input(e)) => {
            eprintln!("error[{}]: {e}", e.code());
            return Ok(exit::usage());
        }
        Err(Stop::Output(e)) => return Ok(super::common::output_failed(&e)),
        Err(Stop::Spool(e)) => return Err(e),
    }
    match writer.commit() {
        Ok(written) => print_report(spool, &a.output, &written),
        Err(e) => Ok(super::common::output_failed(&e)),
    }
}
