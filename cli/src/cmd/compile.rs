//! `claw compile`: checked systems' observability layer as Prometheus rules (with promtool
//! unit tests) or an Alertmanager config, written into a folder (claw-compile does the work).

use crate::output::{Format, color_stderr, exit};
use claw_compile::{Options, Target};
use claw_language::{Diagnostic, codes, diag};
use std::path::PathBuf;
use std::process::ExitCode;

/// What `claw compile` writes.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum CompileTarget {
    /// `<system>.rules.yml` (recording rules, burn-rate and objective alerts, the file's
    /// alerts) and `<system>.rules.test.yml` (`promtool test rules`) per system.
    Prometheus,
    /// `alertmanager.yml`: a route per alert route URI and its receiver.
    Alertmanager,
}

/// The arguments of `claw compile` (its help text is on the subcommand, in main.rs).
#[derive(clap::Args)]
pub struct Args {
    /// .claw files or folders (searched recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// What to generate.
    #[arg(long, value_enum)]
    target: CompileTarget,
    /// Output folder (created if missing).
    #[arg(short, long)]
    output: PathBuf,
    /// Folder Alertmanager reads secret files from (`slack_webhook_<channel>`,
    /// `pagerduty_routing_key_<service>`).
    #[arg(long, default_value = "/etc/alertmanager/secrets")]
    secrets_dir: String,
    /// Output format of the list of files written.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// One input file: its path, its text and what checking it found.
type CheckedFile = (PathBuf, String, claw_language::Checked);

/// Checks every file; when one cannot be read or does not check, says why (located) and gives
/// the exit code instead: nothing is compiled from a partly valid set.
fn check_all(files: &[PathBuf]) -> Result<Vec<CheckedFile>, ExitCode> {
    let mut checked = Vec::new();
    let mut invalid = false;
    for f in files {
        let (text, c) = claw_language::check_file(f).map_err(|e| {
            eprintln!("error[{}]: cannot read {}: {e}", codes::IO.id, f.display());
            exit::usage()
        })?;
        if !c.is_valid() {
            let errors: Vec<Diagnostic> = c
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .cloned()
                .collect();
            eprint!("{}", diag::render(&errors, &text, color_stderr()));
            eprintln!("{}: does not check; nothing written", f.display());
            invalid = true;
        }
        checked.push((f.clone(), text, c));
    }
    let mut names: Vec<&str> = checked
        .iter()
        .filter_map(|(_, _, c)| c.system.as_ref().map(|s| s.system.as_str()))
        .collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        eprintln!(
            "error[{}]: two files define system `{}`; their rules would overwrite each other",
            codes::IO.id,
            w[0]
        );
        invalid = true;
    }
    if invalid {
        return Err(exit::findings());
    }
    Ok(checked)
}

/// Prints each finding located in the file that defines its system, as `claw check` prints
/// its warnings.
fn print_findings(checked: &[CheckedFile], findings: &[claw_compile::Finding]) {
    for f in findings {
        let Some((path, text, c)) = checked
            .iter()
            .find(|(_, _, c)| c.system.as_ref().is_some_and(|s| s.system == f.system))
        else {
            continue;
        };
        let mut d = Diagnostic::warning(f.diagnostic_code(), f.message.clone())
            .at(c.map.value(&f.path))
            .at_path(f.path.clone());
        d.file = Some(path.display().to_string());
        eprint!("{}", diag::render(&[d], text, color_stderr()));
    }
}

/// Runs the command.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let files = match super::claw_files(&a.paths) {
        Ok(f) if !f.is_empty() => f,
        Ok(_) => {
            eprintln!("error[{}]: no .claw files found", codes::IO.id);
            return Ok(exit::usage());
        }
        Err(code) => return Ok(code),
    };
    let checked = match check_all(&files) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let systems: Vec<&claw_language::System> = checked
        .iter()
        .filter_map(|(_, _, c)| c.valid_system())
        .collect();
    let target = match a.target {
        CompileTarget::Prometheus => Target::Prometheus,
        CompileTarget::Alertmanager => Target::Alertmanager,
    };
    let options = Options {
        secrets_dir: a.secrets_dir,
    };
    let out = claw_compile::compile(&systems, target, &options);
    print_findings(&checked, &out.findings);
    let written = claw_compile::write_all(&a.output, &out.files)?;
    match a.format {
        Format::Text => {
            for p in &written {
                println!("{}", p.display());
            }
        }
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "files": written.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
                "findings": out.findings,
            }))?
        ),
    }
    Ok(if out.findings.is_empty() {
        exit::ok()
    } else {
        exit::findings()
    })
}
