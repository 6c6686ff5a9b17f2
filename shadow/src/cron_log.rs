//! Cron's own log lines (syslog or the journal) → job runs, and a schedule's
//! fire times → the runs the imported system would have made.

use crate::bind::Binding;
use crate::error::ShadowError;
use crate::model::{Correlation, Outcome};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use regex::Regex;

/// Parsed runs plus notes about lines that were not job runs of this system.
#[derive(Debug, Default)]
pub struct Parsed {
    /// One outcome per `CMD` line of a job of this system.
    pub outcomes: Vec<Outcome>,
    /// Commands seen that match no schedule trigger of the system.
    pub notes: Vec<String>,
}

fn line_re() -> Regex {
    // Both `Nov  2 02:30:01 host CRON[123]: …` (RFC 3164) and
    // `2026-11-02T02:30:01.123456+01:00 host CRON[123]: …` (RFC 3339 / journal short-iso).
    Regex::new(
        r"^(?P<ts>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)\s+\S+\s+(?:\S*/)?(?i:cron|crond)\[\d+\]:\s+\((?P<user>[^)]*)\)\s+CMD\s+\((?P<cmd>.*)\)\s*$",
    )
    .unwrap_or_else(|_| unreachable!("constant regex"))
}

/// Parses cron log lines. RFC 3164 timestamps have no year or zone: `year` (required
/// when such a line appears) and `tz`
/// (the host's zone) complete them; ISO timestamps without an offset are read in `tz`.
/// Lines that are not cron `CMD` lines are ignored.
pub fn parse(
    text: &str,
    label: &str,
    bind: &Binding,
    year: Option<i32>,
    tz: Tz,
) -> Result<Parsed, ShadowError> {
    let re = line_re();
    let mut out = Parsed::default();
    for (i, line) in text.lines().enumerate() {
        let Some(c) = re.captures(line) else { continue };
        let ts = &c["ts"];
        let rfc3164 = !ts.as_bytes().first().is_some_and(u8::is_ascii_digit);
        let year = match (rfc3164, year) {
            (true, None) => {
                return Err(ShadowError::shape(
                    label,
                    i + 1,
                    format!("`{ts}` has no year (RFC 3164): give the year of the log (--year)"),
                ));
            }
            (_, y) => y.unwrap_or(1970),
        };
        let at = parse_ts(ts, year, tz).ok_or_else(|| {
            ShadowError::shape(
                label,
                i + 1,
                format!("timestamp `{ts}` is not a valid time"),
            )
        })?;
        let cmd = c["cmd"].trim();
        let Some(t) = bind.cron_trigger(None, Some(cmd)) else {
            out.notes.push(format!(
                "{label}:{}: command `{cmd}` matches no schedule of {}",
                i + 1,
                bind.system
            ));
            continue;
        };
        out.outcomes.push(fire(
            format!("{label}:{}", i + 1),
            bind,
            &t.name,
            at,
            format!("started by ({})", &c["user"]),
        ));
    }
    Ok(out)
}

/// A cron run of `trigger` at `at`, correlated by its fire time: what a log line says ran, or
/// what the schedule says should have. Cron runs carry no payload and no steps to compare.
fn fire(
    source: String,
    bind: &Binding,
    trigger: &str,
    at: DateTime<Utc>,
    status: String,
) -> Outcome {
    Outcome {
        source,
        system: bind.system.clone(),
        trigger: trigger.to_string(),
        correlation: Correlation::FireTime,
        at,
        payload_digest: None,
        branches: Vec::new(),
        steps: Vec::new(),
        status,
        payload: None,
    }
}

fn parse_ts(ts: &str, year: i32, tz: Tz) -> Option<DateTime<Utc>> {
    if ts.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        let t = ts.replacen(' ', "T", 1);
        if let Ok(d) = DateTime::parse_from_rfc3339(&t) {
            return Some(d.with_timezone(&Utc));
        }
        if let Ok(d) = DateTime::parse_from_str(&t, "%Y-%m-%dT%H:%M:%S%.f%z") {
            return Some(d.with_timezone(&Utc));
        }
        let n = NaiveDateTime::parse_from_str(&t, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
        return tz
            .from_local_datetime(&n)
            .earliest()
            .map(|d| d.with_timezone(&Utc));
    }
    let squeezed = ts.split_whitespace().collect::<Vec<_>>().join(" ");
    let n =
        NaiveDateTime::parse_from_str(&format!("{year} {squeezed}"), "%Y %b %d %H:%M:%S").ok()?;
    tz.from_local_datetime(&n)
        .earliest()
        .map(|d| d.with_timezone(&Utc))
}

/// The runs the system's schedule triggers would have made in `[from, to]`.
pub fn fire_times(
    bind: &Binding,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Outcome>, ShadowError> {
    let mut out = Vec::new();
    for t in &bind.triggers {
        let Some((expr, zone)) = &t.schedule else {
            continue;
        };
        let sched = claw_language::cron::parse(expr).map_err(|e| ShadowError::System {
            system: bind.system.clone(),
            message: format!("trigger {}: schedule `{expr}`: {}", t.name, e.message()),
        })?;
        let tz: Tz = match zone {
            Some(z) => z.parse().map_err(|_| ShadowError::System {
                system: bind.system.clone(),
                message: format!("trigger {}: unknown time zone `{z}`", t.name),
            })?,
            None => Tz::UTC,
        };
        for at in sched
            .fire_times(from - chrono::TimeDelta::seconds(1), tz)
            .take_while(|f| *f <= to)
        {
            out.push(fire(
                format!("schedule {} `{expr}`", t.name),
                bind,
                &t.name,
                at,
                "scheduled".into(),
            ));
        }
    }
    out.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.trigger.cmp(&b.trigger)));
    Ok(out)
}

/// Parses an IANA zone name.
pub fn zone(name: &str) -> Result<Tz, ShadowError> {
    name.parse().map_err(|_| ShadowError::System {
        system: "-".into(),
        message: format!("unknown time zone `{name}` (expected an IANA name like Europe/Paris)"),
    })
}
