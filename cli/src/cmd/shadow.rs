//! `claw shadow` arguments and output: each subcommand is parsed into a request for
//! `claw_shadow::commands` and what it returns is printed (compare a legacy setup with an
//! imported system, record legacy cron runs, mirror live webhooks, show parity over time).

use crate::output::{Format, exit};
use anyhow::Context;
use claw_shadow::commands::compare::{CompareRequest, LegacySources};
use claw_shadow::commands::serve::{ServeEvent, ServeRequest};
use claw_shadow::commands::wrap::WrapRequest;
use claw_shadow::correlate::Tolerances;
use claw_shadow::model::parse_time;
use claw_shadow::{commands, cron_log, html, wrap};
use std::path::PathBuf;
use std::process::ExitCode;

/// `claw shadow` and its subcommand.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Compare what the legacy did with what the imported system would have done.
    ///
    /// Legacy side: any of --zapier-json, --zapier-csv, --cron-log, --outcome-log, --wrap-records.
    /// Shadow side: --shadow outcome logs recorded in record-only mode, and/or the
    /// system's schedule fire times over --from/--to.
    /// Exit 1 when --gate is given and parity is below it or any legacy run is missing.
    Compare(Box<CompareArgs>),
    /// Run a legacy command unchanged and record start, end, exit code and output digests.
    ///
    /// Put it in front of a crontab command for the shadow period:
    /// `30 2 * * * claw shadow wrap --system nightly-backup --job nightly -- /usr/local/bin/backup.sh`.
    /// The exit code, stdout, stderr and signals are passed through; a store failure is
    /// reported on stderr and never changes the command's outcome.
    Wrap(WrapArgs),
    /// Mirror live webhooks: forward each to the legacy endpoint, answer with its
    /// exact response, then run the payload through the system in record-only mode.
    ///
    /// Each request and its shadow outcome are recorded in --store for
    /// `claw shadow compare --mirrored`. The shadow side runs after the legacy answered and
    /// never changes that answer: if the store or the system fails, requests are still
    /// forwarded, and failures are logged to stderr and counted (`GET /shadow/status`).
    /// Stops on SIGINT/SIGTERM after the queued requests are shadowed (up to 30 s).
    Serve(ServeArgs),
    /// Parity per day over every comparison recorded in the store.
    History(HistoryArgs),
}

#[derive(clap::Args)]
struct CompareArgs {
    /// The imported system (.claw).
    #[arg(long, value_name = "FILE")]
    system: PathBuf,
    /// Zapier run-history JSON pages (Partner API `zap-runs` shape).
    #[arg(long, value_name = "FILE")]
    zapier_json: Vec<PathBuf>,
    /// Zap History CSV files (layout in docs/formats/zapier-history.md).
    #[arg(long, value_name = "FILE")]
    zapier_csv: Vec<PathBuf>,
    /// Cron syslog/journal excerpts (`CRON[pid]: (user) CMD (command)` lines).
    #[arg(long, value_name = "FILE")]
    cron_log: Vec<PathBuf>,
    /// Legacy outcome logs (JSON Lines, docs/formats/outcome-log.md).
    #[arg(long, value_name = "FILE")]
    outcome_log: Vec<PathBuf>,
    /// Only read Zapier runs of this (live) Zap id.
    #[arg(long, value_name = "ID")]
    zap_id: Option<String>,
    /// More trigger inputs for the shadow side: JSON Lines `{"at", "trigger", "payload"}`.
    #[arg(long, value_name = "FILE")]
    inputs: Vec<PathBuf>,
    /// Also take the requests `claw shadow serve` mirrored into --store: the shadow outcome
    /// recorded for each as it arrived, or, when none stands for this version of the
    /// system (not recorded, or recorded before the system was edited), a replay here.
    #[arg(long)]
    mirrored: bool,
    /// Use the `claw shadow wrap` records in the store as legacy runs.
    #[arg(long)]
    wrap_records: bool,
    /// Shadow outcome logs (JSON Lines) recorded elsewhere. Without them, the system is run
    /// here by the record-only runtime on every legacy input that carries its payload.
    #[arg(long, value_name = "FILE")]
    shadow: Vec<PathBuf>,
    /// Start of the window (RFC 3339): the schedule's fire times from here are the shadow runs.
    #[arg(long, value_name = "TIME", requires = "to")]
    from: Option<String>,
    /// End of the window (RFC 3339, inclusive).
    #[arg(long, value_name = "TIME", requires = "from")]
    to: Option<String>,
    /// Year of RFC 3164 syslog timestamps (they carry none).
    #[arg(long)]
    year: Option<i32>,
    /// Time zone of syslog timestamps without an offset.
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    log_tz: String,
    /// How far apart two runs with the same payload may be to pair.
    #[arg(long, value_name = "DURATION", default_value = "10m")]
    window: String,
    /// How far a legacy job start may be from a schedule fire time.
    #[arg(long, value_name = "DURATION", default_value = "90s")]
    tolerance: String,
    /// Field paths (globs over dotted paths, e.g. `steps.*.with.timestamp`) to treat as noise.
    #[arg(long, value_name = "PATH")]
    ignore: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// Also write a self-contained HTML report.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Minimum parity in percent; exit 1 below it or when any legacy run is missing.
    #[arg(long, value_name = "PERCENT")]
    gate: Option<f64>,
    /// Shadow store (SQLite file): verdicts are added for `history`; wrap records are read from it.
    #[arg(long, value_name = "PATH")]
    store: Option<PathBuf>,
}

