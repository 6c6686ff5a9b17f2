//! From parsed cron files to systems: one schedule trigger per job, guards as a check step plus
//! a decision, the command as a `shell.run` step, run-parts folders expanded into their
//! scripts, MAILTO as alert routes, and findings for what cron never had.

use super::anacrontab::{self, AnacronEntry, Period};
use super::lines::{self, Entry, LineError, Syntax};
use super::shell::{self, Guard};
use super::sources::{Kind, RunPartsPeriod, SourceFile, run_parts_name_ok};
use super::{CrontabError, GroupBy, Imported, Options};
use crate::findings::{Finding, Origin};
use crate::output::Generated;
use crate::secrets;
use claw_language::cron::{DayRule, Schedule};
use claw_language::model::{
    Alert, CatchUp, Decision, Execution, Logic, Provenance, Source, System, Trigger,
};
use indexmap::IndexMap;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Debian's default PATH for cron jobs (cronie: `/usr/bin:/bin:/usr/sbin:/sbin`).
const DEBIAN_DEFAULT_PATH: &str = "/usr/bin:/bin";
/// The PATH Debian's stock /etc/crontab sets for run-parts.
const ETC_CRONTAB_PATH: &str = "/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin";
/// Marker printed by a guard check step when the job would run.
const GUARD_PASS: &str = "claw-guard:pass\\n";
/// Collision analysis stops after this many candidate pairs (a finding says so).
const MAX_COLLISION_PAIRS: usize = 2_000_000;

#[derive(Debug, Clone)]
enum When {
    Schedule {
        text: String,
        schedule: Schedule,
        tz: Option<String>,
    },
    Reboot,
    Anacron {
        schedule: String,
        delay_minutes: u32,
        id: String,
    },
    DefaultRunParts(RunPartsPeriod),
}

#[derive(Debug, Clone)]
enum Mail {
    Unset,
    Empty,
    To(Vec<String>),
}

#[derive(Debug, Clone)]
enum Body {
    Command {
        command: String,
        stdin: Option<String>,
    },
    RunParts {
        period: RunPartsPeriod,
        original: String,
    },
}

#[derive(Debug, Clone)]
struct Job {
    file: usize,
    origin: Origin,
    name: String,
    when: When,
    user: Option<String>,
    env: IndexMap<String, Value>,
    mail: Mail,
    guards: Vec<Guard>,
    body: Body,
    disabled: bool,
    legacy: IndexMap<String, String>,
    description: String,
}

#[derive(Debug, Clone)]
struct Script {
    file: usize,
    name: String,
    legacy_path: String,
    systemd_fallback: bool,
}

struct Ctx<'a> {
    files: &'a [SourceFile],
    opts: &'a Options,
    findings: Vec<(usize, Finding)>,
    reported: BTreeSet<(usize, String, String)>,
}

impl Ctx<'_> {
    fn add(&mut self, file: usize, f: Finding) {
        self.findings.push((file, f));
    }
}

fn origin(file: &str, line: Option<usize>, column: Option<usize>) -> Origin {
    Origin {
        file: Some(file.to_string()),
        line,
        column,
        ..Origin::default()
    }
}

pub(super) fn infer(files: Vec<SourceFile>, opts: &Options) -> Result<Imported, CrontabError> {
    let mut ctx = Ctx {
        files: &files,
        opts,
        findings: Vec::new(),
        reported: BTreeSet::new(),
    };
    let mut errors: Vec<LineError> = Vec::new();
    let mut jobs: Vec<Job> = Vec::new();
    let mut folders: BTreeMap<RunPartsPeriod, Vec<Script>> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        match &f.kind {
            Kind::Crontab {
                syntax,
                cron_d,
                owner,
            } => {
                let syntax = match opts.syntax.or(*syntax) {
                    Some(s) => s,
                    None => {
                        let (s, why) = lines::detect_syntax(&f.text);
                        ctx.add(
                            i,
                            Finding::info(
                                "claw::import::cron_syntax_detected",
                                format!(
                                    "read as a {} crontab: {why}",
                                    match s {
                                        Syntax::User => "user",
                                        Syntax::System => "system",
                                    }
                                ),
                                origin(&f.label, None, None),
                            )
                            .with_help("pass --crontab-format user|system to override"),
                        );
                        s
                    }
                };
                if let Some(name) = cron_d
                    && !run_parts_name_ok(name)
                {
                    ctx.add(i, Finding::warning("claw::import::cron_d_name_ignored", format!("/etc/cron.d/{name}: Debian's cron ignores cron.d files whose name has characters other than letters, digits, `_` and `-` (so any name with a dot); cronie reads it. Imported as cronie would run it"), origin(&f.label, None, None)).with_help("rename the file (e.g. drop the dot) if Debian's cron should run it, or delete it if it is a leftover (`.dpkg-old`, `.dpkg-dist`)"));
                }
                let parsed = lines::parse(&f.text, syntax, &f.label);
                if parsed.missing_final_newline {
                    ctx.add(i, Finding::warning("claw::import::cron_no_final_newline", "the file does not end with a newline: Debian's cron ignores the whole file (crontab(1) refuses it) and cronie drops the last line; imported in full".to_string(), origin(&f.label, Some(parsed.lines), None)).with_help("add a newline at the end of the file"));
                }
                errors.extend(parsed.errors.iter().cloned());
                let owner = owner.clone().or_else(|| opts.user.clone());
                crontab_jobs(&mut ctx, i, &parsed.entries, owner.as_deref(), &mut jobs);
            }
            Kind::Anacrontab => {
                let a = anacrontab::parse(&f.text, &f.label);
                errors.extend(a.errors.iter().cloned());
                anacron_jobs(&mut ctx, i, &a.entries, &mut jobs);
            }
            Kind::Script { period, name } => {
                let o = origin(&f.label, None, None);
                let legacy_path = f
                    .legacy_path
                    .clone()
                    .unwrap_or_else(|| format!("{}/{name}", period.dir()));
                if !run_parts_name_ok(name) {
                    ctx.add(i, Finding::warning("claw::import::run_parts_skipped", format!("{legacy_path}: run-parts skips names with characters other than letters, digits, `_` and `-`, so this script never runs; not imported as a step"), o));
                    continue;
                }
                if f.executable == Some(false) {
                    ctx.add(i, Finding::warning("claw::import::run_parts_skipped", format!("{legacy_path} is not executable: run-parts skips it, so it never runs; not imported as a step"), o).with_help("chmod +x it if it should run"));
                    continue;
                }
                folders.entry(*period).or_default().push(Script {
                    file: i,
                    name: name.clone(),
                    legacy_path,
                    systemd_fallback: script_is_systemd_fallback(&f.text),
                });
            }
        }
    }
    if !errors.is_empty() {
        if !opts.skip_bad_lines {
            return Err(CrontabError::BadLines(errors));
        }
        for e in &errors {
            let i = files.iter().position(|f| f.label == e.file).unwrap_or(0);
            ctx.add(i, Finding::warning("claw::import::cron_bad_line", format!("{} ({}): `{}` — skipped as cronie does; Debian's cron would ignore the whole file, so none of its jobs would run there", e.message, e.explanation, e.source_line.trim_end()), origin(&e.file, Some(e.line), Some(e.column))).with_help(format!("fix the line; code {}", e.code)));
        }
    }
    for scripts in folders.values_mut() {
        // run-parts runs in C-locale (byte) order.
        scripts.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    }
    resolve_run_parts(&mut ctx, &mut jobs, &folders);
    if jobs.is_empty() {
        let labels: Vec<&str> = files.iter().map(|f| f.label.as_str()).collect();
        if folders.is_empty()
            && ctx
                .findings
                .iter()
                .all(|(_, f)| f.code != "claw::import::run_parts_skipped")
        {
            // A crontab with only comments and environment lines is valid: an empty system would
            // say nothing, so it is reported instead.
            return Err(CrontabError::Empty(format!(
                "{}: no jobs (only comments, blank and environment lines)",
                labels.join(", ")
            )));
        }
    }
    build(ctx, jobs, &folders)
}

