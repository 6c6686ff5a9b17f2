//! Build: jobs grouped into systems, each job a schedule (or manual) trigger, its guards a
//! check step plus a decision, its command (or run-parts scripts) `shell.run` steps, and MAILTO
//! an alert route.

use super::collisions::collisions;
use super::{Body, Ctx, GUARD_PASS, Job, Mail, Script, When, origin};
use crate::crontab::codes;
use crate::crontab::shell::{self, Guard};
use crate::crontab::sources::RunPartsPeriod;
use crate::crontab::{CrontabError, GroupBy, Imported};
use crate::findings::{Finding, Origin};
use crate::output::Generated;
use claw_language::cron::Schedule;
use claw_language::model::{
    Alert, CatchUp, Decision, Execution, Logic, Provenance, Source, System, Trigger,
};
use indexmap::IndexMap;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

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

/// Groups the jobs into systems (by the `--group-by` key, in first-seen order) and builds each;
/// input-level findings come first, then each system's.
pub(super) fn build(
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
    let mut system_findings: Vec<Vec<Finding>> = Vec::new();
    for key in order {
        let Some(group) = groups.remove(&key) else {
            continue;
        };
        let sys_name = used_systems.unique(system_slug(&key));
        let mut b = SystemBuilder::new(&ctx, folders, &sys_name, &group);
        for job in &group {
            job_count += 1;
            b.add_job(job);
        }
        let (sys, local) = b.finish(&group);
        system_findings.push(local);
        generated.push(Generated::new(sys, Vec::new()));
    }
    // Input-level findings go to the system built from that file, if any.
    let mut findings: Vec<Finding> = Vec::new();
    let mut by_file: Vec<(usize, Finding)> = std::mem::take(&mut ctx.findings);
    by_file.sort_by_key(|(i, _)| *i);
    for (_, f) in by_file {
        findings.push(f);
    }
    for fs in system_findings {
        findings.extend(fs);
    }
    Ok(Imported {
        generated,
        findings,
        jobs: job_count,
    })
}

/// One system being built from its group of jobs, with what its jobs add on the side: the
/// item names taken, findings, the mail recipients and the schedules to check for collisions.
struct SystemBuilder<'a> {
    ctx: &'a Ctx<'a>,
    folders: &'a BTreeMap<RunPartsPeriod, Vec<Script>>,
    first_file: &'a str,
    sys: System,
    used: Names,
    local: Vec<Finding>,
    mail: BTreeMap<String, Vec<String>>,
    schedules: Vec<(String, Schedule, Origin)>,
}

impl<'a> SystemBuilder<'a> {
    /// An empty system named `sys_name`, described and with provenance from the group's files.
    fn new(
        ctx: &'a Ctx<'a>,
        folders: &'a BTreeMap<RunPartsPeriod, Vec<Script>>,
        sys_name: &str,
        group: &[Job],
    ) -> Self {
        let first_file = &ctx.files[group[0].file];
        let mut sys = System::new(sys_name);
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
        SystemBuilder {
            ctx,
            folders,
            first_file: &first_file.label,
            sys,
            used: Names::default(),
            local: Vec::new(),
            mail: BTreeMap::new(),
            schedules: Vec::new(),
        }
    }

