//! `date.format` and `date.add`: Formatter by Zapier's Date / Time transforms, with Zapier's
//! format tokens ([`super::date_tokens`]) and IANA time zones (chrono-tz).
//!
//! Parsing is deterministic: ISO 8601 / RFC 3339, RFC 2822, Unix timestamps and a fixed list of
//! common written forms (month first for `01/02/2024`, as Zapier reads it), or exactly the
//! `from_format` given. Relative dates ("now", "tomorrow") are refused: there is no clock here.
//! The run's own time is `trigger.received_at`.

use super::date_tokens::{self, to_strftime};
use super::{FormatError, Out, each, text_arg};
use chrono::format::{Parsed, StrftimeItems, parse};
use chrono::{
    DateTime, Days, FixedOffset, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone,
    Utc,
};
use chrono_tz::Tz;
use regex::Regex;
use serde_json::Value;
use std::sync::LazyLock;

/// What Arrow writes when no format is given.
const DEFAULT_FORMAT: &str = "YYYY-MM-DD HH:mm:ssZZ";

/// Written forms with an offset, tried in order.
const WITH_OFFSET: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f %z",
    "%Y-%m-%dT%H:%M%z",
    "%Y-%m-%d %H:%M%z",
    "%b %d %H:%M:%S %z %Y",
];

/// Written forms with a time and no offset.
const NAIVE_DATETIMES: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%B %d %Y %H:%M:%S",
    "%B %d, %Y %H:%M:%S",
    "%B %d, %Y %I:%M %p",
];

/// Written dates.
const DATES: &[&str] = &[
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%m/%d/%Y",
    "%m-%d-%Y",
    "%m/%d/%y",
    "%B %d %Y",
    "%B %d, %Y",
    "%b %d %Y",
    "%b %d, %Y",
    "%d %B %Y",
    "%d %b %Y",
];

/// Words that make a date relative to a clock Zapier reads and this runtime never does.
const RELATIVE: &[&str] = &[
    "now",
    "today",
    "tomorrow",
    "yesterday",
    "next",
    "last",
    "ago",
    "from now",
];

/// A time zone by IANA name; "" gives `default`.
pub(super) fn zone(name: &str, default: Option<Tz>) -> Result<Option<Tz>, FormatError> {
    let n = name.trim();
    if n.is_empty() {
        return Ok(default);
    }
    n.parse::<Tz>().map(Some).map_err(|_| {
        FormatError::new(format!(
            "`{n}` is not an IANA time zone (e.g. Europe/Paris)"
        ))
    })
}

/// A local time in a zone (the earlier one when a clock change repeats it, the later side
/// when it skips it).
fn localize(naive: NaiveDateTime, tz: Tz) -> DateTime<FixedOffset> {
    let local = tz.from_local_datetime(&naive).earliest().or_else(|| {
        tz.from_local_datetime(&(naive + TimeDelta::hours(1)))
            .earliest()
    });
    match local {
        Some(d) => d.fixed_offset(),
        None => Utc.from_utc_datetime(&naive).fixed_offset(),
    }
}

/// Reads a date. `from_zone` is the zone of a value written without an offset (UTC if none).
pub(super) fn parse_date(
    s: &str,
    from_format: &str,
    from_zone: Option<Tz>,
) -> Result<DateTime<FixedOffset>, FormatError> {
    let s = s.trim();
    let tz = from_zone.unwrap_or(Tz::UTC);
    if !from_format.trim().is_empty() {
        return parse_with(s, from_format.trim(), tz);
    }
    if let Ok(n) = s.parse::<f64>() {
        return timestamp(n).ok_or_else(|| FormatError::new(format!("`{s}` is out of range")));
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Ok(d);
    }
    let zulu = s
        .strip_suffix('Z')
        .or_else(|| s.strip_suffix(" UTC"))
        .map(|b| format!("{b}+00:00"));
    let text = zulu.as_deref().unwrap_or(s);
    for f in WITH_OFFSET {
        if let Ok(d) = DateTime::parse_from_str(text, f) {
            return Ok(d);
        }
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Ok(d);
    }
    for f in NAIVE_DATETIMES {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, f) {
            return Ok(localize(n, tz));
        }
    }
    for f in DATES {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return Ok(localize(d.and_time(NaiveTime::MIN), tz));
        }
    }
    // A leading weekday is read past, not checked: Zapier's own example date, "Mon Jan 22
    // 15:04:05 -0800 2006", names the wrong day.
    if let Some((first, rest)) = s.split_once(' ')
        && first
            .trim_end_matches(',')
            .parse::<chrono::Weekday>()
            .is_ok()
    {
        return parse_date(rest, from_format, from_zone);
    }
    let lower = s.to_lowercase();
    if RELATIVE
        .iter()
        .any(|w| lower.split_whitespace().any(|x| x == *w) || lower == *w)
    {
        return Err(FormatError::new(format!(
            "`{s}` is relative to the current time, which expressions never read; use the run's time, `trigger.received_at`"
        )));
    }
    Err(FormatError::new(format!(
        "`{s}` is not a date this function can read; give its format (e.g. DD/MM/YYYY)"
    )))
}

