//! `claw shadow`: compare a legacy setup with an imported system, record legacy
//! cron runs, mirror live webhooks, and show parity over time.

use crate::output::{Format, exit};
use anyhow::{Context, bail};
use claw_shadow::bind::Binding;
use claw_shadow::compare::{Options, compare};
use claw_shadow::correlate::Tolerances;
use claw_shadow::model::{Outcome, parse_time};
use claw_shadow::report::Report;
use claw_shadow::store::{Store, WrapRecord};
use claw_shadow::{cron_log, html, outcome_log, wrap, zapier};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// claw shadow
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

fn load_system(path: &Path) -> anyhow::Result<claw_language::model::System> {
    let (_, checked) = claw_language::check::check_file(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    match checked.valid_system() {
        Some(s) => Ok(s.clone()),
        None => {
            let first = checked
                .diagnostics
                .iter()
                .find(|d| d.is_error())
                .map(|d| d.message.clone())
                .unwrap_or_else(|| "does not parse".into());
            bail!(
                "{}: not a valid system (run `claw check`): {first}",
                path.display()
            )
        }
    }
}

fn label(p: &Path) -> String {
    p.display().to_string()
}

fn read(p: &Path) -> anyhow::Result<String> {
    Ok(claw_shadow::error::read_text(p)?)
}

fn duration(text: &str, what: &str) -> anyhow::Result<std::time::Duration> {
    claw_language::units::parse_duration(text)
        .map_err(|e| anyhow::anyhow!("--{what} `{text}`: {e}"))
}

fn run_compare(a: CompareArgs) -> anyhow::Result<ExitCode> {
    let sys = load_system(&a.system)?;
    let mut bind = Binding::new(&sys);
    bind.legacy_id = a.zap_id.clone();
    let tz = cron_log::zone(&a.log_tz)?;
    let tol = Tolerances::from_std(
        duration(&a.window, "window")?,
        duration(&a.tolerance, "tolerance")?,
    );
    let mut legacy: Vec<Outcome> = Vec::new();
    let mut notes = Vec::new();
    for p in &a.zapier_json {
        let r = zapier::parse_json(&read(p)?, &label(p), &bind)?;
        legacy.extend(r.outcomes);
        notes.extend(r.notes);
    }
    for p in &a.zapier_csv {
        let r = zapier::parse_csv(&read(p)?, &label(p), &bind)?;
        legacy.extend(r.outcomes);
        notes.extend(r.notes);
    }
    for p in &a.cron_log {
        let r = cron_log::parse(&read(p)?, &label(p), &bind, a.year, tz)?;
        legacy.extend(r.outcomes);
        notes.extend(r.notes);
    }
    for p in &a.outcome_log {
        legacy.extend(outcome_log::parse(&read(p)?, &label(p), &sys.system)?);
    }
    let rt = claw_shadow::runtime()?;
    let mut shadow: Vec<Outcome> = Vec::new();
    for p in &a.shadow {
        shadow.extend(outcome_log::parse(&read(p)?, &label(p), &sys.system)?);
    }
    let mut extra_inputs = Vec::new();
    for p in &a.inputs {
        extra_inputs.extend(claw_shadow::simulate::parse_inputs(
            &read(p)?,
            &label(p),
            &bind,
        )?);
    }
    let mut covered = std::collections::BTreeSet::new();
    if a.mirrored {
        let Some(sp) = &a.store else {
            bail!("--mirrored needs --store PATH")
        };
        let rows = rt.block_on(async {
            let s = Store::open(sp).await?;
            let m = s.mirrored(&sys.system).await;
            s.close().await;
            m
        })?;
        let side =
            claw_shadow::mirrored::select(rows, &bind, &claw_shadow::model::system_digest(&sys));
        covered = side.covered();
        notes.extend(side.notes);
        shadow.extend(side.recorded);
        extra_inputs.extend(side.replay);
    }
    let replay: Vec<&Outcome> = legacy
        .iter()
        .chain(&extra_inputs)
        .filter(|o| o.payload.is_some())
        .collect();
    if !replay.is_empty() {
        shadow.extend(rt.block_on(async {
            let sim = claw_shadow::simulate::Simulator::new(&a.system).await?;
            sim.replay_inputs(&bind, &replay, &covered).await
        })?);
    }
    let window = match (&a.from, &a.to) {
        (Some(f), Some(t)) => {
            let f =
                parse_time(f).with_context(|| format!("--from `{f}` is not an RFC 3339 time"))?;
            let t = parse_time(t).with_context(|| format!("--to `{t}` is not an RFC 3339 time"))?;
            shadow.extend(cron_log::fire_times(&bind, f, t)?);
            Some((f, t))
        }
        _ => None,
    };
    if let Some((f, t)) = window {
        // Runs outside the window have nothing to be compared with.
        legacy.retain(|o| o.at >= f - tol.tolerance && o.at <= t + tol.tolerance);
    }
    let store = match &a.store {
        Some(p) => Some(rt.block_on(Store::open(p))?),
        None => None,
    };
    if a.wrap_records {
        let Some(s) = &store else {
            bail!("--wrap-records needs --store PATH")
        };
        let mut w = rt.block_on(s.wrap_outcomes(&sys.system))?;
        if let Some((f, t)) = window {
            w.retain(|o| o.at >= f - tol.tolerance && o.at <= t + tol.tolerance);
        }
        legacy.extend(w);
    }
    if a.zapier_json.is_empty()
        && a.zapier_csv.is_empty()
        && a.cron_log.is_empty()
        && a.outcome_log.is_empty()
        && !a.wrap_records
    {
        bail!(
            "no legacy input: give --zapier-json, --zapier-csv, --cron-log, --outcome-log or --wrap-records"
        );
    }
    if shadow.is_empty() && window.is_none() && a.shadow.is_empty() {
        bail!(
            "no shadow input: the legacy runs carry no payload to replay; give --shadow FILE (an outcome log) or --from/--to for a schedule"
        );
    }
    let opts = Options {
        tolerances: tol,
        ignore: a.ignore.clone(),
    };
    let cmp = compare(&legacy, &shadow, &opts)?;
    let report = Report::build(&sys.system, &legacy, &shadow, &cmp, notes, a.gate);
    if let Some(s) = store {
        rt.block_on(s.add_report(&report))?;
        rt.block_on(s.close());
    }
    if let Some(h) = &a.html {
        claw_language::files::write_atomic(h, html::render(&report).as_bytes())
            .with_context(|| format!("{}: cannot write the HTML report", h.display()))?;
    }
    match a.format {
        Format::Text => print!("{}", report.to_text()),
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    Ok(match &report.gate {
        Some(g) if !g.passed => exit::findings(),
        _ => exit::ok(),
    })
}

fn run_wrap(a: WrapArgs) -> anyhow::Result<ExitCode> {
    let started_at = claw_shadow::model::now();
    let m = match wrap::run(&a.command) {
        Ok(m) => m,
        Err(e) => {
            // Like a shell: 127 when the command cannot be found, 126 when it cannot run.
            eprintln!(
                "claw shadow wrap: {}: {e}",
                a.command.first().map_or("", String::as_str)
            );
            return Ok(ExitCode::from(
                if e.kind() == std::io::ErrorKind::NotFound {
                    127
                } else {
                    126
                },
            ));
        }
    };
    let ended_at = claw_shadow::model::now();
    let (exit_code, signal) = match m.ended {
        wrap::Ended::Code(c) => (Some(c), None),
        wrap::Ended::Signal(s) => (None, Some(s)),
    };
    let rec = WrapRecord {
        system: a.system,
        job: a.job,
        started_at,
        ended_at,
        exit_code,
        signal,
        program: a.command.first().cloned().unwrap_or_default(),
        command_sha256: claw_shadow::model::payload_digest(&serde_json::json!(a.command)),
        stdout_sha256: m.stdout_sha256,
        stderr_sha256: m.stderr_sha256,
        stdout_bytes: m.stdout_bytes,
        stderr_bytes: m.stderr_bytes,
    };
    let stored = claw_shadow::runtime()
        .map_err(anyhow::Error::from)
        .and_then(|rt| {
            rt.block_on(async {
                let s = Store::open(&a.store).await?;
                s.add_wrap(&rec).await?;
                s.close().await;
                Ok::<_, claw_shadow::ShadowError>(())
            })
            .map_err(anyhow::Error::from)
        });
    if let Err(e) = stored {
        eprintln!("claw shadow wrap: run not recorded: {e:#}");
    }
    Ok(match m.ended {
        wrap::Ended::Code(c) => ExitCode::from((c & 0xff) as u8),
        wrap::Ended::Signal(s) => ExitCode::from(wrap::die_like(s)),
    })
}

fn run_serve(a: ServeArgs) -> anyhow::Result<ExitCode> {
    let sys = load_system(&a.system)?;
    let triggers: Vec<String> = sys
        .triggers
        .iter()
        .filter(|t| t.source == claw_language::model::Source::Webhook)
        .map(|t| t.name.clone())
        .collect();
    if triggers.is_empty() {
        bail!(
            "{}: system {} has no webhook trigger to mirror",
            a.system.display(),
            sys.system
        );
    }
    claw_shadow::mirror::check_forward(&a.forward)
        .map_err(|e| anyhow::anyhow!("--forward `{}`: {e}", a.forward))?;
    // Two workers: the shadow side's record-only runs never hold up forwarding.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = tokio_listener(&a.listen).await?;
        let (shadow, worker) = match start_shadow_side(&a.system, &a.store).await {
            Ok((s, w)) => (Some(s), Some(w)),
            Err(e) => {
                // The legacy path must keep working even when the shadow side cannot.
                eprintln!("claw shadow serve: shadow side disabled, only forwarding: {e}");
                (None, None)
            }
        };
        eprintln!(
            "claw shadow serve: mirroring /hooks/{}/{{{}}} on http://{} to {}",
            sys.system,
            triggers.join(","),
            listener.local_addr()?,
            a.forward
        );
        let cfg = claw_shadow::mirror::MirrorConfig {
            system: sys.system.clone(),
            triggers,
            forward: a.forward.clone(),
            shadow,
        };
        claw_shadow::mirror::serve(cfg, listener, claw_shadow::mirror::shutdown_signal()).await?;
        if let Some(w) = worker {
            let s = w.finish(std::time::Duration::from_secs(30)).await;
            eprintln!(
                "claw shadow serve: stopped; {} request(s) mirrored, {} shadow outcome(s) recorded, {} failed, {} dropped",
                s.received, s.recorded, s.failed, s.dropped
            );
        }
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(exit::ok())
}

async fn start_shadow_side(
    system: &Path,
    store: &Path,
) -> Result<(claw_shadow::live::ShadowSide, claw_shadow::live::Worker), claw_shadow::ShadowError> {
    let store = Store::open(store).await?;
    let loaded = claw_shadow::simulate::load(system)?;
    claw_shadow::live::ShadowSide::start(loaded, store, claw_shadow::live::DEFAULT_QUEUE).await
}

async fn tokio_listener(addr: &str) -> anyhow::Result<claw_shadow::mirror::Listener> {
    claw_shadow::mirror::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))
}

fn run_history(a: HistoryArgs) -> anyhow::Result<ExitCode> {
    let rt = claw_shadow::runtime()?;
    let days = rt.block_on(async {
        let s = Store::open(&a.store).await?;
        let d = s.days(&a.system).await?;
        s.close().await;
        Ok::<_, claw_shadow::ShadowError>(d)
    })?;
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