    /// One job: its trigger, guard step and decision, command or script steps, and where its
    /// output was mailed.
    fn add_job(&mut self, job: &Job) {
        let tname = self.used.unique(job.name.clone());
        let o = job.origin.clone();
        let mut t = self.trigger(job, &tname);
        let entry = match job.guards.is_empty() {
            true => vec![tname.clone()],
            false => vec![self.guard(job, &tname)],
        };
        let mut steps = self.body_steps(job, &tname, &entry);
        if matches!(job.body, Body::RunParts { .. }) && steps.iter().all(|x| !x.is_enabled()) {
            t.enabled = Some(false);
        }
        for x in &mut steps {
            if let Body::Command { command, .. } = &job.body {
                if shell::discards_output(command) {
                    self.local.push(Finding::warning(codes::CRON_OUTPUT_DISCARDED.id, "stdout and stderr are thrown away (`>/dev/null 2>&1`): cron mailed nothing and nobody could see what the job did; the runtime now keeps the output in its events".to_string(), o.clone()).at_path(format!("/execution/{}", x.name)));
                }
                if t.source == Source::Schedule && !shell::has_lock(command) {
                    self.local.push(Finding::warning(codes::CRON_NO_LOCK.id, "no lock (flock, run-one, a lock file): cron starts the next run even if the previous one is still going, so runs can overlap".to_string(), o.clone()).at_path(format!("/execution/{}", x.name)));
                }
            }
            if let When::Anacron { delay_minutes, .. } = job.when
                && delay_minutes > 0
                && x.on == entry
            {
                x.delay = Some(format!("{delay_minutes}m"));
            }
        }
        self.sys.execution.extend(steps);
        self.sys.triggers.push(t);
        self.note_mail(job, &tname);
    }

