//! Job collection: every input file (crontab, anacrontab, run-parts script) read into `Job`s
//! (each command through [`super::command`], which replaces credentials by `secret://`
//! references), and `run-parts` lines resolved against the folders read.

use super::command::make_job;
use super::mail::broken_mailto;
use super::{Body, Ctx, ETC_CRONTAB_PATH, Folders, Job, Mail, Script, When, origin};
use crate::crontab::CrontabError;
use crate::crontab::anacrontab::{self, AnacronEntry, Period};
use crate::crontab::codes;
use crate::crontab::lines::{self, Entry, LineError, Syntax};
use crate::crontab::sources::{Kind, RunPartsPeriod, run_parts_name_ok};
use crate::findings::{Finding, Origin};
use indexmap::IndexMap;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Every job of the input files, and the run-parts folders' scripts by period (in run-parts
/// order). Fails on bad lines (unless skipped, as cronie does) and when there is no job at all.
pub(super) fn collect(ctx: &mut Ctx<'_>) -> Result<(Vec<Job>, Folders), CrontabError> {
    let files = ctx.files;
    let opts = ctx.opts;
    let mut errors: Vec<LineError> = Vec::new();
    let mut jobs: Vec<Job> = Vec::new();
    let mut folders: BTreeMap<RunPartsPeriod, Vec<Script>> = BTreeMap::new();
    // Crontab files that gave no job: reported once the whole input is read (see below).
    let mut jobless: Vec<usize> = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let before = jobs.len();
        match &f.kind {
            Kind::Crontab {
                syntax,
                cron_d,
                owner,
            } => {
                read_crontab(
                    ctx,
                    i,
                    *syntax,
                    cron_d.as_deref(),
                    owner.as_deref(),
                    &mut jobs,
                    &mut errors,
                );
                if jobs.len() == before {
                    jobless.push(i);
                }
            }
            Kind::Anacrontab => {
                let a = anacrontab::parse(&f.text, &f.label);
                errors.extend(a.errors.iter().cloned());
                anacron_jobs(ctx, i, &a.entries, &mut jobs);
            }
            Kind::Script { period, name } => {
                if let Some(script) = read_script(ctx, i, *period, name) {
                    folders.entry(*period).or_default().push(script);
                }
            }
        }
    }
    if !errors.is_empty() {
        if !opts.skip_bad_lines {
            return Err(CrontabError::BadLines(errors));
        }
        for e in &errors {
            let i = files.iter().position(|f| f.label == e.file).unwrap_or(0);
            ctx.add(i, Finding::warning(codes::CRON_BAD_LINE.id, format!("{} ({}): `{}` — skipped as cronie does; Debian's cron would ignore the whole file, so none of its jobs would run there", e.message, e.explanation, e.source_line.trim_end()), origin(&e.file, Some(e.line), Some(e.column))).with_help(format!("fix the line; code {}", e.code)));
        }
    }
    for scripts in folders.values_mut() {
        // run-parts runs in C-locale (byte) order.
        scripts.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    }
    resolve_run_parts(ctx, &mut jobs, &folders);
    if jobs.is_empty() {
        let labels: Vec<&str> = files.iter().map(|f| f.label.as_str()).collect();
        if folders.is_empty()
            && ctx
                .findings
                .iter()
                .all(|(_, f)| f.code != codes::RUN_PARTS_SKIPPED.id)
        {
            // A crontab with only comments and environment lines is valid: an empty system would
            // say nothing, so it is reported instead.
            return Err(CrontabError::Empty(format!(
                "{}: no jobs (only comments, blank and environment lines)",
                labels.join(", ")
            )));
        }
    }
    // The same input is never an error alone and silent in a folder: while other files have
    // jobs, each crontab without any is named in a finding.
    for i in jobless {
        let label = files[i].label.clone();
        ctx.add(i, Finding::warning(codes::CRON_NO_JOBS.id, format!("{label}: no jobs (only comments, blank and environment lines); nothing is imported from it (imported alone, it is the `empty` error)"), origin(&label, None, None)).with_help("remove the file, or uncomment the jobs it should run"));
    }

    Ok((jobs, folders))
}

