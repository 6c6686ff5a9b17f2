//! `claw fmt`: .claw files rewritten in canonical form, or `--check`ed against it.

use crate::output::{color_stderr, exit};
use claw_language::codes;
use claw_language::diag;
use std::path::PathBuf;
use std::process::ExitCode;

/// Rewrite .claw files in canonical form (stable key order and quoting).
///
/// The YAML library does not keep comments, so a file with comments is left alone unless
/// `--strip-comments` says losing them is fine: fmt never drops what you wrote silently.
#[derive(clap::Args)]
#[command(
    after_help = "Canonical form: the five layers in fixed order, keys in a fixed order per item, one\nquoting rule (plain when YAML reads the text back unchanged, else double quotes or a literal\nblock). The YAML library does not keep comments, so files with comments are refused unless\n--strip-comments is given. Files are replaced atomically (temporary file + rename).\n\nExit codes: 0 nothing to change (or all rewritten), 1 a file would change (--check),\nhas comments, or does not parse; 2 unreadable input."
)]
pub struct Args {
    /// Files or folders (searched recursively for *.claw).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Change nothing; exit 1 when a file is not in canonical form.
    #[arg(long)]
    check: bool,
    /// Allow rewriting files that contain comments (the comments are lost).
    #[arg(long)]
    strip_comments: bool,
}

/// Whether YAML text has a comment (a `#` starting a line or after a blank, outside quotes).
fn has_comment(text: &str) -> bool {
    text.lines().any(|l| {
        let mut in_single = false;
        let mut in_double = false;
        let mut prev = ' ';
        for c in l.chars() {
            match c {
                '\'' if !in_double => in_single = !in_single,
                '"' if !in_single && prev != '\\' => in_double = !in_double,
                '#' if !in_single && !in_double && (prev == ' ' || prev == '\t') => return true,
                _ => {}
            }
            prev = c;
        }
        l.trim_start().starts_with('#')
    })
}

/// Runs the command.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let files = match super::claw_files(&a.paths) {
        Ok(f) => f,
        Err(code) => return Ok(code),
    };
    let mut code = exit::ok();
    let mut changed = 0;
    for f in &files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error[{}]: cannot read {}: {e}", codes::IO.id, f.display());
                code = exit::usage();
                continue;
            }
        };
        let parsed = claw_language::parse::parse(&text);
        let Some(sys) = parsed
            .system
            .filter(|_| !parsed.diagnostics.iter().any(|d| d.is_error()))
        else {
            let mut d = parsed.diagnostics;
            for x in &mut d {
                x.file = Some(f.display().to_string());
            }
            eprint!("{}", diag::render(&d, &text, color_stderr()));
            eprintln!("{}: not formatted (fix the errors first)", f.display());
            code = exit::findings();
            continue;
        };
        let canonical = claw_language::write::to_claw(&sys);
        if canonical == text {
            continue;
        }
        changed += 1;
        if a.check {
            eprintln!(
                "{}: not in canonical form (run `claw fmt {}`)",
                f.display(),
                f.display()
            );
            code = exit::findings();
            continue;
        }
        if has_comment(&text) && !a.strip_comments {
            eprintln!(
                "error[{}]: {} has comments, which canonical form cannot keep; left unchanged (pass --strip-comments to rewrite anyway)",
                codes::FMT_COMMENTS.id,
                f.display()
            );
            code = exit::findings();
            continue;
        }
        claw_language::files::write_atomic(f, canonical.as_bytes())?;
        eprintln!("formatted {}", f.display());
    }
    if a.check && changed == 0 {
        eprintln!("{} file(s) already canonical", files.len());
    }
    Ok(code)
}
