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
    eprintln!("error[{}]: {e}", claw_importers::codes::OUTPUT);
    exit::usage()
}

/// Writes the report file and prints the summary of systems already written.
pub fn report(
    out: &OutputArgs,
    written: &[Written],
    findings: &[Finding],
) -> anyhow::Result<ExitCode> {
    let mut spool = Spool::new(out)?;
    spool.add(findings)?;
    spool.report(out, written)
}

/// An import's findings, kept on disk while it streams (a large Zapier export has ~20 per Zap,
/// ~10 KB: gigabytes if held), in the forms the report needs: one compact JSON line per finding,
/// and the text report when that is the format asked for.
pub struct Spool {
    json: Option<std::io::BufWriter<std::fs::File>>,
    json_file: Option<std::fs::File>,
    text: Option<std::io::BufWriter<std::fs::File>>,
    text_file: Option<std::fs::File>,
    /// The system of the last finding in the text report (its group header is written).
    last: Option<Option<String>>,
    count: usize,
    warnings: usize,
}

impl Spool {
    /// An empty spool for the report `out` asks for.
    pub fn new(out: &OutputArgs) -> anyhow::Result<Spool> {
        let pair = || -> anyhow::Result<_> {
            let f = tempfile::tempfile()?;
            Ok((std::io::BufWriter::new(f.try_clone()?), f))
        };
        let (json, json_file) = if out.report.is_some() || matches!(out.format, Format::Json) {
            let (w, f) = pair()?;
            (Some(w), Some(f))
        } else {
            (None, None)
        };
        let (text, text_file) = if matches!(out.format, Format::Text) {
            let (w, f) = pair()?;
            (Some(w), Some(f))
        } else {
            (None, None)
        };
        Ok(Spool {
            json,
            json_file,
            text,
            text_file,
            last: None,
            count: 0,
            warnings: 0,
        })
    }

    /// Adds findings, in report order.
    pub fn add(&mut self, findings: &[Finding]) -> anyhow::Result<()> {
        use std::io::Write;
        self.count += findings.len();
        self.warnings += findings
            .iter()
            .filter(|f| f.level == Level::Warning)
            .count();
        if let Some(w) = &mut self.json {
            for f in findings {
                serde_json::to_writer(&mut *w, f)?;
                w.write_all(b"\n")?;
            }
        }
        if let (Some(w), Some(first)) = (&mut self.text, findings.first()) {
            let mut t = report_text(findings);
            // `report_text` opens with its first group's header; a group continued from the
            // previous batch already has one.
            if self.last.as_ref() == Some(&first.system) {
                let header = format!("\n{}\n", first.system.as_deref().unwrap_or("(input)"));
                if let Some(rest) = t.strip_prefix(&header) {
                    t = rest.to_string();
                }
            }
            w.write_all(t.as_bytes())?;
            self.last = findings.last().map(|f| f.system.clone());
        }
        Ok(())
    }

    /// Writes the JSON report `{"systems": [...], "findings": [...]}` exactly as
    /// `serde_json::to_string_pretty` would lay it out, reading the findings back from disk.
    fn write_json(
        &mut self,
        systems: &serde_json::Value,
        w: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        use std::io::{BufRead, Seek, Write};
        let head = serde_json::to_string_pretty(&serde_json::json!({ "systems": systems }))?;
        w.write_all(head.trim_end_matches('}').trim_end().as_bytes())?;
        w.write_all(b",\n  \"findings\": ")?;
        let (Some(spool), Some(file)) = (&mut self.json, &mut self.json_file) else {
            return w.write_all(b"[]\n}");
        };
        spool.flush()?;
        file.rewind()?;
        if self.count == 0 {
            return w.write_all(b"[]\n}");
        }
        w.write_all(b"[\n")?;
        for (i, line) in std::io::BufReader::new(&*file).lines().enumerate() {
            let v: serde_json::Value = serde_json::from_str(&line?)?;
            if i > 0 {
                w.write_all(b",\n")?;
            }
            let pretty = serde_json::to_string_pretty(&v)?;
            for (k, l) in pretty.lines().enumerate() {
                if k > 0 {
                    w.write_all(b"\n")?;
                }
                w.write_all(b"    ")?;
                w.write_all(l.as_bytes())?;
            }
        }
        w.write_all(b"\n  ]\n}")
    }

    /// Writes the report file, prints the summary, and gives the exit code.
    pub fn report(mut self, out: &OutputArgs, written: &[Written]) -> anyhow::Result<ExitCode> {
        use std::io::{Seek, Write};
        let systems = serde_json::Value::Array(
            written
                .iter()
                .map(|w| {
                    serde_json::json!({
                        "path": w.path.display().to_string(),
                        "outcome": w.outcome,
                    })
                })
                .collect(),
        );
        if let Some(r) = &out.report {
            claw_language::files::write_atomic_with(r, &mut |w| self.write_json(&systems, w))?;
        }
        let stdout = std::io::stdout();
        let mut o = std::io::BufWriter::new(stdout.lock());
        match out.format {
            Format::Json => {
                self.write_json(&systems, &mut o)?;
                writeln!(o)?;
            }
            Format::Text => {
                if let (Some(spool), Some(file)) = (&mut self.text, &mut self.text_file) {
                    spool.flush()?;
                    file.rewind()?;
                    std::io::copy(file, &mut o)?;
                }
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
                    self.count,
                    self.warnings
                )?;
            }
        }
        o.flush()?;
        Ok(if out.deny_findings && self.warnings > 0 {
            exit::findings()
        } else {
            exit::ok()
        })
    }
}