/// A crontab's jobs (user or system syntax, as forced, located or detected), with its bad lines.
fn read_crontab(
    ctx: &mut Ctx<'_>,
    i: usize,
    syntax: Option<Syntax>,
    cron_d: Option<&str>,
    owner: Option<&str>,
    jobs: &mut Vec<Job>,
    errors: &mut Vec<LineError>,
) {
    let f = &ctx.files[i];
    let opts = ctx.opts;
    let syntax = match opts.syntax.or(syntax) {
        Some(s) => s,
        None => {
            let (s, why) = lines::detect_syntax(&f.text);
            ctx.add(
                i,
                Finding::info(
                    codes::CRON_SYNTAX_DETECTED.id,
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
        ctx.add(i, Finding::warning(codes::CRON_D_NAME_IGNORED.id, format!("/etc/cron.d/{name}: Debian's cron ignores cron.d files whose name has characters other than letters, digits, `_` and `-` (so any name with a dot); cronie reads it. Imported as cronie would run it"), origin(&f.label, None, None)).with_help("rename the file (e.g. drop the dot) if Debian's cron should run it, or delete it if it is a leftover (`.dpkg-old`, `.dpkg-dist`)"));
    }
    let parsed = lines::parse(&f.text, syntax, &f.label);
    if parsed.missing_final_newline {
        ctx.add(i, Finding::warning(codes::CRON_NO_FINAL_NEWLINE.id, "the file does not end with a newline: Debian's cron ignores the whole file (crontab(1) refuses it) and cronie drops the last line; imported in full".to_string(), origin(&f.label, Some(parsed.lines), None)).with_help("add a newline at the end of the file"));
    }
    errors.extend(parsed.errors.iter().cloned());
    let owner = owner.map(str::to_string).or_else(|| opts.user.clone());
    crontab_jobs(ctx, i, &parsed.entries, owner.as_deref(), jobs);
}

/// A run-parts script, or `None` (with a finding) when run-parts would skip it.
fn read_script(ctx: &mut Ctx<'_>, i: usize, period: RunPartsPeriod, name: &str) -> Option<Script> {
    let f = &ctx.files[i];
    let o = origin(&f.label, None, None);
    let legacy_path = f
        .legacy_path
        .clone()
        .unwrap_or_else(|| format!("{}/{name}", period.dir()));
    if !run_parts_name_ok(name) {
        ctx.add(i, Finding::warning(codes::RUN_PARTS_SKIPPED.id, format!("{legacy_path}: run-parts skips names with characters other than letters, digits, `_` and `-`, so this script never runs; not imported as a step"), o));
        return None;
    }
    if f.executable == Some(false) {
        ctx.add(i, Finding::warning(codes::RUN_PARTS_SKIPPED.id, format!("{legacy_path} is not executable: run-parts skips it, so it never runs; not imported as a step"), o).with_help("chmod +x it if it should run"));
        return None;
    }
    Some(Script {
        file: i,
        name: name.to_string(),
        legacy_path,
        systemd_fallback: script_is_systemd_fallback(&f.text),
    })
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
                    ctx.add(fi, Finding::warning(codes::CRON_EMPTY_ENV.id, format!("`{}=` with nothing after it: cronie sets it empty, but Debian's cron reads the line as a job (\"bad minute\") and ignores the whole file; imported as empty", v.name), o.clone()).with_help(format!("write `{}=\"\"`", v.name)));
                }
                if v.trimmed_inside_quotes {
                    ctx.add(fi, Finding::info(codes::CRON_QUOTED_BLANKS.id, format!("`{}`: Debian strips the blanks at the end of the quoted value (cronie keeps them); imported as Debian reads it", v.name), o.clone()));
                }
                match v.name.as_str() {
                    "CRON_TZ" => ctx.add(fi, Finding::warning(codes::CRON_TZ.id, format!("CRON_TZ={}: cronie schedules the following jobs in this zone, Debian's cron ignores CRON_TZ (one daemon zone); imported as the triggers' timezone, as cronie runs them", v.value), o.clone())),
                    "RANDOM_DELAY" => ctx.add(fi, Finding::warning(codes::CRON_RANDOM_DELAY.id, format!("RANDOM_DELAY={}: cronie delays each following job by a random 0–{} minutes; Debian's cron ignores it. Not imported as a delay (the environment variable is kept)", v.value, v.value), o.clone())),
                    "MAILTO" | "MAILFROM" if v.value.contains('$') => ctx.add(fi, Finding::info(codes::CRON_MAIL_EXPANSION.id, format!("{}={}: cronie expands `$VAR` here, Debian's cron does not; imported literally", v.name, v.value), o.clone())),
                    _ => {}
                }
                if v.name == "MAILTO" {
                    broken_mailto(ctx, fi, &o, &v.value);
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
                            ctx.add(fi, Finding::warning(codes::CRON_TZ.id, format!("CRON_TZ={v} is not an IANA time zone; the trigger keeps the runtime's zone"), o.clone()));
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
                    ctx.add(fi, Finding::warning(codes::ANACRON_CRONIE_ONLY.id, format!("{k}={v}: a cronie-anacron setting that Debian's anacron 2.3 does not have; kept as an environment variable only"), origin(&label, Some(*line), Some(1))));
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
                ctx.add(fi, Finding::info(codes::ANACRON_SCHEDULE.id, format!("anacron job `{}` runs {words}, {} minute(s) after anacron starts (anacron.timer: hourly 07:30–23:30, and at boot), whenever it has not run for that long; imported as schedule `{schedule}` with that delay and catch_up: latest. The exact day depends on when it last ran", j.id, j.delay_minutes), o.clone()));
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
                        ctx.add(f, Finding::info(codes::RUN_PARTS_ELSEWHERE.id, format!("the scripts of {} are imported under the job at {by}, which runs them when anacron is installed; this job keeps its run-parts command", period.dir()), o));
                    }
                }
                if !simple_run_parts(match &jobs[c].body {
                    Body::RunParts { original, .. } => original,
                    Body::Command { command, .. } => command,
                }) {
                    let o = jobs[c].origin.clone();
                    let f = jobs[c].file;
                    ctx.add(f, Finding::warning(codes::RUN_PARTS_KEPT.id, format!("the run-parts command does more than run {}; kept as one shell command instead of one step per script", period.dir()), o));
                }
            }
            None => {
                let file = scripts.first().map_or(0, |s| s.file);
                let o = Origin {
                    file: Some(period.dir()),
                    ..Origin::default()
                };
                ctx.add(file, Finding::warning(codes::CRON_DEFAULT_SCHEDULE.id, format!("no /etc/crontab or /etc/anacrontab among the inputs says when {} runs; imported on Debian's default `{}` from /etc/crontab (without anacron)", period.dir(), period.debian_default()), o.clone()).with_help("import the folder together with /etc/crontab or /etc/anacrontab"));
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
