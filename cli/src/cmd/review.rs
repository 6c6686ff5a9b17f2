//! `claw review`: golden-file review of pending generated systems (`*.claw.new`).

use crate::output::{Format, exit};
use claw_importers::review::{self, Pending};
use claw_language::codes::IO;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Review pending generated systems: each NAME.claw.new is shown as a unified diff against the
/// accepted NAME.claw (coloured on a terminal), with that system's findings when a report is
/// given, and you answer accept (a), reject (r), skip (s) or quit (q). Answers are read from
/// standard input line by line, so the review can be scripted.
///
/// Exit codes: 0 done; 1 with --check when anything is pending; 2 unreadable folder.
#[derive(clap::Args)]
pub struct Args {
    /// Folder holding generated systems (searched recursively).
    #[arg(default_value = "systems")]
    dir: PathBuf,
    /// Accept every pending file without asking.
    #[arg(long, conflicts_with_all = ["reject", "check"])]
    accept: bool,
    /// Reject (delete) every pending file without asking.
    #[arg(long, conflicts_with = "check")]
    reject: bool,
    /// List pending files and exit 1 if there are any (for CI); changes nothing.
    #[arg(long)]
    check: bool,
    /// Findings report written by `claw import … --report FILE`, shown beside each diff.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Output format of the summary (diffs and prompts go to stderr with json).
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

struct Outcome {
    path: String,
    action: &'static str,
}

fn to_json(outcomes: &[Outcome]) -> serde_json::Value {
    outcomes
        .iter()
        .map(|o| serde_json::json!({"path": o.path, "action": o.action}))
        .collect()
}

/// Runs the command: `--check`, `--accept`/`--reject`, or the interactive review.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let pending = match review::pending(&a.dir) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error[{IO}]: {}: {e}", a.dir.display());
            return Ok(exit::usage());
        }
    };
    let report = match &a.report {
        Some(r) => match std::fs::read_to_string(r)
            .map_err(anyhow::Error::from)
            .and_then(|t| Ok(serde_json::from_str::<serde_json::Value>(&t)?))
        {
            Ok(v) => Some(v),
            Err(e) => {
                eprintln!("error[{IO}]: report {}: {e}", r.display());
                return Ok(exit::usage());
            }
        },
        None => None,
    };
    if a.check {
        let outcomes: Vec<Outcome> = pending
            .iter()
            .map(|p| Outcome {
                path: p.pending.display().to_string(),
                action: "pending",
            })
            .collect();
        summary(&a, &outcomes, &pending)?;
        return Ok(if pending.is_empty() {
            exit::ok()
        } else {
            exit::findings()
        });
    }
    if a.accept || a.reject {
        return decide_all(&a, &pending);
    }
    interactive(&a, &pending, report.as_ref())
}

/// `--accept` or `--reject`: the same answer for every pending file.
fn decide_all(a: &Args, pending: &[Pending]) -> anyhow::Result<ExitCode> {
    let mut outcomes = Vec::new();
    for p in pending {
        let (res, action) = if a.accept {
            (review::accept(p), "accepted")
        } else {
            (review::reject(p), "rejected")
        };
        if let Err(e) = res {
            eprintln!("error[{IO}]: {}: {e}", p.pending.display());
            return Ok(exit::usage());
        }
        outcomes.push(Outcome {
            path: p.accepted.display().to_string(),
            action,
        });
    }
    summary(a, &outcomes, pending)?;
    Ok(exit::ok())
}