fn script_is_systemd_fallback(text: &str) -> bool {
    let code: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .take(20)
        .collect();
    code.iter().enumerate().any(|(i, l)| {
        l.contains("/run/systemd/system")
            && code[i..(i + 3).min(code.len())]
                .iter()
                .any(|x| x.contains("exit 0"))
    })
}

fn env_snapshot(env: &IndexMap<String, (String, usize)>) -> IndexMap<String, String> {
    env.iter()
        .map(|(k, (v, _))| (k.clone(), v.clone()))
        .collect()
}

fn crontab_jobs(
    ctx: &mut Ctx<'_>,
    fi: usize,
    entries: &[Entry],
    owner: Option<&str>,
    jobs: &mut Vec<Job>,
) {
    let label = ctx.files[fi].label.clone();
    let mut env: IndexMap<String, (String, usize)> = IndexMap::new();
    for e in entries {
        match e {
            Entry::Env(v) => {
                let o = origin(&label, Some(v.line), Some(1));
                if v.debian_rejects {
                    ctx.add(fi, Finding::warning("claw::import::cron_empty_env", format!("`{}=` with nothing after it: cronie sets it empty, but Debian's cron reads the line as a job (\"bad minute\") and ignores the whole file; imported as empty", v.name), o.clone()).with_help(format!("write `{}=\"\"`", v.name)));
                }
                if v.trimmed_inside_quotes {
                    ctx.add(fi, Finding::info("claw::import::cron_quoted_blanks", format!("`{}`: Debian strips the blanks at the end of the quoted value (cronie keeps them); imported as Debian reads it", v.name), o.clone()));
                }
                match v.name.as_str() {
                    "CRON_TZ" => ctx.add(fi, Finding::warning("claw::import::cron_tz", format!("CRON_TZ={}: cronie schedules the following jobs in this zone, Debian's cron ignores CRON_TZ (one daemon zone); imported as the triggers' timezone, as cronie runs them", v.value), o.clone())),
                    "RANDOM_DELAY" => ctx.add(fi, Finding::warning("claw::import::cron_random_delay", format!("RANDOM_DELAY={}: cronie delays each following job by a random 0–{} minutes; Debian's cron ignores it. Not imported as a delay (the environment variable is kept)", v.value, v.value), o.clone())),
                    "MAILTO" | "MAILFROM" if v.value.contains('$') => ctx.add(fi, Finding::info("claw::import::cron_mail_expansion", format!("{}={}: cronie expands `$VAR` here, Debian's cron does not; imported literally", v.name, v.value), o.clone())),
                    _ => {}
                }
                env.insert(v.name.clone(), (v.value.clone(), v.line));
            }
            Entry::Job(j) => {
                let o = origin(&label, Some(j.line), Some(j.command_column));
                let when = if j.schedule.is_reboot() {
                    When::Reboot
                } else {
                    let tz = env.get("CRON_TZ").map(|(v, _)| v.clone()).filter(|v| {
                        let ok = v.parse::<chrono_tz::Tz>().is_ok();
                        if !ok {
                            ctx.add(fi, Finding::warning("claw::import::cron_tz", format!("CRON_TZ={v} is not an IANA time zone; the trigger keeps the runtime's zone"), o.clone()));
                        }
                        ok
                    });
                    When::Schedule {
                        text: j.schedule_text.clone(),
                        schedule: j.schedule.clone(),
                        tz,
                    }
                };
                let user = j.user.clone().or_else(|| owner.map(str::to_string));
                let mut job = make_job(
                    ctx,
                    fi,
                    o,
                    when,
                    user,
                    env_snapshot(&env),
                    &j.command,
                    &format!("line {}", j.line),
                );
                job.legacy.insert("line".into(), j.line.to_string());
                job.legacy
                    .insert("schedule".into(), j.schedule.raw().to_string());
                jobs.push(job);
            }
        }
    }
}

