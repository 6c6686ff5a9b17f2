//! What every importer shares: output folder, report, accept, format, exit code.

use crate::output::{Format, exit};
use claw_importers::findings::Finding;
use claw_importers::output::{Generated, Outcome, OutputError, Written, write_all_with_progress};
use claw_importers::report::FindingsSpool;
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
    eprintln!("error[{}]: {e}", claw_importers::codes::OUTPUT);
    exit::usage()
}

/// Writes the report file and prints the summary of systems already written.
pub fn report(
    out: &OutputArgs,
    written: &[Written],
    findings: &[Finding],
) -> anyhow::Result<ExitCode> {
    let mut spool = spool_for(out)?;
    spool.add(findings)?;
    print_report(spool, out, written)
}

/// Writes the report file (if asked), prints the findings and the written systems, and gives
/// the exit code.
pub fn print_report(
    mut spool: FindingsSpool,
    out: &OutputArgs,
    written: &[Written],
) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    if let Some(r) = &out.report {
        claw_language::files::write_atomic_with(r, &mut |w| spool.write_json(written, w))?;
    }
    let stdout = std::io::stdout();
    let mut o = std::io::BufWriter::new(stdout.lock());
    match out.format {
        Format::Json => {
            spool.write_json(written, &mut o)?;
            writeln!(o)?;
        }
        Format::Text => {
            spool.write_text(&mut o)?;
            writeln!(o)?;
            for w in written {
                let what = match w.outcome {
                    Outcome::Unchanged => "unchanged",
                    Outcome::Pending => "pending review (run `claw review`)",
                    Outcome::Written => "written",
                };
                writeln!(o, "{}: {what}", w.path.display())?;
            }
            writeln!(
                o,
                "{} system(s), {} finding(s) ({} warning(s))",
                written.len(),
                spool.count(),
                spool.warnings()
            )?;
        }
    }
    o.flush()?;
    Ok(if out.deny_findings && spool.warnings() > 0 {
        exit::findings()
    } else {
        exit::ok()
    })
}

/// An empty findings spool for the report `out` asks for.
pub fn spool_for(out: &OutputArgs) -> std::io::Result<FindingsSpool> {
    FindingsSpool::new(
        out.report.is_some() || matches!(out.format, Format::Json),
        matches!(out.format, Format::Text),
    )
}
