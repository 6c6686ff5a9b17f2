//! Shared by the runtime commands: database option, system loading, output, times.

use crate::output::Format;
use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, Utc};
use claw_runtime::{LoadedSystem, SqlStore, UnixMillis};
use std::path::PathBuf;
use std::sync::Arc;

/// The default database: a SQLite file in the working directory.
pub const DEFAULT_DB: &str = "sqlite://claw.db";

/// `--db` and `--format`, shared by every runtime command.
///
/// Global, so that commands with subcommands (`claw dlq list --db X --format json`) take
/// them after the subcommand like every other runtime command does.
#[derive(clap::Args, Debug, Clone)]
pub struct DbArgs {
    /// Database URL: sqlite://FILE (default sqlite://claw.db) or postgres://USER@HOST:PORT/DB.
    #[arg(long, global = true, default_value = DEFAULT_DB)]
    pub db: String,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `--dry-run` beside `--db` and `--format`: what the commands that start runs in bulk
/// (`backfill`, `replay`) take.
#[derive(clap::Args, Debug, Clone)]
pub struct BulkArgs {
    /// Record what adapters would do; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

/// Prints what a bulk command did, `json()` with `--format json`, otherwise each of `runs` on
/// a line and then `summary`; the exit code is 1 when `failed`.
pub fn report_runs(
    format: Format,
    json: impl FnOnce() -> serde_json::Value,
    runs: &[serde_json::Value],
    summary: &str,
    failed: bool,
) -> Result<std::process::ExitCode> {
    match format {
        Format::Json => print_json(&json())?,
        Format::Text => {
            for r in runs {
                println!("{r}");
            }
            println!("{summary}");
        }
    }
    Ok(if failed {
        crate::output::exit::findings()
    } else {
        crate::output::exit::ok()
    })
}

/// A multi-threaded tokio runtime for one command.
pub fn tokio() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// `LEVEL target: message key=value …`, for people.
    Text,
    /// One JSON object per line (`timestamp`, `level`, `fields`, `target`, `span`), for
    /// log shippers.
    Json,
}

/// Starts `tracing` output on stderr: level from `RUST_LOG` (else `default_level`), format
/// `format`, or `CLAW_LOG_FORMAT=json|text` when `format` is `None`.
pub fn init_logging(default_level: &str, format: Option<LogFormat>) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let format = format.unwrap_or_else(|| match std::env::var("CLAW_LOG_FORMAT") {
        Ok(v) if v.eq_ignore_ascii_case("json") => LogFormat::Json,
        _ => LogFormat::Text,
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().with_ansi(false).try_init(),
        LogFormat::Text => builder.with_ansi(crate::output::color_stderr()).try_init(),
    };
}

/// Opens and migrates the database.
pub async fn open(db: &str) -> Result<Arc<SqlStore>> {
    claw_runtime::install_crypto();
    let store = SqlStore::connect(db)
        .await
        .with_context(|| format!("cannot open {}", claw_runtime::store::redact(db)))?;
    Ok(Arc::new(store))
}

/// Loads every `.claw` file under `paths`, refusing invalid systems.
pub fn load_systems(paths: &[PathBuf]) -> Result<Vec<LoadedSystem>> {
    Ok(claw_runtime::ops::load_systems(paths)?)
}

/// Reads `--payload`: inline JSON or `@FILE`.
pub fn payload(arg: &str) -> Result<serde_json::Value> {
    let (text, label) = match arg.strip_prefix('@') {
        Some(f) => (
            std::fs::read_to_string(f).with_context(|| format!("cannot read {f}"))?,
            f.to_string(),
        ),
        None => (arg.to_string(), "--payload".to_string()),
    };
    serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}: {label}:{}:{}: not JSON: {e}",
            claw_runtime::codes::BAD_JSON.id,
            e.line(),
            e.column()
        )
    })
}

/// Parses a time: RFC 3339, or a date (midnight UTC).
pub fn time(arg: &str) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(arg) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(arg, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc());
    }
    bail!("`{arg}` is not a time: expected RFC 3339 (2026-11-02T10:00:00Z) or a date (2026-11-02)")
}

/// An instant as RFC 3339 for text output; `-` for none.
pub fn show_ms(t: Option<UnixMillis>) -> String {
    t.and_then(UnixMillis::to_datetime)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| "-".into())
}

/// Prints JSON on stdout.
pub fn print_json(v: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}