/// Seconds since 1970, or milliseconds when too large for seconds (as Zapier guesses).
fn timestamp(n: f64) -> Option<DateTime<FixedOffset>> {
    let secs = if n.abs() >= 4_294_967_295.0 {
        n / 1000.0
    } else {
        n
    };
    let whole = secs.floor();
    let nanos = ((secs - whole) * 1e9).round() as u32;
    DateTime::from_timestamp(whole as i64, nanos.min(999_999_999)).map(|d| d.fixed_offset())
}

fn parse_with(s: &str, fmt: &str, tz: Tz) -> Result<DateTime<FixedOffset>, FormatError> {
    if fmt == "X" {
        return s
            .parse::<f64>()
            .ok()
            .and_then(timestamp)
            .ok_or_else(|| FormatError::new(format!("`{s}` is not a Unix timestamp")));
    }
    let spec = to_strftime(fmt).map_err(|t| {
        FormatError::new(format!(
            "the token `{t}` in the input format `{fmt}` cannot be read back"
        ))
    })?;
    let mut p = Parsed::new();
    parse(&mut p, s, StrftimeItems::new(&spec))
        .map_err(|e| FormatError::new(format!("`{s}` does not match the format `{fmt}`: {e}")))?;
    if p.offset().is_some()
        && let Ok(d) = p.to_datetime()
    {
        return Ok(d);
    }
    if p.timestamp().is_some()
        && let Ok(d) = p.to_datetime_with_timezone(&Utc)
    {
        return Ok(d.fixed_offset());
    }
    let date = p
        .to_naive_date()
        .map_err(|e| FormatError::new(format!("`{s}` read as `{fmt}` is not a whole date: {e}")))?;
    let time = p.to_naive_time().unwrap_or(NaiveTime::MIN);
    Ok(localize(date.and_time(time), tz))
}

/// `date.format(value, to_format[, to_zone[, from_format[, from_zone]]])`.
pub(super) fn format(args: &[Value]) -> Out {
    let to_format = match text_arg(args, 1) {
        f if f.trim().is_empty() => DEFAULT_FORMAT.to_string(),
        f => f,
    };
    let to_zone = zone(&text_arg(args, 2), Some(Tz::UTC))?.unwrap_or(Tz::UTC);
    let from_format = text_arg(args, 3);
    let from_zone = zone(&text_arg(args, 4), None)?;
    each(&args[0], &|s| {
        if s.trim().is_empty() {
            return Ok(Value::String(String::new()));
        }
        let d = parse_date(s, &from_format, from_zone)?;
        Ok(Value::String(date_tokens::format(
            &d.with_timezone(&to_zone),
            &to_format,
        )))
    })
}

/// One amount of `+1 month -2 days 8h`: sign and digits, then a unit (longest names first).
static DELTA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)([+-]?)\s*(\d+)\s*(years?|yrs?|y|months?|mo|weeks?|wks?|w|days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b",
    )
    .unwrap_or_else(|e| panic!("constant pattern: {e}"))
});

/// A time shift read from Zapier's expression syntax: years, months, days (calendar) and
/// seconds (elapsed).
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Shift {
    months: i64,
    days: i64,
    seconds: i64,
}

pub(super) fn read_shift(expr: &str) -> Result<Shift, FormatError> {
    let mut shift = Shift::default();
    let mut leftover = expr.to_string();
    for c in DELTA.captures_iter(expr) {
        let n: i64 = c[2]
            .parse()
            .map_err(|_| FormatError::new(format!("`{}` is too large", &c[2])))?;
        let n = if &c[1] == "-" { -n } else { n };
        let unit = c[3].to_lowercase();
        match unit.as_str() {
            u if u.starts_with('y') => shift.months += 12 * n,
            u if u.starts_with("mo") => shift.months += n,
            u if u.starts_with('w') => shift.days += 7 * n,
            u if u.starts_with('d') => shift.days += n,
            u if u.starts_with('h') => shift.seconds += 3600 * n,
            u if u.starts_with('m') => shift.seconds += 60 * n,
            _ => shift.seconds += n,
        }
        leftover = leftover.replacen(&c[0], " ", 1);
    }
    if !leftover.trim().is_empty() {
        return Err(FormatError::new(format!(
            "cannot read `{}` in the time expression `{expr}` (write e.g. `+1 month -2 days 8 hours`)",
            leftover.trim()
        )));
    }
    Ok(shift)
}

fn apply(d: DateTime<FixedOffset>, s: &Shift) -> Option<DateTime<FixedOffset>> {
    let d = match s.months {
        0 => d,
        m if m > 0 => d.checked_add_months(Months::new(u32::try_from(m).ok()?))?,
        m => d.checked_sub_months(Months::new(u32::try_from(-m).ok()?))?,
    };
    let d = match s.days {
        0 => d,
        n if n > 0 => d.checked_add_days(Days::new(n as u64))?,
        n => d.checked_sub_days(Days::new(n.unsigned_abs()))?,
    };
    d.checked_add_signed(TimeDelta::try_seconds(s.seconds)?)
}