#[derive(clap::Args)]
struct WrapArgs {
    /// System the job belongs to.
    #[arg(long)]
    system: String,
    /// Job: the name of the schedule trigger in the imported system.
    #[arg(long)]
    job: String,
    /// Shadow store (SQLite file).
    #[arg(long, value_name = "PATH", default_value = "shadow.db")]
    store: PathBuf,
    /// The legacy command and its arguments.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<String>,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// The imported system (.claw).
    system: PathBuf,
    /// Legacy endpoint (e.g. the Zapier catch-hook URL).
    #[arg(long, value_name = "URL")]
    forward: String,
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Shadow store (SQLite file) where mirrored requests and their shadow outcomes are kept.
    #[arg(long, value_name = "PATH", default_value = "shadow.db")]
    store: PathBuf,
}

#[derive(clap::Args)]
struct HistoryArgs {
    /// System name.
    #[arg(long)]
    system: String,
    /// Shadow store (SQLite file).
    #[arg(long, value_name = "PATH", default_value = "shadow.db")]
    store: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// Runs the command.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    match a.command {
        Sub::Compare(c) => run_compare(*c),
        Sub::Wrap(w) => run_wrap(w),
        Sub::Serve(s) => run_serve(s),
        Sub::History(h) => run_history(h),
    }
}

fn duration(text: &str, what: &str) -> anyhow::Result<std::time::Duration> {
    claw_language::units::parse_duration(text)
        .map_err(|e| anyhow::anyhow!("--{what} `{text}`: {e}"))
}

fn time(text: &str, what: &str) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    parse_time(text).with_context(|| format!("--{what} `{text}` is not an RFC 3339 time"))
}

fn compare_request(a: CompareArgs) -> anyhow::Result<CompareRequest> {
    let tolerances = Tolerances::from_std(
        duration(&a.window, "window")?,
        duration(&a.tolerance, "tolerance")?,
    );
    let window = match (&a.from, &a.to) {
        (Some(f), Some(t)) => Some((time(f, "from")?, time(t, "to")?)),
        _ => None,
    };
    Ok(CompareRequest {
        system: a.system,
        legacy: LegacySources {
            zapier_json: a.zapier_json,
            zapier_csv: a.zapier_csv,
            cron_log: a.cron_log,
            outcome_log: a.outcome_log,
            wrap_records: a.wrap_records,
            zap_id: a.zap_id,
            syslog_year: a.year,
            syslog_zone: cron_log::zone(&a.log_tz)?,
        },
        shadow_logs: a.shadow,
        inputs: a.inputs,
        mirrored: a.mirrored,
        window,
        tolerances,
        ignore: a.ignore,
        gate: a.gate,
        store: a.store,
    })
}

fn run_compare(a: CompareArgs) -> anyhow::Result<ExitCode> {
    let (format, html_path) = (a.format, a.html.clone());
    let report = commands::compare::run(&compare_request(a)?)?;
    if let Some(h) = &html_path {
        claw_language::files::write_atomic(h, html::render(&report).as_bytes())
            .with_context(|| format!("{}: cannot write the HTML report", h.display()))?;
    }
    match format {
        Format::Text => print!("{}", report.to_text()),
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    Ok(match &report.gate {
        Some(g) if !g.passed => exit::findings(),
        _ => exit::ok(),
    })
}

fn run_wrap(a: WrapArgs) -> anyhow::Result<ExitCode> {
    let req = WrapRequest {
        system: a.system,
        job: a.job,
        store: a.store,
        command: a.command,
    };
    let w = match commands::wrap::run(&req) {
        Ok(w) => w,
        Err(e) => {
            eprintln!(
                "claw shadow wrap: {}: {e}",
                req.command.first().map_or("", String::as_str)
            );
            return Ok(ExitCode::from(wrap::spawn_failure_code(&e)));
        }
    };
    if let Err(e) = w.stored {
        eprintln!(
            "claw shadow wrap: run not recorded: {:#}",
            anyhow::Error::from(e)
        );
    }
    Ok(ExitCode::from(w.ended.exit_like()))
}

fn run_serve(a: ServeArgs) -> anyhow::Result<ExitCode> {
    let req = ServeRequest {
        system: a.system,
        forward: a.forward,
        listen: a.listen,
        store: a.store,
    };
    commands::serve::run(&req, |event| match event {
        ServeEvent::ShadowDisabled(e) => {
            eprintln!("claw shadow serve: shadow side disabled, only forwarding: {e}")
        }
        ServeEvent::Listening {
            system,
            triggers,
            addr,
            forward,
        } => eprintln!(
            "claw shadow serve: mirroring /hooks/{system}/{{{}}} on http://{addr} to {forward}",
            triggers.join(",")
        ),
        ServeEvent::Stopped(s) => eprintln!(
            "claw shadow serve: stopped; {} request(s) mirrored, {} shadow outcome(s) recorded, {} failed, {} dropped",
            s.received, s.recorded, s.failed, s.dropped
        ),
    })?;
    Ok(exit::ok())
}

fn run_history(a: HistoryArgs) -> anyhow::Result<ExitCode> {
    let days = commands::history::run(&a.store, &a.system)?;
    match a.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&days)?),
        Format::Text => {
            println!("shadow {}: parity per day", a.system);
            for d in &days {
                let p = d.tally.parity.map_or("n/a".into(), |p| format!("{p:.2}%"));
                println!(
                    "  {}  {p:>8}  {} of {} at parity; missing {}, extra {}",
                    d.day,
                    d.tally.at_parity,
                    d.tally.compared,
                    d.tally.counts.get("missing").copied().unwrap_or(0),
                    d.tally.counts.get("extra").copied().unwrap_or(0)
                );
            }
        }
    }
    Ok(exit::ok())
}
