//! One cron command turned into a `Job`: split at `%` as cron does, credentials redacted,
//! guards peeled off, its body (a command or run-parts of a folder), name and description.

use super::mail::mail_of;
use super::redact;
use super::{Body, Ctx, DEBIAN_DEFAULT_PATH, Job, When};
use crate::crontab::codes;
use crate::crontab::shell;
use crate::crontab::sources::RunPartsPeriod;
use crate::findings::{Finding, Origin};
use indexmap::IndexMap;
use serde_json::Value;

/// One job from a cron command line `raw` and its environment `env_in`: the command split at
/// `%` as cron does, credentials replaced by `secret://` references, guards peeled off, the
/// body (a command or run-parts of a folder) named, and findings for each of these. `what`
/// labels the job (`line 3`, `job cron.daily`) in its description.
#[allow(clippy::too_many_arguments)]
pub(super) fn make_job(
    ctx: &mut Ctx<'_>,
    fi: usize,
    o: Origin,
    when: When,
    user: Option<String>,
    env_in: IndexMap<String, String>,
    raw: &str,
    what: &str,
) -> Job {
    let cmd = shell::split_percent(raw);
    percent_findings(ctx, fi, &o, &cmd);
    let mail = mail_of(&env_in);
    let mut env = redact::environment(ctx, fi, &o, &env_in);
    if !env.contains_key("PATH") {
        env.insert("PATH".into(), Value::String(DEBIAN_DEFAULT_PATH.into()));
    }
    let command = redact::command_line(ctx, fi, &o, &cmd.command, &mut env);
    let cmd_has_stdin = cmd.stdin.is_some();
    let stdin = cmd.stdin.map(|s| redact::stdin(ctx, fi, &o, &s));
    let (guards, mut body_text) = shell::peel_guards(&command);
    // Peeling trims blanks, but a trailing `\r` is part of the last word for cron's shell: the
    // command keeps it, as the `cron_cr` finding and docs/importers/crontab.md say.
    if command.ends_with('\r') && !body_text.ends_with('\r') {
        body_text.push('\r');
    }
    let disabled = guard_findings(ctx, fi, &o, &guards);
    let body = job_body(ctx, fi, &o, body_text, stdin);
    let name = match &body {
        Body::RunParts { period, .. } => format!("cron_{}", period.as_str()),
        Body::Command { command, .. } => shell::program_name(command)
            .map(|p| claw_language::units::slug(&p))
            .unwrap_or_else(|| claw_language::units::slug(what)),
    };
    if let Some(shell_path) = env_in.get("SHELL").filter(|s| s.as_str() != "/bin/sh") {
        ctx.add(fi, Finding::info(codes::CRON_SHELL.id, format!("SHELL={shell_path}: cron ran the command with it; the command is wrapped in `{shell_path} -c` because shell.run uses sh"), o.clone()));
    }
    // Built from the redacted command: the raw line may hold a credential.
    let description = job_description(what, &command, cmd_has_stdin);
    Job {
        file: fi,
        origin: o,
        name,
        when,
        user,
        env,
        mail,
        guards,
        body,
        disabled,
        legacy: IndexMap::new(),
        description,
    }
}

/// The findings about how cron split the command at `%` and read its bytes: a collapsed
/// `\\`, a `%` inside quotes or a substitution, a trailing carriage return.
fn percent_findings(ctx: &mut Ctx<'_>, fi: usize, o: &Origin, cmd: &shell::CronCommand) {
    if cmd.collapsed_backslash {
        ctx.add(fi, Finding::info(codes::CRON_BACKSLASH.id, "`\\\\` in the command: Debian's cron turns it into `\\` before the shell sees it, cronie keeps both; imported as Debian runs it".to_string(), o.clone()));
    }
    if let Some((at, inside)) = cmd.split_inside {
        let col = o.column.map(|c| c + at);
        let line = o.line.map_or(String::new(), |l| format!("line {l} "));
        let col_text = col.map_or(String::new(), |c| format!("column {c}"));
        let ran = cmd.command.trim_end();
        ctx.add(fi, Finding::warning(codes::CRON_PERCENT_SPLIT.id, format!("the `%` at {line}{col_text} is inside {inside}: cron cuts the command there, so it ran `{ran}` (with {inside} left open) and fed the rest to its stdin; imported as cron runs it"), Origin { column: col, ..o.clone() }).with_help("write `\\%` for a literal `%` in a crontab command"));
    }
    if cmd.command.ends_with('\r') {
        ctx.add(fi, Finding::warning(codes::CRON_CR.id, "the line ends with a carriage return (CRLF file): cron keeps it, so the shell sees `…\\r` as part of the last word; imported unchanged (the command ends with `\\r`)".to_string(), o.clone()).with_help("convert the file to LF line endings"));
    }
}

/// The findings about the command's guards (`test -x … &&`); returns whether the job is
/// imported disabled (a systemd timer's fallback).
fn guard_findings(ctx: &mut Ctx<'_>, fi: usize, o: &Origin, guards: &[shell::Guard]) -> bool {
    let mut disabled = false;
    for g in guards {
        if g.is_systemd_fallback() {
            disabled = true;
            ctx.add(fi, Finding::warning(codes::CRON_SYSTEMD_FALLBACK.id, format!("guarded by `{}`: a fallback for a systemd timer that the same package ships, run only where systemd is not PID 1; imported disabled so a systemd host does not run it twice", g.test), o.clone()).with_help("enable the trigger only on hosts without systemd"));
        }
    }
    if !guards.is_empty() {
        let tests: Vec<String> = guards
            .iter()
            .map(|g| {
                format!(
                    "`{}` ({})",
                    g.test,
                    if g.runs_when {
                        "runs when it succeeds"
                    } else {
                        "runs when it fails"
                    }
                )
            })
            .collect();
        ctx.add(fi, Finding::info(codes::CRON_GUARD.id, format!("guard {} became a check step and a decision: the command runs only when cron's shell would have run it", tests.join(", ")), o.clone()));
    }
    disabled
}

/// What the job runs: run-parts of a cron directory, or the command (with its stdin).
fn job_body(
    ctx: &mut Ctx<'_>,
    fi: usize,
    o: &Origin,
    body_text: String,
    stdin: Option<String>,
) -> Body {
    match run_parts_target(&body_text) {
        Some(period) => {
            ctx.add(fi, Finding::info(codes::CRON_RUN_PARTS.id, format!("runs every script in {} (run-parts, one after another in name order; a failing script does not stop the others)", period.dir()), o.clone()));
            Body::RunParts {
                period,
                original: body_text,
            }
        }
        None => Body::Command {
            command: body_text,
            stdin,
        },
    }
}

/// The job's description: `what`, then the (redacted) command, cut at 200 bytes.
fn job_description(what: &str, command: &str, has_stdin: bool) -> String {
    let description = format!(
        "{what}: {}{}",
        command.trim_end(),
        if has_stdin {
            " (with stdin after `%`)"
        } else {
            ""
        }
    );
    if description.len() > 200 {
        format!("{}…", &description[..floor_char(&description, 200)])
    } else {
        description
    }
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `run-parts [options] /etc/cron.X` (possibly after `cd / &&`, inside `{ …; }` or `( … )`).
fn run_parts_target(body: &str) -> Option<RunPartsPeriod> {
    let idx = body.find("run-parts")?;
    let after = &body[idx..];
    let dir = after
        .split_whitespace()
        .find(|w| w.starts_with("/etc/cron."))?;
    let dir = dir.trim_end_matches([';', '}', ')', '"', '\'']);
    RunPartsPeriod::from_dir_name(dir.strip_prefix("/etc/")?)
}
