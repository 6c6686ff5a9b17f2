//! `claw run`: load systems, resume unfinished runs, serve triggers until a signal, drain.

use super::common::{self, DbArgs};
use anyhow::Result;
use claw_runtime::service::{Service, ServiceOptions};
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
    let d = claw_language::units::parse_duration(s)?;
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
    let opts = ServiceOptions {
        db_url: a.db.db.clone(),
        listen: a.listen,
        dry_run: a.dry_run,
        secrets_file: a.secrets.clone(),
        body_limit: a.body_limit,
        slo_window: a.slo_window,
        alert_interval: a.alert_interval,
        pagerduty_url: a.pagerduty_url.clone(),
    };
    let mut service = Service::start(opts, systems).await?;
    // A machine-readable ready line on stdout (tests and supervisors wait for it).
    println!("listening on http://{}", service.addr());
    tokio::select! {
        _ = shutdown_signal() => {}
        r = service.wait() => r?,
    }
    service.shutdown(Duration::from_secs(a.grace)).await?;
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
