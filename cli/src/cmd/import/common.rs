//! What every importer shares: output folder, report, accept, format, exit code.

use crate::output::{Format, exit};
use claw_importers::findings::{Finding, Level, report_text};
use claw_importers::output::{Generated, Outcome, OutputError, Written, write_all_with_progress};
use std::path::PathBuf;
use std::process::ExitCode;

/// Output options shared by every importer.
#[derive(clap::Args, Debug, Clone)]
pub struct OutputArgs {
    /// Folder receiving one NAME.claw per system (pending changes as NAME.claw.new).
    #[arg(short = 'o', long = "out", default_value = "systems")]
    pub out: PathBuf,
    /// Also write the findings as JSON to this file.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Write accepted NAME.claw files directly instead of NAME.claw.new.
    #[arg(long)]
    pub accept: bool,
    /// Format of the findings report on stdout.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Exit 1 when any warning-level finding is reported (for CI).
    #[arg(long)]
    pub deny_findings: bool,
}

/// Writes systems and the report; prints the summary. An import error must be handled
/// by the caller before this point, so that nothing is written.
pub fn finish(
    out: &OutputArgs,
    generated: &[Generated],
    findings: &[Finding],
) -> anyhow::Result<ExitCode> {
    let bar = crate::progress::bar(generated.len() as u64, "checking generated systems");
    let result = write_all_with_progress(&out.out, generated, out.accept, &mut || bar.inc(1));
    bar.finish_and_clear();
    match result {
        Ok(written) => report(out, &written, findings),
        Err(e) => Ok(output_failed(&e)),
    }
}

/// Says why the output could not be written (nothing was) and gives the exit code.
pub fn output_failed(e: &OutputError) -> ExitCode {
    eprintln!("error[claw::import::output]: {e}");
    exit::usage()
}

/// Writes the report file and prints the summary of systems already written.
pub fn report(
    out: &OutputArgs,
    written: &[Written],
    findings: &[Finding],
) -> anyhow::Result<ExitCode> {
    let json = serde_json::json!({
        "systems": written.iter().map(|w| serde_json::json!({
            "path": w.path.display().to_string(),
            "outcome": w.outcome,
        })).collect::<Vec<_>>(),
        "findings": findings,
    });
    if let Some(r) = &out.report {
        claw_language::files::write_atomic(r, serde_json::to_string_pretty(&json)?.as_bytes())?;
    }
    match out.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&json)?),
        Format::Text => {
            print!("{}", report_text(findings));
            println!();
            for w in written {
                let what = match w.outcome {
                    Outcome::Unchanged => "unchanged",
                    Outcome::Pending => "pending review (run `claw review`)",
                    Outcome::Written => "written",
                };
                println!("{}: {what}", w.path.display());
            }
            let warns = findings
                .iter()
                .filter(|f| f.level == Level::Warning)
                .count();
            println!(
                "{} system(s), {} finding(s) ({warns} warning(s))",
                written.len(),
                findings.len()
            );
        }
    }
    let has_warnings = findings.iter().any(|f| f.level == Level::Warning);
    Ok(if out.deny_findings && has_warnings {
        exit::findings()
    } else {
        exit::ok()
    })
}