    /// The job's trigger: its schedule (or manual for `@reboot`), idempotent on the fire time,
    /// with the job's legacy notes.
    fn trigger(&mut self, job: &Job, tname: &str) -> Trigger {
        let o = &job.origin;
        let mut t = match &job.when {
            When::Reboot => {
                self.local.push(Finding::warning(codes::CRON_REBOOT.id, "@reboot: cron ran this once when the host booted; imported as a manual trigger (fire it from the host's start-up, e.g. a systemd unit running `claw fire`)".to_string(), o.clone()).at_path(format!("/triggers/{tname}")));
                let mut t = Trigger::new(tname, Source::Manual);
                t.description = Some(format!("@reboot (host start-up). {}", job.description));
                t
            }
            When::Schedule { text, schedule, tz } => {
                if !schedule.can_fire() {
                    self.local.push(Finding::warning(
                        codes::CRON_NEVER_FIRES.id,
                        format!(
                            "`{text}` never fires ({}); imported as written",
                            schedule.explain()
                        ),
                        o.clone(),
                    ));
                } else {
                    self.schedules
                        .push((tname.to_string(), schedule.clone(), o.clone()));
                }
                let mut t = Trigger::new(tname, Source::Schedule);
                t.schedule = Some(text.clone());
                t.timezone = tz.clone();
                t.catch_up = Some(CatchUp::None);
                t.description = Some(job.description.clone());
                t
            }
            When::Anacron { schedule, id, .. } => {
                let mut t = Trigger::new(tname, Source::Schedule);
                t.schedule = Some(schedule.clone());
                t.catch_up = Some(CatchUp::Latest);
                t.description = Some(format!("anacron job {id}. {}", job.description));
                t
            }
            When::DefaultRunParts(p) => {
                let mut t = Trigger::new(tname, Source::Schedule);
                t.schedule = Some(p.debian_default().to_string());
                t.catch_up = Some(CatchUp::None);
                t.description = Some(job.description.clone());
                t
            }
        };
        if t.source == Source::Schedule {
            t.idempotency = Some("trigger.scheduled_at".into());
            self.local.push(Finding::info(codes::CRON_RERUN_UNSAFE.id, "the trigger's idempotency key is derived from the scheduled time, so the runtime never starts one fire time twice; cron gave no such guarantee, and the command itself may not be safe to re-run after a partial failure".to_string(), o.clone()).at_path(format!("/triggers/{tname}/idempotency")));
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
        t
    }

    /// The job's guards (`test -x … &&`): a check step that prints a marker when cron's shell
    /// would have run the command, and a decision on it. Returns the decision's name, the event
    /// the job's steps then wait for.
    fn guard(&mut self, job: &Job, tname: &str) -> String {
        let gname = self.used.unique(format!("{tname}_guard"));
        let dname = self.used.unique(format!("{tname}_gate"));
        let mut g = shell_step(
            &gname,
            vec![tname.to_string()],
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
        self.sys.execution.push(g);
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
        self.sys.decisions.push(Decision {
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
        dname
    }

    /// The job's `shell.run` steps on `entry`: its command, or one step per run-parts script
    /// chained in run-parts order (each on the previous one's end, whatever its outcome).
    fn body_steps(&mut self, job: &Job, tname: &str, entry: &[String]) -> Vec<Execution> {
        let mut steps: Vec<Execution> = Vec::new();
        match &job.body {
            Body::Command { command, stdin } => {
                let mut x = shell_step(
                    &self.used.unique(format!("{tname}_run")),
                    entry.to_vec(),
                    command,
                    stdin.as_deref(),
                    job,
                    None,
                );
                x.description = Some(job.description.clone());
                steps.push(x);
            }
            Body::RunParts { period, .. } => {
                let mut on = entry.to_vec();
                let files = self.ctx.files;
                for s in self.folders.get(period).map(Vec::as_slice).unwrap_or(&[]) {
                    let sname = self
                        .used
                        .unique(format!("{tname}_{}", claw_language::units::slug(&s.name)));
                    let mut x =
                        shell_step(&sname, on.clone(), &s.legacy_path, None, job, Some("/"));
                    x.description = Some(format!("run-parts script {}", s.legacy_path));
                    x.legacy.insert("script".into(), s.legacy_path.clone());
                    x.legacy.insert("file".into(), files[s.file].label.clone());
                    if s.systemd_fallback {
                        x.enabled = Some(false);
                        self.local.push(Finding::warning(codes::CRON_SYSTEMD_FALLBACK.id, format!("{} exits at once when systemd is running (a fallback for a systemd timer the package ships); imported disabled", s.legacy_path), origin(&files[s.file].label, None, None)).at_path(format!("/execution/{sname}")));
                    } else {
                        // run-parts goes on to the next script whatever this one did.
                        on = vec![x.succeeded_event(), x.failed_event()];
                    }
                    steps.push(x);
                }
            }
        }
        steps
    }

    /// Records who cron mailed the job's output to (MAILTO, else the job's user).
    fn note_mail(&mut self, job: &Job, tname: &str) {
        let o = &job.origin;
        match &job.mail {
            Mail::To(addrs) => {
                for a in addrs {
                    self.mail.entry(a.clone()).or_default().push(tname.to_string());
                }
            }
            Mail::Empty => self.local.push(Finding::warning(codes::CRON_MAILTO_EMPTY.id, "MAILTO=\"\": cron mailed this job's output to nobody, so failures went unnoticed; no alert route imported".to_string(), o.clone()).with_help("add an alert route under observability.alerts")),
            Mail::Unset => match &job.user {
                Some(u) => {
                    self.mail.entry(u.clone()).or_default().push(tname.to_string());
                }
                None => self.local.push(Finding::info(codes::CRON_MAIL_OWNER.id, "MAILTO is not set: cron mailed the output to the crontab's owner, who is not known here; no alert route imported".to_string(), o.clone()).with_help("pass --user NAME, or set MAILTO in the crontab")),
            },
        }
    }

    /// Mail recipients as alert routes, the run-as and collision findings, and the lints.
    fn finish(mut self, group: &[Job]) -> (System, Vec<Finding>) {
        for (addr, triggers) in &self.mail {
            let route = if addr.contains('@') {
                addr.clone()
            } else {
                format!("{addr}@localhost")
            };
            self.sys.observability.alerts.push(Alert {
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
            self.local.push(Finding::info(codes::CRON_RUN_AS.id, format!("cron ran these jobs as {}; each step records it as `user`, but shell.run runs commands as the runtime's own user", users.iter().copied().collect::<Vec<_>>().join(", ")), origin(self.first_file, None, None)));
        }
        collisions(&self.schedules, &mut self.local);
        let sys_name = self.sys.system.clone();
        // Lints only: the writer validates every system before writing it (`output::Writer`),
        // and validating one 85,000-trigger system twice cost a second of a large import.
        let diags = claw_language::lint_system(&self.sys);
        self.local.extend(Finding::from_lints(
            &sys_name,
            diags,
            &origin(self.first_file, None, None),
        ));
        for f in &mut self.local {
            f.system = Some(sys_name.clone());
        }
        (self.sys, self.local)
    }
}