fn anacron_jobs(ctx: &mut Ctx<'_>, fi: usize, entries: &[AnacronEntry], jobs: &mut Vec<Job>) {
    let label = ctx.files[fi].label.clone();
    let mut env: IndexMap<String, String> = IndexMap::new();
    for e in entries {
        match e {
            AnacronEntry::Env(line, k, v) => {
                if matches!(k.as_str(), "START_HOURS_RANGE" | "RANDOM_DELAY") {
                    ctx.add(fi, Finding::warning("claw::import::anacron_cronie_only", format!("{k}={v}: a cronie-anacron setting that Debian's anacron 2.3 does not have; kept as an environment variable only"), origin(&label, Some(*line), Some(1))));
                }
                env.insert(k.clone(), v.clone());
            }
            AnacronEntry::Job(j) => {
                let o = origin(&label, Some(j.line), Some(1));
                let (schedule, words) = match j.period {
                    Period::Days(1) => ("30 7 * * *".to_string(), "every day".to_string()),
                    Period::Days(7) => ("30 7 * * 0".to_string(), "every 7 days".to_string()),
                    Period::Days(n) => (format!("30 7 */{n} * *"), format!("every {n} days")),
                    Period::Monthly => ("30 7 1 * *".to_string(), "once a month".to_string()),
                    Period::Yearly => ("30 7 1 1 *".to_string(), "once a year".to_string()),
                };
                ctx.add(fi, Finding::info("claw::import::anacron_schedule", format!("anacron job `{}` runs {words}, {} minute(s) after anacron starts (anacron.timer: hourly 07:30–23:30, and at boot), whenever it has not run for that long; imported as schedule `{schedule}` with that delay and catch_up: latest. The exact day depends on when it last ran", j.id, j.delay_minutes), o.clone()));
                let when = When::Anacron {
                    schedule,
                    delay_minutes: j.delay_minutes,
                    id: j.id.clone(),
                };
                let user = Some(env.get("LOGNAME").cloned().unwrap_or_else(|| "root".into()));
                let mut job = make_job(
                    ctx,
                    fi,
                    o,
                    when,
                    user,
                    env.clone(),
                    &j.command,
                    &format!("job {}", j.id),
                );
                job.name = claw_language::units::slug(&j.id);
                job.legacy.insert("line".into(), j.line.to_string());
                job.legacy.insert("anacron_id".into(), j.id.clone());
                jobs.push(job);
            }
        }
    }
}

fn mail_of(env: &IndexMap<String, String>) -> Mail {
    match env.get("MAILTO") {
        None => Mail::Unset,
        Some(v) if v.trim().is_empty() => Mail::Empty,
        Some(v) => Mail::To(
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        ),
    }
}