/// `date.add(value, expression, to_format[, from_format])`: shifted, written in UTC (as
/// Zapier's Add/Subtract Time does).
pub(super) fn add(args: &[Value]) -> Out {
    let shift = read_shift(&text_arg(args, 1))?;
    let to_format = match text_arg(args, 2) {
        f if f.trim().is_empty() => DEFAULT_FORMAT.to_string(),
        f => f,
    };
    let from_format = text_arg(args, 3);
    each(&args[0], &|s| {
        let d = parse_date(s, &from_format, None)?;
        let shifted = apply(d, &shift)
            .ok_or_else(|| FormatError::new(format!("`{s}` shifted is out of range")))?;
        Ok(Value::String(date_tokens::format(
            &shifted.with_timezone(&Utc),
            &to_format,
        )))
    })
}

#[cfg(test)]
mod tests {
    //! Zapier's Date / Time transforms (github.com/zapier/transformer,
    //! `transformer/transforms/date/formatting.py` and `manipulate.py`; format help:
    //! https://zapier.com/help/create/format/modify-date-formats-in-zaps).
    use super::*;
    use crate::format::testing::{error, eval};
    use serde_json::json;

    /// date.formatting: to_format, to_timezone (default UTC), from_format, from_timezone (the
    /// zone of an input without one).
    #[test]
    fn format() {
        assert_eq!(
            eval("date.format('2024-03-05T14:30:00Z', 'MM/DD/YYYY h:mm A')"),
            json!("03/05/2024 2:30 PM")
        );
        assert_eq!(
            eval("date.format('2024-03-05T14:30:00Z', 'YYYY-MM-DD HH:mm ZZZ', 'Europe/Paris')"),
            json!("2024-03-05 15:30 CET")
        );
        assert_eq!(
            eval(
                "date.format('05/03/2024 09:00', 'YYYY-MM-DDTHH:mm:ssZ', 'UTC', 'DD/MM/YYYY HH:mm', 'America/New_York')"
            ),
            json!("2024-03-05T14:00:00+0000")
        );
        assert_eq!(
            eval("date.format('03/05/2024', 'MMMM Do YYYY')"),
            json!("March 5th 2024")
        );
        assert_eq!(
            eval("date.format(1709649000, 'YYYY-MM-DD HH:mm')"),
            json!("2024-03-05 14:30")
        );
        assert_eq!(
            eval("date.format('1709649000000', 'X')"),
            json!("1709649000")
        );
        assert_eq!(
            eval("date.format('Mon Jan 22 15:04:05 -0800 2006', 'YYYY-MM-DD HH:mm:ss')"),
            json!("2006-01-22 23:04:05")
        );
        assert_eq!(eval("date.format('', 'YYYY')"), json!(""));
    }

    /// Zapier reads "now"/"tomorrow" against its clock; we refuse and name the run's time.
    #[test]
    fn no_clock() {
        assert!(error("date.format('now', 'YYYY')").contains("trigger.received_at"));
        assert!(error("date.format('someday', 'YYYY')").contains("not a date"));
        assert!(error("date.format('2024-01-01', 'YYYY', 'Mars/Olympus')").contains("IANA"));
    }

    /// date.manipulate: "+8 hours 1 minute", "+1 month -2 days", "-1 day +8 hours"; months
    /// clamp to the month's last day (dateutil's relativedelta); the result is in UTC.
    #[test]
    fn add() {
        assert_eq!(
            eval("date.add('2024-01-31T10:00:00+02:00', '+1 month -2 days', 'YYYY-MM-DD HH:mm')"),
            json!("2024-02-27 08:00")
        );
        assert_eq!(
            eval("date.add('2024-03-05', '+8 hours 1 minute', 'YYYY-MM-DDTHH:mm:ss')"),
            json!("2024-03-05T08:01:00")
        );
        assert_eq!(
            eval("date.add('2024-03-05', '-1 day +8 hours', 'X')"),
            json!("1709539200")
        );
        assert_eq!(
            eval("date.add('2024-02-29', '1y', 'YYYY-MM-DD')"),
            json!("2025-02-28")
        );
        assert!(error("date.add('2024-01-01', '+1 fortnight', 'YYYY')").contains("cannot read"));
    }

    #[test]
    fn shifts() {
        assert_eq!(
            read_shift("5 months 4 weeks 3 days -1mo").unwrap(),
            Shift {
                months: 4,
                days: 31,
                seconds: 0
            }
        );
        assert_eq!(
            read_shift("+ 1day - 5 days 2h 30m 5s").unwrap(),
            Shift {
                months: 0,
                days: -4,
                seconds: 9005
            }
        );
    }
}
