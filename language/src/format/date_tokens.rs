//! Zapier's date format tokens (those of the Arrow library its Formatter uses): `YYYY-MM-DD`,
//! `MMMM Do YYYY, h:mm A`, `X`, with `[text]` for literal text. Formatting supports every token
//! Zapier documents; parsing (`from_format`) the numeric and name tokens chrono can read.

use chrono::{DateTime, Datelike, TimeZone, Timelike};
use std::fmt::Write;

/// One piece of a format: a token or literal text.
#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    Token(&'a str),
    Literal(&'a str),
}

/// The tokens, longest first so `MMMM` is not read as `MM` twice.
const TOKENS: &[&str] = &[
    "YYYY", "YY", "MMMM", "MMM", "MM", "M", "Do", "DDDD", "DDD", "DD", "D", "dddd", "ddd", "d",
    "HH", "H", "hh", "h", "mm", "m", "ss", "s", "SSSSSS", "SSSSS", "SSSS", "SSS", "SS", "S", "ZZZ",
    "ZZ", "Z", "A", "a", "X", "x", "W",
];

fn pieces(fmt: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut lit_start = 0;
    while i < fmt.len() {
        let rest = &fmt[i..];
        if rest.starts_with('[')
            && let Some(end) = rest.find(']')
        {
            if lit_start < i {
                out.push(Piece::Literal(&fmt[lit_start..i]));
            }
            out.push(Piece::Literal(&rest[1..end]));
            i += end + 1;
            lit_start = i;
            continue;
        }
        if let Some(t) = TOKENS.iter().find(|t| rest.starts_with(**t)) {
            if lit_start < i {
                out.push(Piece::Literal(&fmt[lit_start..i]));
            }
            out.push(Piece::Token(t));
            i += t.len();
            lit_start = i;
            continue;
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    if lit_start < fmt.len() {
        out.push(Piece::Literal(&fmt[lit_start..]));
    }
    out
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// `dt` written in the format.
pub(super) fn format<Tz: TimeZone>(dt: &DateTime<Tz>, fmt: &str) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let mut out = String::new();
    for p in pieces(fmt) {
        let t = match p {
            Piece::Literal(l) => {
                out.push_str(l);
                continue;
            }
            Piece::Token(t) => t,
        };
        // Writing to a String cannot fail.
        let _ = match t {
            "YYYY" => write!(out, "{:04}", dt.year()),
            "YY" => write!(out, "{:02}", dt.year().rem_euclid(100)),
            "MMMM" => write!(out, "{}", dt.format("%B")),
            "MMM" => write!(out, "{}", dt.format("%b")),
            "MM" => write!(out, "{:02}", dt.month()),
            "M" => write!(out, "{}", dt.month()),
            "Do" => write!(out, "{}", ordinal(dt.day())),
            "DDDD" => write!(out, "{:03}", dt.ordinal()),
            "DDD" => write!(out, "{}", dt.ordinal()),
            "DD" => write!(out, "{:02}", dt.day()),
            "D" => write!(out, "{}", dt.day()),
            "dddd" => write!(out, "{}", dt.format("%A")),
            "ddd" => write!(out, "{}", dt.format("%a")),
            "d" => write!(out, "{}", dt.weekday().number_from_monday()),
            "HH" => write!(out, "{:02}", dt.hour()),
            "H" => write!(out, "{}", dt.hour()),
            "hh" => write!(out, "{:02}", dt.hour12().1),
            "h" => write!(out, "{}", dt.hour12().1),
            "mm" => write!(out, "{:02}", dt.minute()),
            "m" => write!(out, "{}", dt.minute()),
            "ss" => write!(out, "{:02}", dt.second()),
            "s" => write!(out, "{}", dt.second()),
            "ZZZ" => write!(out, "{}", dt.format("%Z")),
            "ZZ" => write!(out, "{}", dt.format("%:z")),
            "Z" => write!(out, "{}", dt.format("%z")),
            "A" => write!(out, "{}", if dt.hour() < 12 { "AM" } else { "PM" }),
            "a" => write!(out, "{}", if dt.hour() < 12 { "am" } else { "pm" }),
            "X" => write!(out, "{}", dt.timestamp()),
            "x" => write!(out, "{}", dt.timestamp_millis()),
            "W" => {
                let w = dt.iso_week();
                write!(
                    out,
                    "{}-W{:02}-{}",
                    w.year(),
                    w.week(),
                    dt.weekday().number_from_monday()
                )
            }
            fraction => {
                let digits = fraction.len();
                let nanos = format!("{:09}", dt.nanosecond() % 1_000_000_000);
                write!(out, "{}", &nanos[..digits])
            }
        };
    }
    out
}

/// The chrono parsing format for a Zapier format, or the first token chrono cannot read.
pub(super) fn to_strftime(fmt: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut pending_dot = false;
    for p in pieces(fmt) {
        match p {
            Piece::Literal(l) => {
                let l = l.replace('%', "%%");
                // `ss.SSS`: chrono reads a dot and the fraction as one item.
                if let Some(stripped) = l.strip_suffix('.') {
                    out.push_str(stripped);
                    pending_dot = true;
                } else {
                    out.push_str(&l);
                }
            }
            Piece::Token(t) => {
                if pending_dot && !t.starts_with('S') {
                    out.push('.');
                }
                let spec = match t {
                    "YYYY" => "%Y",
                    "YY" => "%y",
                    "MMMM" => "%B",
                    "MMM" => "%b",
                    "MM" | "M" => "%m",
                    "DD" | "D" => "%d",
                    "DDDD" | "DDD" => "%j",
                    "dddd" => "%A",
                    "ddd" => "%a",
                    "HH" | "H" => "%H",
                    "hh" | "h" => "%I",
                    "mm" | "m" => "%M",
                    "ss" | "s" => "%S",
                    "A" | "a" => "%p",
                    "ZZ" => "%:z",
                    "Z" => "%z",
                    "X" => "%s",
                    s if s.starts_with('S') && pending_dot => "%.f",
                    other => return Err(other.to_string()),
                };
                pending_dot = false;
                out.push_str(spec);
            }
        }
    }
    if pending_dot {
        out.push('.');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    /// Tokens as listed on https://zapier.com/help/create/format/modify-date-formats-in-zaps
    /// (Arrow's tokens).
    #[test]
    fn formats_tokens() {
        let dt = Utc.with_ymd_and_hms(2006, 1, 22, 23, 4, 5).unwrap();
        assert_eq!(
            format(&dt, "YYYY-MM-DD HH:mm:ss Z"),
            "2006-01-22 23:04:05 +0000"
        );
        assert_eq!(
            format(&dt, "MMMM Do YYYY, h:mm A"),
            "January 22nd 2006, 11:04 PM"
        );
        assert_eq!(
            format(&dt, "ddd MMM D YY [at] hh:mm a"),
            "Sun Jan 22 06 at 11:04 pm"
        );
        assert_eq!(format(&dt, "X"), "1137971045");
        assert_eq!(
            format(&dt, "dddd d DDDD W ZZ ZZZ"),
            "Sunday 7 022 2006-W03-7 +00:00 UTC"
        );
        assert_eq!(ordinal(11), "11th");
        assert_eq!(ordinal(23), "23rd");
    }

    #[test]
    fn parsing_formats() {
        assert_eq!(to_strftime("DD/MM/YYYY HH:mm").unwrap(), "%d/%m/%Y %H:%M");
        assert_eq!(
            to_strftime("YYYY-MM-DD HH:mm:ss.SSS").unwrap(),
            "%Y-%m-%d %H:%M:%S%.f"
        );
        assert_eq!(to_strftime("Do MMMM").unwrap_err(), "Do");
    }
}
