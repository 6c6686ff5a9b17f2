//! From parsed cron files to systems: one schedule trigger per job, guards as a check step plus
//! a decision, the command as a `shell.run` step, run-parts folders expanded into their
//! scripts, MAILTO as alert routes, and findings for what cron never had.
//!
//! Three stages: [`jobs`] reads every input file into `Job`s ([`command`] turns each command
//! line into one, credentials replaced by [`redact`]; run-parts folders are read into
//! scripts), [`build`] groups jobs into systems and writes their items, and [`collisions`]
//! finds the jobs of one system that can start in the same minute. This file holds the types
//! the stages pass along and the entry point that runs them.

mod build;
mod collisions;
mod command;
mod jobs;
mod mail;
mod redact;

use super::shell::Guard;
use super::sources::{RunPartsPeriod, SourceFile};
use super::{CrontabError, Imported, Options};
use crate::findings::{Finding, Origin};
use claw_language::cron::Schedule;
use indexmap::IndexMap;
use serde_json::Value;
use std::collections::BTreeSet;

/// Debian's default PATH for cron jobs (cronie: `/usr/bin:/bin:/usr/sbin:/sbin`).
const DEBIAN_DEFAULT_PATH: &str = "/usr/bin:/bin";
/// The PATH Debian's stock /etc/crontab sets for run-parts.
const ETC_CRONTAB_PATH: &str = "/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin";
/// Marker printed by a guard check step when the job would run.
const GUARD_PASS: &str = "claw-guard:pass\\n";
/// Collision analysis stops after this many candidate pairs (a finding says so).
const MAX_COLLISION_PAIRS: usize = 2_000_000;

/// When a job fires, as cron (or anacron) would decide it.
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

/// Where cron mailed a job's output (MAILTO, as set for the job's line).
#[derive(Debug, Clone)]
enum Mail {
    Unset,
    Empty,
    To(Vec<String>),
}

/// What a job runs: a command line (with its `%` stdin), or a run-parts folder.
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

/// One cron job, read from its line with the environment in force there, before it is placed
/// in a system.
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

/// A script of a run-parts folder that run-parts would run.
#[derive(Debug, Clone)]
struct Script {
    file: usize,
    name: String,
    legacy_path: String,
    systemd_fallback: bool,
}

/// The scripts of each run-parts folder read, by period, in the order run-parts runs them.
type Folders = std::collections::BTreeMap<RunPartsPeriod, Vec<Script>>;

/// What the stages share: the input files, the options, and input-level findings (per file).
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

/// Runs the stages: jobs from every file, then systems from the jobs.
pub(super) fn infer(files: Vec<SourceFile>, opts: &Options) -> Result<Imported, CrontabError> {
    let mut ctx = Ctx {
        files: &files,
        opts,
        findings: Vec::new(),
        reported: BTreeSet::new(),
    };
    let (jobs, folders) = jobs::collect(&mut ctx)?;
    build::build(ctx, jobs, &folders)
}