#[allow(clippy::too_many_arguments)]
fn make_job(
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
    if cmd.collapsed_backslash {
        ctx.add(fi, Finding::info("claw::import::cron_backslash", "`\\\\` in the command: Debian's cron turns it into `\\` before the shell sees it, cronie keeps both; imported as Debian runs it".to_string(), o.clone()));
    }
    if cmd.command.ends_with('\r') {
        ctx.add(fi, Finding::warning("claw::import::cron_cr", "the line ends with a carriage return (CRLF file): cron keeps it, so the shell sees `…\\r` as part of the last word; imported unchanged".to_string(), o.clone()).with_help("convert the file to LF line endings"));
    }
    let mail = mail_of(&env_in);
    let mut env: IndexMap<String, Value> = IndexMap::new();
    for (k, v) in &env_in {
        if !v.is_empty() && (secrets::is_secret_name(k) || secrets::looks_like_secret(v)) {
            let r = secrets::reference("crontab", v);
            // One finding per assignment, not per job that inherits it.
            if ctx.reported.insert((fi, k.clone(), r.clone())) {
                ctx.add(fi, Finding::warning("claw::import::cron_secret", format!("environment variable `{k}` holds a credential in the crontab; imported as {r} (provide it to the runtime; the value is not written)"), Origin { line: None, column: None, ..o.clone() }));
            }
            env.insert(k.clone(), Value::String(r));
        } else {
            env.insert(k.clone(), Value::String(shell::escape_template(v)));
        }
    }
    if !env.contains_key("PATH") {
        env.insert("PATH".into(), Value::String(DEBIAN_DEFAULT_PATH.into()));
    }
    // Secrets in the command line become environment variables holding secret:// references.
    let spots = shell::find_secrets(&cmd.command);
    let mut reps = Vec::new();
    for s in &spots {
        let mut var = format!("{}_SECRET", s.hint);
        let mut n = 2;
        while env.contains_key(&var) {
            var = format!("{}_SECRET_{n}", s.hint);
            n += 1;
        }
        let r = secrets::reference("crontab", &s.value);
        ctx.add(fi, Finding::warning("claw::import::cron_secret", format!("a credential is written in the command line; the command now reads it from ${var}, set from {r} (the value is not written)"), o.clone()).with_help("provide the secret to the runtime, and remove it from the crontab"));
        env.insert(var.clone(), Value::String(r));
        reps.push((s.range.clone(), var));
    }
    let command = shell::replace_secrets(&cmd.command, &reps);
    let cmd_has_stdin = cmd.stdin.is_some();
    let stdin = cmd.stdin.map(|s| redact_stdin(ctx, fi, &o, &s));
    let (guards, body_text) = shell::peel_guards(&command);
    let mut disabled = false;
    for g in &guards {
        if g.is_systemd_fallback() {
            disabled = true;
            ctx.add(fi, Finding::warning("claw::import::cron_systemd_fallback", format!("guarded by `{}`: a fallback for a systemd timer that the same package ships, run only where systemd is not PID 1; imported disabled so a systemd host does not run it twice", g.test), o.clone()).with_help("enable the trigger only on hosts without systemd"));
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
        ctx.add(fi, Finding::info("claw::import::cron_guard", format!("guard {} became a check step and a decision: the command runs only when cron's shell would have run it", tests.join(", ")), o.clone()));
    }
    let body = match run_parts_target(&body_text) {
        Some(period) => {
            ctx.add(fi, Finding::info("claw::import::cron_run_parts", format!("runs every script in {} (run-parts, one after another in name order; a failing script does not stop the others)", period.dir()), o.clone()));
            Body::RunParts {
                period,
                original: body_text.clone(),
            }
        }
        None => Body::Command {
            command: body_text.clone(),
            stdin,
        },
    };
    let name = match &body {
        Body::RunParts { period, .. } => format!("cron_{}", period.as_str()),
        Body::Command { command, .. } => shell::program_name(command)
            .map(|p| claw_language::units::slug(&p))
            .unwrap_or_else(|| claw_language::units::slug(what)),
    };
    if let Some(shell_path) = env_in.get("SHELL").filter(|s| s.as_str() != "/bin/sh") {
        ctx.add(fi, Finding::info("claw::import::cron_shell", format!("SHELL={shell_path}: cron ran the command with it; the command is wrapped in `{shell_path} -c` because shell.run uses sh"), o.clone()));
    }
    // Built from the redacted command: the raw line may hold a credential.
    let description = format!(
        "{what}: {}{}",
        command.trim_end(),
        if cmd_has_stdin {
            " (with stdin after `%`)"
        } else {
            ""
        }
    );
    let description = if description.len() > 200 {
        format!("{}…", &description[..floor_char(&description, 200)])
    } else {
        description
    };
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

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn redact_stdin(ctx: &mut Ctx<'_>, fi: usize, o: &Origin, s: &str) -> String {
    let mut out = String::new();
    for piece in s.split_inclusive(|c: char| c.is_whitespace()) {
        let word = piece.trim_end_matches(|c: char| c.is_whitespace());
        let named = word
            .split_once('=')
            .is_some_and(|(k, v)| !v.is_empty() && secrets::is_secret_name(k));
        if !word.is_empty() && (named || secrets::looks_like_secret(word)) {
            let r = secrets::reference("crontab", word);
            ctx.add(fi, Finding::warning("claw::import::cron_secret", format!("a credential is written in the command's stdin (after `%`); imported as {r}, which the runtime resolves (the value is not written)"), o.clone()));
            out.push_str(&r);
            out.push_str(&piece[word.len()..]);
        } else {
            out.push_str(&shell::escape_template(piece));
        }
    }
    out
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

/// Whether a run-parts body is only `cd / && run-parts … DIR` (so its scripts can stand in for it).
fn simple_run_parts(body: &str) -> bool {
    let t = body.trim();
    let t = t
        .strip_prefix('{')
        .and_then(|x| x.strip_suffix('}'))
        .map(|x| x.trim().trim_end_matches(';').trim())
        .unwrap_or(t);
    let t = t
        .strip_prefix('(')
        .and_then(|x| x.strip_suffix(')'))
        .map(str::trim)
        .unwrap_or(t);
    let t = t.strip_prefix("cd / &&").map(str::trim).unwrap_or(t);
    let mut w = t.split_whitespace();
    w.next() == Some("run-parts")
        && w.all(|x| {
            x.starts_with("--report")
                || x == "--verbose"
                || x == "-v"
                || x.starts_with("/etc/cron.")
        })
}

fn resolve_run_parts(
    ctx: &mut Ctx<'_>,
    jobs: &mut Vec<Job>,
    folders: &BTreeMap<RunPartsPeriod, Vec<Script>>,
) {
    for (period, scripts) in folders {
        let claims: Vec<usize> = jobs
            .iter()
            .enumerate()
            .filter(|(_, j)| matches!(&j.body, Body::RunParts { period: p, .. } if p == period))
            .map(|(i, _)| i)
            .collect();
        // anacron runs the folder when it is installed (its anacrontab is among the inputs).
        let claimer = claims
            .iter()
            .copied()
            .find(|i| matches!(jobs[*i].when, When::Anacron { .. }))
            .or_else(|| claims.first().copied());
        match claimer {
            Some(c) => {
                for &i in &claims {
                    if i != c {
                        let o = jobs[i].origin.clone();
                        let f = jobs[i].file;
                        let by = jobs[c].origin.describe();
                        ctx.add(f, Finding::info("claw::import::run_parts_elsewhere", format!("the scripts of {} are imported under the job at {by}, which runs them when anacron is installed; this job keeps its run-parts command", period.dir()), o));
                    }
                }
                if !simple_run_parts(match &jobs[c].body {
                    Body::RunParts { original, .. } => original,
                    Body::Command { command, .. } => command,
                }) {
                    let o = jobs[c].origin.clone();
                    let f = jobs[c].file;
                    ctx.add(f, Finding::warning("claw::import::run_parts_kept", format!("the run-parts command does more than run {}; kept as one shell command instead of one step per script", period.dir()), o));
                }
            }
            None => {
                let file = scripts.first().map_or(0, |s| s.file);
                let o = Origin {
                    file: Some(period.dir()),
                    ..Origin::default()
                };
                ctx.add(file, Finding::warning("claw::import::cron_default_schedule", format!("no /etc/crontab or /etc/anacrontab among the inputs says when {} runs; imported on Debian's default `{}` from /etc/crontab (without anacron)", period.dir(), period.debian_default()), o.clone()).with_help("import the folder together with /etc/crontab or /etc/anacrontab"));
                let mut env = IndexMap::new();
                env.insert("SHELL".to_string(), Value::String("/bin/sh".into()));
                env.insert("PATH".to_string(), Value::String(ETC_CRONTAB_PATH.into()));
                jobs.push(Job {
                    file,
                    origin: o,
                    name: format!("cron_{}", period.as_str()),
                    when: When::DefaultRunParts(*period),
                    user: Some("root".into()),
                    env,
                    mail: Mail::Unset,
                    guards: Vec::new(),
                    body: Body::RunParts {
                        period: *period,
                        original: format!("cd / && run-parts --report {}", period.dir()),
                    },
                    disabled: false,
                    legacy: IndexMap::new(),
                    description: format!("run-parts {} on Debian's default schedule", period.dir()),
                });
            }
        }
    }
    // Run-parts jobs whose folder is not among the inputs stay shell commands.
    let claimed: BTreeSet<usize> = folders
        .keys()
        .filter_map(|p| {
            let claims: Vec<usize> = jobs
                .iter()
                .enumerate()
                .filter(|(_, j)| matches!(&j.body, Body::RunParts { period: q, .. } if q == p))
                .map(|(i, _)| i)
                .collect();
            claims
                .iter()
                .copied()
                .find(|i| matches!(jobs[*i].when, When::Anacron { .. }))
                .or_else(|| claims.first().copied())
        })
        .filter(|&i| match &jobs[i].body {
            Body::RunParts { original, .. } => simple_run_parts(original),
            Body::Command { .. } => false,
        })
        .collect();
    for (i, j) in jobs.iter_mut().enumerate() {
        if let Body::RunParts { original, .. } = &j.body
            && !claimed.contains(&i)
        {
            j.body = Body::Command {
                command: original.clone(),
                stdin: None,
            };
        }
    }
}

fn guard_text(g: &Guard) -> String {
    if g.form == "if" {
        format!("if {}; then", g.test)
    } else {
        format!("{} {}", g.test, g.form)
    }
}

fn system_slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let mut out = out.trim_end_matches('-').to_string();
    out.truncate(100);
    let out = out.trim_end_matches('-').to_string();
    if out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out
    } else {
        format!("cron-{out}")
    }
}

fn file_stem(label: &str) -> String {
    std::path::Path::new(label)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| label.to_string())
}