/// What one answer at the prompt asks for.
enum Answer {
    /// Accept, reject or skip this file (the action's past tense, as printed).
    Decide(&'static str),
    /// Stop reviewing; the remaining files stay pending.
    Quit,
    /// Not an answer: ask again.
    Unclear,
}

fn read_answer(line: &str) -> Answer {
    match line.trim().to_ascii_lowercase().as_str() {
        "a" | "accept" | "y" | "yes" => Answer::Decide("accepted"),
        "r" | "reject" | "n" | "no" => Answer::Decide("rejected"),
        "s" | "skip" | "" => Answer::Decide("skipped"),
        "q" | "quit" => Answer::Quit,
        _ => Answer::Unclear,
    }
}

/// The interactive review: a diff per pending file, then a prompt read from standard input.
fn interactive(
    a: &Args,
    pending: &[Pending],
    report: Option<&serde_json::Value>,
) -> anyhow::Result<ExitCode> {
    // With JSON output, everything for people goes to stderr.
    let to_stdout = a.format == Format::Text;
    let color = if to_stdout {
        std::io::stdout().is_terminal()
    } else {
        std::io::stderr().is_terminal()
    } && std::env::var_os("NO_COLOR").is_none();
    let mut out: Box<dyn Write> = if to_stdout {
        Box::new(std::io::stdout())
    } else {
        Box::new(std::io::stderr())
    };
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let total = pending.len();
    let mut outcomes = Vec::new();
    'files: for (k, p) in pending.iter().enumerate() {
        let diff = match review::diff(p) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("error[{IO}]: {}: {e}", p.pending.display());
                return Ok(exit::usage());
            }
        };
        writeln!(
            out,
            "[{}/{total}] {}{}",
            k + 1,
            p.accepted.display(),
            if p.accepted.exists() { "" } else { " (new)" }
        )?;
        write!(out, "{}", paint(&diff, color))?;
        if let Some(r) = report {
            write!(out, "{}", findings_for(r, &p.accepted))?;
        }
        let action = loop {
            write!(out, "accept [a], reject [r], skip [s], quit [q]? ")?;
            out.flush()?;
            let line = match lines.next() {
                Some(Ok(l)) => l,
                Some(Err(e)) => return Err(e.into()),
                None => {
                    writeln!(out)?;
                    break 'files;
                }
            };
            match read_answer(&line) {
                Answer::Decide(action) => break action,
                Answer::Quit => break 'files,
                Answer::Unclear => writeln!(out, "please answer a, r, s or q")?,
            }
        };
        let res = match action {
            "accepted" => review::accept(p),
            "rejected" => review::reject(p),
            _ => Ok(()),
        };
        if let Err(e) = res {
            eprintln!("error[{IO}]: {}: {e}", p.pending.display());
            return Ok(exit::usage());
        }
        writeln!(out, "{action}")?;
        outcomes.push(Outcome {
            path: p.accepted.display().to_string(),
            action,
        });
    }
    let left = review::pending(&a.dir).map(|p| p.len()).unwrap_or(0);
    match a.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"reviewed": to_json(&outcomes), "still_pending": left})
            )?
        ),
        Format::Text => {
            let count = |what: &str| outcomes.iter().filter(|o| o.action == what).count();
            println!(
                "{} accepted, {} rejected, {} skipped; {left} still pending",
                count("accepted"),
                count("rejected"),
                count("skipped")
            );
        }
    }
    Ok(exit::ok())
}

fn summary(a: &Args, outcomes: &[Outcome], pending: &[Pending]) -> anyhow::Result<()> {
    match a.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "pending": pending.len(), "files": to_json(outcomes) })
            )?
        ),
        Format::Text => {
            for o in outcomes {
                println!("{}: {}", o.path, o.action);
            }
            if a.check {
                println!(
                    "{} pending file(s){}",
                    pending.len(),
                    if pending.is_empty() {
                        ""
                    } else {
                        " (run `claw review` to accept or reject them)"
                    }
                );
            }
        }
    }
    Ok(())
}

/// Colours a unified diff: additions green, removals red, hunk headers cyan.
fn paint(diff: &str, color: bool) -> String {
    if !color {
        return diff.to_string();
    }
    let mut out = String::with_capacity(diff.len() + 64);
    for line in diff.split_inclusive('\n') {
        let code = if line.starts_with("+++") || line.starts_with("---") {
            "\x1b[1m"
        } else if line.starts_with('+') {
            "\x1b[32m"
        } else if line.starts_with('-') {
            "\x1b[31m"
        } else if line.starts_with("@@") {
            "\x1b[36m"
        } else {
            ""
        };
        if code.is_empty() {
            out.push_str(line);
        } else {
            let (body, nl) = line
                .strip_suffix('\n')
                .map(|b| (b, "\n"))
                .unwrap_or((line, ""));
            out.push_str(&format!("{code}{body}\x1b[0m{nl}"));
        }
    }
    out
}

/// The report's findings for the system stored at `accepted` (matched by system name = file stem).
fn findings_for(report: &serde_json::Value, accepted: &Path) -> String {
    let name = accepted
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".claw"))
        .unwrap_or("");
    let list = report
        .get("findings")
        .and_then(|f| f.as_array())
        .cloned()
        .unwrap_or_default();
    let mine: Vec<&serde_json::Value> = list
        .iter()
        .filter(|f| f.get("system").and_then(|s| s.as_str()) == Some(name))
        .collect();
    if mine.is_empty() {
        return String::new();
    }
    let mut s = format!("findings for {name}:\n");
    for f in mine {
        let level = f.get("level").and_then(|x| x.as_str()).unwrap_or("");
        let code = f.get("code").and_then(|x| x.as_str()).unwrap_or("");
        let msg = f.get("message").and_then(|x| x.as_str()).unwrap_or("");
        s.push_str(&format!("  {level}[{code}]: {msg}\n"));
    }
    s
}
