//! `claw check`: every .claw file under the given paths parsed, validated and linted;
//! diagnostics printed as text or JSON; the exit code says whether any file is invalid.

use crate::output::{Format, color_stderr, exit};
use claw_language::codes;
use claw_language::diag;
use std::path::PathBuf;
use std::process::ExitCode;

/// Check .claw files and folders of them.
#[derive(clap::Args)]
pub struct Args {
    /// Files or folders (searched recursively for *.claw).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output format of the diagnostics.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// Treat warnings as errors (exit 1 when any lint fires).
    #[arg(long)]
    deny_warnings: bool,
}

/// Runs the command.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let files = match super::claw_files(&a.paths) {
        Ok(f) => f,
        Err(code) => return Ok(code),
    };
    if files.is_empty() {
        eprintln!(
            "error[{}]: no .claw files found in {}",
            codes::IO.id,
            a.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(exit::usage());
    }
    let mut unreadable = false;
    let mut invalid = 0usize;
    let mut warnings = 0usize;
    let mut json_files = Vec::new();
    // Diagnostics go to stderr too, so the bar is only for large batches where it helps.
    let pb = if files.len() > 50 {
        crate::progress::bar(files.len() as u64, "check")
    } else {
        crate::progress::hidden()
    };
    let mut read = Vec::new();
    for f in &files {
        pb.inc(1);
        match claw_language::check_file(f) {
            Ok((text, checked)) => read.push((f, text, checked)),
            Err(e) => {
                eprintln!("error[{}]: cannot read {}: {e}", codes::IO.id, f.display());
                unreadable = true;
            }
        }
    }
    resolve_calls(&mut read);
    for (f, text, checked) in &read {
        let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
        let warns = checked.diagnostics.len() - errors;
        warnings += warns;
        if !checked.is_valid() {
            invalid += 1;
        }
        match a.format {
            Format::Text => {
                let status = if checked.is_valid() { "ok" } else { "invalid" };
                // Printing around a live bar would tear it; suspend draws it again afterwards.
                pb.suspend(|| {
                    eprint!(
                        "{}",
                        diag::render(&checked.diagnostics, text, color_stderr())
                    );
                    eprintln!(
                        "{}: {status} ({errors} error(s), {warns} warning(s))",
                        f.display()
                    );
                });
            }
            Format::Json => json_files.push(serde_json::json!({
                "file": f.display().to_string(),
                "valid": checked.is_valid(),
                "diagnostics": diag::to_json(&checked.diagnostics),
            })),
        }
    }
    pb.finish_and_clear();
    if a.format == Format::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "files": json_files }))?
        );
    } else if files.len() > 1 {
        eprintln!(
            "checked {} file(s): {} invalid, {warnings} warning(s)",
            files.len(),
            invalid
        );
    }
    Ok(if unreadable {
        exit::usage()
    } else if invalid > 0 || (a.deny_warnings && warnings > 0) {
        exit::findings()
    } else {
        exit::ok()
    })
}

/// Adds to each file the findings about its `system.call` steps that need the called system:
/// resolved by name among the files checked together (a called system not among them is not
/// a finding here; `claw run` requires it).
fn resolve_calls(read: &mut [(&PathBuf, String, claw_language::Checked)]) {
    let found = {
        let valid: Vec<(
            usize,
            &claw_language::System,
            &claw_language::parse::SourceMap,
        )> = read
            .iter()
            .enumerate()
            .filter_map(|(i, (_, _, c))| c.valid_system().map(|s| (i, s, &c.map)))
            .collect();
        let pairs: Vec<_> = valid.iter().map(|(_, s, m)| (*s, *m)).collect();
        claw_language::check_calls(&pairs, false)
            .into_iter()
            .map(|(k, d)| (valid[k].0, d))
            .collect::<Vec<_>>()
    };
    for (i, mut d) in found {
        let (f, _, checked) = &mut read[i];
        d.file = Some(f.display().to_string());
        checked.diagnostics.push(d);
    }
}