fn group_key(ctx: &Ctx<'_>, j: &Job) -> String {
    match ctx.opts.group_by {
        GroupBy::File => match j.when {
            When::DefaultRunParts(p) => format!("cron-{}", p.as_str()),
            _ => {
                let f = &ctx.files[j.file];
                if f.label == "-" {
                    "crontab".to_string()
                } else {
                    file_stem(&f.label)
                }
            }
        },
        GroupBy::User => format!("cron-user-{}", j.user.as_deref().unwrap_or("unknown")),
        GroupBy::CommandPrefix => format!("cron-{}", j.name),
    }
}

/// Names handed out in one namespace (systems, or the items of one system): the first request
/// for a name gets it, later ones get `name_2`, `name_3`, … — the first suffix not yet taken.
#[derive(Default)]
struct Names {
    used: BTreeSet<String>,
    /// The next suffix worth trying per requested name. Names are never released, so every
    /// suffix below it is still taken; without it, the k-th job running `mail` would retry
    /// `mail_2` … `mail_k` (quadratic in a crontab with thousands of `mail` jobs).
    next: BTreeMap<String, usize>,
}

impl Names {
    fn unique(&mut self, name: String) -> String {
        if self.used.insert(name.clone()) {
            return name;
        }
        let k = self.next.entry(name.clone()).or_insert(2);
        loop {
            let n = format!("{name}_{k}");
            *k += 1;
            if self.used.insert(n.clone()) {
                return n;
            }
        }
    }
}

fn wrap_shell(cmd: &str, env: &IndexMap<String, Value>) -> String {
    match env.get("SHELL").and_then(Value::as_str) {
        Some(sh) if sh != "/bin/sh" && !sh.starts_with("secret://") => {
            format!("exec {sh} -c '{}'", cmd.replace('\'', r"'\''"))
        }
        _ => cmd.to_string(),
    }
}

