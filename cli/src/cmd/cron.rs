//! `claw cron next|explain`: check a crontab schedule with the same engine the importer and the
//! runtime use, before trusting it.

use crate::output::{Format, exit};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use claw_language::codes;
use claw_language::cron::{self, CronError};
use std::process::ExitCode;

/// Check crontab schedules: next fire times and plain-English explanations.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Subcommand)]
enum Cmd {
    /// Print the next fire times of a schedule (5 fields or @keyword), following Debian cron's
    /// rules, including its DST behaviour in the given zone.
    Next(NextArgs),
    /// Say in words when a schedule runs, with the day-of-month / day-of-week rule spelled out.
    Explain(ExplainArgs),
}

/// `claw cron next`.
#[derive(clap::Args)]
struct NextArgs {
    /// The schedule, quoted: `"30 4 1,15 * 5"` or `@daily`.
    expr: String,
    /// Start (exclusive): RFC 3339 (`2025-03-30T01:00:00Z`) or local wall time in --tz
    /// (`2025-03-30 01:00` or `2025-03-30T01:00`). Default: now.
    #[arg(long)]
    from: Option<String>,
    /// How many fire times.
    #[arg(long, default_value_t = 5)]
    count: usize,
    /// IANA time zone cron runs in (the daemon's zone).
    #[arg(long, default_value = "UTC")]
    tz: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// `claw cron explain`.
#[derive(clap::Args)]
struct ExplainArgs {
    /// The schedule, quoted.
    expr: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// Runs the command.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    match a.cmd {
        Cmd::Next(n) => next(n),
        Cmd::Explain(e) => explain(e),
    }
}

fn report_parse_error(expr: &str, e: &CronError, format: Format) -> ExitCode {
    let span = e.span();
    let col = expr
        .get(..span.start.min(expr.len()))
        .map_or(1, |s| s.chars().count() + 1);
    match format {
        Format::Json => println!(
            "{}",
            serde_json::json!({
                "error": {
                    "code": e.code(),
                    "message": e.message(),
                    "explanation": e.explanation(),
                    "debian_message": e.debian_message(),
                    "column": col,
                    "span": [span.start, span.end],
                }
            })
        ),
        Format::Text => {
            let width = expr
                .get(span.clone())
                .map_or(1, |s| s.chars().count().max(1));
            eprintln!("error[{}]: {}: {}", e.code(), e.message(), e.explanation());
            eprintln!("  | {expr}");
            eprintln!("  | {}{}", " ".repeat(col - 1), "^".repeat(width));
            if e.debian_message().is_none() {
                eprintln!(
                    "  = note: Debian's cron accepts this text; we reject it on purpose (see docs/cron.md)"
                );
            }
        }
    }
    exit::usage()
}

fn parse_from(text: &str, tz: chrono_tz::Tz) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let naive = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .or_else(|| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)))
        .ok_or_else(|| format!("`{text}` is not a time: expected RFC 3339 (2025-03-30T01:00:00Z) or `YYYY-MM-DD HH:MM` in --tz"))?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("`{text}` does not exist in {tz} (skipped by a DST change)"))
}

fn next(a: NextArgs) -> anyhow::Result<ExitCode> {
    let tz: chrono_tz::Tz = match a.tz.parse() {
        Ok(z) => z,
        Err(_) => {
            eprintln!(
                "error[{}]: unknown time zone `{}`: use an IANA name such as Europe/Paris",
                codes::BAD_TIMEZONE.id,
                a.tz
            );
            return Ok(exit::usage());
        }
    };
    let schedule = match cron::parse(&a.expr) {
        Ok(s) => s,
        Err(e) => return Ok(report_parse_error(&a.expr, &e, a.format)),
    };
    let from = match &a.from {
        None => Utc::now(),
        Some(t) => match parse_from(t, tz) {
            Ok(t) => t,
            Err(m) => {
                eprintln!("error[{}]: --from: {m}", codes::BAD_VALUE.id);
                return Ok(exit::usage());
            }
        },
    };
    let times: Vec<DateTime<chrono_tz::Tz>> = schedule
        .fire_times(from, tz)
        .take(a.count)
        .map(|t| t.with_timezone(&tz))
        .collect();
    let note = if schedule.is_reboot() {
        Some("@reboot runs once when cron starts at boot; it has no fire times")
    } else if !schedule.can_fire() {
        Some("this schedule never fires")
    } else {
        None
    };
    match a.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "expr": a.expr,
                "tz": a.tz,
                "from": from.to_rfc3339(),
                "explain": schedule.explain(),
                "times": times.iter().map(|t| t.to_rfc3339()).collect::<Vec<_>>(),
                "note": note,
            }))?
        ),
        Format::Text => {
            if let Some(n) = note {
                println!("{n}");
            }
            for t in &times {
                println!("{}", t.format("%Y-%m-%d %H:%M %a %:z"));
            }
        }
    }
    Ok(exit::ok())
}

fn explain(a: ExplainArgs) -> anyhow::Result<ExitCode> {
    let schedule = match cron::parse(&a.expr) {
        Ok(s) => s,
        Err(e) => return Ok(report_parse_error(&a.expr, &e, a.format)),
    };
    match a.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "expr": a.expr,
                "explain": schedule.explain(),
                "five_field_form": schedule.five_field_form(),
                "flags": schedule.flags().names(),
                "wildcard": schedule.is_wildcard(),
                "can_fire": schedule.can_fire(),
            }))?
        ),
        Format::Text => println!("{}", schedule.explain()),
    }
    Ok(exit::ok())
}
