//! `claw run`: load systems, resume unfinished runs, serve triggers until a signal, drain.

use super::common::{self, DbArgs};
use anyhow::{Context, Result};
use claw_runtime::alerts::Alerts;
use claw_runtime::scheduler::Scheduler;
use claw_runtime::secrets::Secrets;
use claw_runtime::triggers::poll::Poller;
use claw_runtime::triggers::queue::QueueConsumer;
use claw_runtime::{Mode, Runtime};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Run systems durably: webhooks, schedules, polls, queues and manual triggers, until
/// SIGINT/SIGTERM.
///
/// Alerts are evaluated over each system's SLO figures every --alert-interval and fire to
/// their route once per breach; events past `data.events.retention` are pruned hourly.
/// Every trigger is stored before it is acknowledged; after a crash, starting again
/// resumes every accepted run that had not finished. On SIGINT/SIGTERM the runtime stops
/// taking work, lets in-flight attempts finish within --grace, and exits; waiting runs
/// resume on the next start.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// .claw files or directories holding them.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub db: DbArgs,
    /// Address for webhooks, /metrics, /healthz and the admin endpoint (loopback by default).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Record what every adapter would do instead of doing it.
    #[arg(long)]
    pub dry_run: bool,
    /// File of NAME=value lines for secret:// references (environment variables CLAW_SECRET_<NAME> win).
    #[arg(long)]
    pub secrets: Option<PathBuf>,
    /// Largest webhook body in bytes (larger ones get 413).
    #[arg(long, default_value_t = claw_runtime::server::DEFAULT_BODY_LIMIT)]
    pub body_limit: usize,
    /// Seconds in-flight attempts get to finish on shutdown.
    #[arg(long, default_value_t = 30)]
    pub grace: u64,
    /// Window the SLO figures behind alerts are computed over, e.g. 1h or 15m.
    #[arg(long, default_value = "1h", value_parser = duration)]
    pub slo_window: Duration,
    /// Time between alert evaluations, e.g. 30s.
    #[arg(long, default_value = "30s", value_parser = duration)]
    pub alert_interval: Duration,
    /// Where `pagerduty://` alert routes send Events API v2 events (e.g. an EU-region
    /// endpoint or a proxy). Routing keys come from the secrets
    /// `pagerduty_routing_key_<service>` or `pagerduty_routing_key`.
    #[arg(long, default_value = claw_runtime::alerts::PAGERDUTY_EVENTS_URL)]
    pub pagerduty_url: String,
    /// Log line format on stderr (default: text, or CLAW_LOG_FORMAT). Every line of a run
    /// carries `run_id` and `step`; the level comes from RUST_LOG (default info).
    #[arg(long, value_enum)]
    pub log_format: Option<common::LogFormat>,
}

fn duration(s: &str) -> Result<Duration, String> {
    let d = claw_language::units::parse_duration(s).map_err(|e| e.to_string())?;
    if d.is_zero() {
        return Err("must be longer than zero".into());
    }
    Ok(d)
}

/// Runs the command.
pub fn run(a: Args) -> Result<ExitCode> {
    common::init_logging("info", a.log_format);
    let systems = match common::load_systems(&a.paths) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(crate::output::exit::findings());
        }
    };
    common::tokio()?.block_on(serve(a, systems))
}

async fn serve(a: Args, systems: Vec<claw_runtime::LoadedSystem>) -> Result<ExitCode> {
    let store = common::open(&a.db.db).await?;
    let secrets = match &a.secrets {
        Some(p) => Secrets::with_file(p)?,
        None => Secrets::from_env(),
    };
    let mut b = Runtime::builder(store).secrets(secrets).mode(if a.dry_run {
        Mode::RecordOnly
    } else {
        Mode::Live
    });
    let names: Vec<String> = systems.iter().map(|s| s.name().to_string()).collect();
    for s in systems {
        b = b.system(s);
    }
    let rt = b.build().await?;
    let scheduler = Scheduler::new(rt.clone())?;
    let poller = Poller::new(rt.clone())?;
    let consumer = QueueConsumer::new(rt.clone())?;
    let alerts = Alerts::new(rt.clone(), a.slo_window, a.alert_interval)
        .with_pagerduty_url(a.pagerduty_url.clone());
    let resumed = rt.resume().await?;
    let listener = tokio::net::TcpListener::bind(a.listen)
        .await
        .with_context(|| format!("cannot listen on {}", a.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, systems = ?names, resumed, dry_run = a.dry_run, "claw run is serving");
    // A machine-readable ready line on stdout (tests and supervisors wait for it).
    println!("listening on http://{addr}");
    let background = [
        tokio::spawn(scheduler.run()),
        tokio::spawn(poller.run()),
        tokio::spawn(consumer.run()),
        tokio::spawn(alerts.run()),
        tokio::spawn(claw_runtime::retention::run(rt.clone())),
    ];
    claw_runtime::server::serve(listener, rt.clone(), a.body_limit, shutdown_signal())
        .await
        .context("the HTTP server failed")?;
    tracing::info!("draining");
    for task in &background {
        task.abort();
    }
    let clean = rt.drain(Duration::from_secs(a.grace)).await;
    tracing::info!(clean, left = rt.inflight(), "stopped");
    Ok(crate::output::exit::ok())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term.recv() => {},
    }
}