fn shell_step(
    name: &str,
    on: Vec<String>,
    command: &str,
    stdin: Option<&str>,
    job: &Job,
    cwd: Option<&str>,
) -> Execution {
    let mut x = Execution::new(name, "", "shell.run");
    x.on = on;
    x.with.insert(
        "command".into(),
        Value::String(shell::escape_template(&wrap_shell(command, &job.env))),
    );
    if let Some(s) = stdin {
        x.with.insert("stdin".into(), Value::String(s.to_string()));
    }
    x.with.insert(
        "env".into(),
        Value::Object(
            job.env
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
    );
    if let Some(u) = &job.user {
        x.with.insert("user".into(), Value::String(u.clone()));
    }
    if let Some(c) = cwd {
        x.with.insert("cwd".into(), Value::String(c.to_string()));
    }
    x
}

fn build(
    mut ctx: Ctx<'_>,
    jobs: Vec<Job>,
    folders: &BTreeMap<RunPartsPeriod, Vec<Script>>,
) -> Result<Imported, CrontabError> {
    let mut groups: BTreeMap<String, Vec<Job>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for j in jobs {
        let k = group_key(&ctx, &j);
        if !groups.contains_key(&k) {
            order.push(k.clone());
        }
        groups.entry(k).or_default().push(j);
    }
    let mut generated = Vec::new();
    let mut used_systems = Names::default();
    let mut job_count = 0;
    let mut system_findings: Vec<(String, Vec<Finding>)> = Vec::new();
    for key in order {
        let Some(group) = groups.remove(&key) else {
            continue;
        };
        let sys_name = used_systems.unique(system_slug(&key));
        let first_file = &ctx.files[group[0].file];
        let mut sys = System::new(&sys_name);
        let files_in: BTreeSet<&str> = group
            .iter()
            .map(|j| ctx.files[j.file].label.as_str())
            .collect();
        sys.description = Some(format!(
            "Imported from {} ({} job(s)).",
            files_in.iter().copied().collect::<Vec<_>>().join(", "),
            group.len()
        ));
        let mut notes = IndexMap::new();
        notes.insert("daemon".to_string(), "debian-cron".to_string());
        if let Some(p) = &first_file.legacy_path {
            notes.insert("legacy_path".to_string(), p.clone());
        }
        sys.provenance = Some(Provenance {
            kind: "crontab".into(),
            file: Some(first_file.label.clone()),
            legacy_id: first_file.legacy_path.clone(),
            notes,
        });
        let mut used = Names::default();
        let mut local: Vec<Finding> = Vec::new();
        let mut mail: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut schedules: Vec<(String, Schedule, Origin)> = Vec::new();
        for job in &group {
            job_count += 1;
            let tname = used.unique(job.name.clone());
            let o = job.origin.clone();
            let mut t = match &job.when {
                When::Reboot => {
                    local.push(Finding::warning("claw::import::cron_reboot", "@reboot: cron ran this once when the host booted; imported as a manual trigger (fire it from the host's start-up, e.g. a systemd unit running `claw fire`)".to_string(), o.clone()).at_path(format!("/triggers/{tname}")));
                    let mut t = Trigger::new(&tname, Source::Manual);
                    t.description = Some(format!("@reboot (host start-up). {}", job.description));
                    t
                }
                When::Schedule { text, schedule, tz } => {
                    if !schedule.can_fire() {
                        local.push(Finding::warning(
                            "claw::import::cron_never_fires",
                            format!(
                                "`{text}` never fires ({}); imported as written",
                                schedule.explain()
                            ),
                            o.clone(),
                        ));
                    } else {
                        schedules.push((tname.clone(), schedule.clone(), o.clone()));
                    }
                    let mut t = Trigger::new(&tname, Source::Schedule);
                    t.schedule = Some(text.clone());
                    t.timezone = tz.clone();
                    t.catch_up = Some(CatchUp::None);
                    t.description = Some(job.description.clone());
                    t
                }
                When::Anacron { schedule, id, .. } => {
                    let mut t = Trigger::new(&tname, Source::Schedule);
                    t.schedule = Some(schedule.clone());
                    t.catch_up = Some(CatchUp::Latest);
                    t.description = Some(format!("anacron job {id}. {}", job.description));
                    t
                }
                When::DefaultRunParts(p) => {
                    let mut t = Trigger::new(&tname, Source::Schedule);
                    t.schedule = Some(p.debian_default().to_string());
                    t.catch_up = Some(CatchUp::None);
                    t.description = Some(job.description.clone());
                    t
                }
            };
            if t.source == Source::Schedule {
                t.idempotency = Some("trigger.scheduled_at".into());
                local.push(Finding::info("claw::import::cron_rerun_unsafe", "the trigger's idempotency key is derived from the scheduled time, so the runtime never starts one fire time twice; cron gave no such guarantee, and the command itself may not be safe to re-run after a partial failure".to_string(), o.clone()).at_path(format!("/triggers/{tname}/idempotency")));
            }
            if job.disabled {
                t.enabled = Some(false);
            }
            if let Some(f) = &o.file {
                t.legacy.insert("file".into(), f.clone());
            }
            for (k, v) in &job.legacy {
                t.legacy.insert(k.clone(), v.clone());
            }
            if let Some(u) = &job.user {
                t.legacy.insert("user".into(), u.clone());
            }
            let mut entry = vec![tname.clone()];
            if !job.guards.is_empty() {
                let gname = used.unique(format!("{tname}_guard"));
                let dname = used.unique(format!("{tname}_gate"));
                let mut g = shell_step(
                    &gname,
                    entry.clone(),
                    &shell::guard_check_command(&job.guards),
                    None,
                    job,
                    None,
                );
                g.description = Some(format!(
                    "cron's guard: {}",
                    job.guards
                        .iter()
                        .map(guard_text)
                        .collect::<Vec<_>>()
                        .join(" ")
                ));
                g.timeout = Some("1m".into());
                sys.execution.push(g);
                let words: Vec<String> = job
                    .guards
                    .iter()
                    .map(|g| {
                        if g.runs_when {
                            format!("`{}` succeeds", g.test)
                        } else {
                            format!("`{}` fails", g.test)
                        }
                    })
                    .collect();
                sys.decisions.push(Decision {
                    name: dname.clone(),
                    description: Some(format!(
                        "Run only when {} (cron's shell skipped the command otherwise)",
                        words.join(" and ")
                    )),
                    on: vec![format!("{gname}.succeeded")],
                    inputs: vec![format!("steps.{gname}.output.stdout")],
                    logic: Logic::When(format!(
                        "steps.{gname}.output.stdout.endsWith(\"{GUARD_PASS}\")"
                    )),
                    emits: Vec::new(),
                    legacy: job
                        .guards
                        .iter()
                        .enumerate()
                        .map(|(i, g)| (format!("guard_{}", i + 1), guard_text(g)))
                        .collect(),
                });
                entry = vec![dname];
            }
            let mut steps: Vec<Execution> = Vec::new();
            match &job.body {
                Body::Command { command, stdin } => {
                    let mut x = shell_step(
                        &used.unique(format!("{tname}_run")),
                        entry.clone(),
                        command,
                        stdin.as_deref(),
                        job,
                        None,
                    );
                    x.description = Some(job.description.clone());
                    steps.push(x);
                }
                Body::RunParts { period, .. } => {
                    let mut on = entry.clone();
                    for s in folders.get(period).map(Vec::as_slice).unwrap_or(&[]) {
                        let sname =
                            used.unique(format!("{tname}_{}", claw_language::units::slug(&s.name)));
                        let mut x =
                            shell_step(&sname, on.clone(), &s.legacy_path, None, job, Some("/"));
                        x.description = Some(format!("run-parts script {}", s.legacy_path));
                        x.legacy.insert("script".into(), s.legacy_path.clone());
                        x.legacy
                            .insert("file".into(), ctx.files[s.file].label.clone());
                        if s.systemd_fallback {
                            x.enabled = Some(false);
                            local.push(Finding::warning("claw::import::cron_systemd_fallback", format!("{} exits at once when systemd is running (a fallback for a systemd timer the package ships); imported disabled", s.legacy_path), origin(&ctx.files[s.file].label, None, None)).at_path(format!("/execution/{sname}")));
                        } else {
                            // run-parts goes on to the next script whatever this one did.
                            on = vec![x.succeeded_event(), x.failed_event()];
                        }
                        steps.push(x);
                    }
                    if steps.iter().all(|x| !x.is_enabled()) {
                        t.enabled = Some(false);
                    }
                }
            }
            for x in &mut steps {
                if let Body::Command { command, .. } = &job.body {
                    if shell::discards_output(command) {
                        local.push(Finding::warning("claw::import::cron_output_discarded", "stdout and stderr are thrown away (`>/dev/null 2>&1`): cron mailed nothing and nobody could see what the job did; the runtime now keeps the output in its events".to_string(), o.clone()).at_path(format!("/execution/{}", x.name)));
                    }
                    if t.source == Source::Schedule && !shell::has_lock(command) {
                        local.push(Finding::warning("claw::import::cron_no_lock", "no lock (flock, run-one, a lock file): cron starts the next run even if the previous one is still going, so runs can overlap".to_string(), o.clone()).at_path(format!("/execution/{}", x.name)));
                    }
                }
                if let When::Anacron { delay_minutes, .. } = job.when
                    && delay_minutes > 0
                    && x.on == entry
                {
                    x.delay = Some(format!("{delay_minutes}m"));
                }
            }
            sys.execution.extend(steps);
            sys.triggers.push(t);
            match &job.mail {
                Mail::To(addrs) => {
                    for a in addrs {
                        mail.entry(a.clone()).or_default().push(tname.clone());
                    }
                }
                Mail::Empty => local.push(Finding::warning("claw::import::cron_mailto_empty", "MAILTO=\"\": cron mailed this job's output to nobody, so failures went unnoticed; no alert route imported".to_string(), o.clone()).with_help("add an alert route under observability.alerts")),
                Mail::Unset => match &job.user {
                    Some(u) => {
                        mail.entry(u.clone()).or_default().push(tname.clone());
                    }
                    None => local.push(Finding::info("claw::import::cron_mail_owner", "MAILTO is not set: cron mailed the output to the crontab's owner, who is not known here; no alert route imported".to_string(), o.clone()).with_help("pass --user NAME, or set MAILTO in the crontab")),
                },
            }
        }
        for (addr, triggers) in &mail {
            let route = if addr.contains('@') {
                addr.clone()
            } else {
                format!("{addr}@localhost")
            };
            let route = route.replace(char::is_whitespace, "");
            sys.observability.alerts.push(Alert {
                on: "error_rate > 0%".into(),
                route: Some(format!("email://{route}")),
                description: Some(format!(
                    "cron mailed the output of {} to {addr} (MAILTO, or the job's user)",
                    triggers.join(", ")
                )),
            });
        }
        let users: BTreeSet<&str> = group.iter().filter_map(|j| j.user.as_deref()).collect();
        if !users.is_empty() {
            local.push(Finding::info("claw::import::cron_run_as", format!("cron ran these jobs as {}; each step records it as `user`, but shell.run runs commands as the runtime's own user", users.iter().copied().collect::<Vec<_>>().join(", ")), origin(&first_file.label, None, None)));
        }
        collisions(&schedules, &mut local);
        let diags = claw_language::check_system(&sys, None);
        if let Some(d) = diags.iter().find(|d| d.is_error()) {
            return Err(CrontabError::Internal(format!(
                "internal error: generated system `{sys_name}` does not check: {d}"
            )));
        }
        local.extend(Finding::from_lints(
            &sys_name,
            &diags,
            &origin(&first_file.label, None, None),
        ));
        for f in &mut local {
            f.system = Some(sys_name.clone());
        }
        system_findings.push((sys_name.clone(), local));
        generated.push(Generated {
            system: sys,
            files: Vec::new(),
        });
    }
    // Input-level findings go to the system built from that file, if any.
    let mut findings: Vec<Finding> = Vec::new();
    let mut by_file: Vec<(usize, Finding)> = std::mem::take(&mut ctx.findings);
    by_file.sort_by_key(|(i, _)| *i);
    for (_, f) in by_file {
        findings.push(f);
    }
    for (_, fs) in system_findings {
        findings.extend(fs);
    }
    Ok(Imported {
        generated,
        findings,
        jobs: job_count,
    })
}

/// Jobs that can start in the same minute. Exact on the value sets: two schedules collide when
/// their minutes, hours and months intersect and some (month, day, weekday) satisfies both day
/// rules — every such combination occurs within the 400-year calendar cycle.
///
/// Whether two jobs collide depends only on their value sets, so jobs are grouped by that
/// signature first and the pairwise work is done between distinct signatures (a few thousand
/// even in a 100,000-line crontab), never between jobs: thousands of `*/15` jobs collide with
/// each other and with every job on a quarter hour, and listing those pairs one by one would be
/// quadratic. Each finding then needs only how many later jobs collide and the first five,
/// which come from the signatures' sorted member lists.
fn collisions(schedules: &[(String, Schedule, Origin)], out: &mut Vec<Finding>) {
    /// Value sets that decide collisions: minute, hour, dom, month, dow bits and the day rule.
    type Signature = (u64, u64, u64, u64, u64, bool);
    fn mask(f: &claw_language::cron::Field) -> u64 {
        f.values().fold(0u64, |acc, v| acc | (1u64 << v))
    }
    // Signature classes in order of first appearance; members ascending (schedule order).
    let mut class_of: BTreeMap<Signature, usize> = BTreeMap::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    let mut job_class: Vec<Option<usize>> = vec![None; schedules.len()];
    for (i, (_, s, _)) in schedules.iter().enumerate() {
        let Some(f) = s.fields() else { continue };
        let sig = (
            mask(f.minute()),
            mask(f.hour()),
            f.dom().bits(),
            f.month().bits(),
            f.dow().bits(),
            f.day_rule() == DayRule::And,
        );
        let next = members.len();
        let c = *class_of.entry(sig).or_insert(next);
        if c == next {
            members.push(Vec::new());
        }
        members[c].push(i);
        job_class[i] = Some(c);
    }
    // Bucket the classes by each (hour, minute) they can fire at: two classes collide only if
    // they share one, and then exactly when their days overlap.
    let mut buckets: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (&(minutes, hours, ..), &c) in &class_of {
        for h in (0..24u32).filter(|h| hours & (1u64 << h) != 0) {
            for m in (0..60u32).filter(|m| minutes & (1u64 << m) != 0) {
                buckets.entry(h * 60 + m).or_default().push(c);
            }
        }
    }
    let rep = |c: usize| &schedules[members[c][0]].1;
    // neighbours[c]: the classes (itself included) whose jobs can start with c's, ascending.
    let mut neighbours: Vec<Vec<usize>> = vec![Vec::new(); members.len()];
    let mut examined: BTreeSet<(usize, usize)> = BTreeSet::new();
    'outer: for list in buckets.values_mut() {
        list.sort_unstable();
        for a in 0..list.len() {
            for b in a..list.len() {
                let (x, y) = (list[a], list[b]);
                if !examined.insert((x, y)) {
                    continue;
                }
                if examined.len() > MAX_COLLISION_PAIRS {
                    out.push(Finding::info("claw::import::cron_collision_capped", format!("collision analysis stopped after {MAX_COLLISION_PAIRS} candidate pairs; later collisions are not reported"), Origin::default()));
                    break 'outer;
                }
                if days_overlap(rep(x), rep(y)) {
                    neighbours[x].push(y);
                    if x != y {
                        neighbours[y].push(x);
                    }
                }
            }
        }
    }
    drop(examined);
    for n in &mut neighbours {
        n.sort_unstable();
    }
    for (x, c) in job_class.iter().enumerate() {
        let Some(c) = *c else { continue };
        // Later jobs that collide with x: in each neighbouring class, the members after x.
        let mut count = 0usize;
        let mut first: Vec<usize> = Vec::new();
        for &t in &neighbours[c] {
            let m = &members[t];
            let from = m.partition_point(|&y| y <= x);
            count += m.len() - from;
            first.extend(m[from..].iter().take(5));
        }
        if count == 0 {
            continue;
        }
        first.sort_unstable();
        let names: Vec<String> = first
            .iter()
            .take(5)
            .map(|y| format!("`{}` ({})", schedules[*y].0, schedules[*y].2.describe()))
            .collect();
        let more = if count > 5 {
            format!(" and {} more", count - 5)
        } else {
            String::new()
        };
        out.push(
            Finding::warning("claw::import::cron_collision", format!("`{}` can start in the same minute as {}{more}: they compete for the host at once", schedules[x].0, names.join(", ")), schedules[x].2.clone())
                .at_path(format!("/triggers/{}", schedules[x].0))
                .with_help("spread the schedules, or add a delay to one of them"),
        );
    }
}

fn days_overlap(a: &Schedule, b: &Schedule) -> bool {
    let (Some(fa), Some(fb)) = (a.fields(), b.fields()) else {
        return false;
    };
    if fa.month().bits() & fb.month().bits() == 0 {
        return false;
    }
    const DAYS: [u32; 13] = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let ok = |f: &claw_language::cron::Fields, d: u32, w: u32| {
        let dom = f.dom().contains(d);
        let dow = f.dow().contains(w);
        match f.day_rule() {
            DayRule::And => dom && dow,
            DayRule::Or => dom || dow,
        }
    };
    (1..=12u32)
        .filter(|m| fa.month().contains(*m) && fb.month().contains(*m))
        .any(|m| (1..=DAYS[m as usize]).any(|d| (0..7u32).any(|w| ok(fa, d, w) && ok(fb, d, w))))
}
