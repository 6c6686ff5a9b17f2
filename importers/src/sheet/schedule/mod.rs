//! Free-text schedules ("every weekday at 9:00", "daily 02:00", "1st of month") to 5-field
//! crontab expressions, each checked with the spec's crontab(5) parser.
//!
//! The translation is conservative: words it does not understand are reported, not guessed
//! away, and schedules that crontab cannot express exactly ("first Monday of the month",
//! "last day of the month") produce no expression at all.

mod reading;

use reading::Reading;
use regex::Regex;
use std::collections::BTreeSet;
use std::sync::LazyLock;

/// A remark about a translation, becoming a finding located at the schedule cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// Whether it is a warning (else info).
    pub warning: bool,
    /// Finding code.
    pub code: &'static str,
    /// What was assumed or could not be done.
    pub message: String,
}

/// The outcome of translating one schedule cell.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Translation {
    /// The crontab expression, when one expresses the text.
    pub cron: Option<String>,
    /// A time zone named in the text (IANA name or UTC).
    pub timezone: Option<String>,
    /// Assumptions and problems.
    pub notes: Vec<Note>,
}

fn re(s: &str) -> Regex {
    // The patterns are literals in this file; a typo is a programming error caught by the tests.
    Regex::new(s).unwrap_or_else(|e| panic!("bad built-in pattern {s}: {e}"))
}

static TIME: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?P<h>\d{1,2})(?:[:.h](?P<m>\d{2}))\s*(?P<ap>am|pm|a\.m\.|p\.m\.)?|\b(?P<h2>\d{1,2})\s*(?P<ap2>am|pm|a\.m\.|p\.m\.)|\b(?P<word>noon|midday|midnight)\b",
    )
});
static AT_HOUR: LazyLock<Regex> =
    LazyLock::new(|| re(r"\bat (?P<h>\d{1,2})\b(?P<oclock> o ?clock)?"));
static EVERY_N: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\bevery (?P<n>\d+) ?(?P<unit>minutes|minute|mins|min|m|hours|hour|hrs|hr|h)\b")
});
static PAST: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?:\bat )?(?::(?P<m>\d{2})\b|\b(?P<m2>\d{1,2}) (?:minutes )?past(?: the hour)?)")
});
static ORDINAL: LazyLock<Regex> = LazyLock::new(|| re(r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)\b"));
static NTH_WEEKDAY: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(first|second|third|fourth|last|1st|2nd|3rd|4th) (mon|tue|wed|thu|fri|sat|sun)[a-z]*\b")
});
static LAST_DAY: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(last (day|business day|working day|weekday)|end of (the )?month)\b"));
static DAY_RANGE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?P<a>mon|tue|wed|thu|fri|sat|sun)[a-z]*\s*(?:-|to|through|thru|until)\s*(?P<b>mon|tue|wed|thu|fri|sat|sun)[a-z]*\b",
    )
});
static DAY_NAME: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?P<d>mon|tue|wed|thu|fri|sat|sun)(?:day|days|s|\.)?\b|\b(?P<d2>tues|wednes|thurs|satur)(?:day|days)\b",
    )
});

const FILLER: &[&str] = &[
    "at", "on", "every", "each", "the", "of", "and", "in", "run", "runs", "by", "starting", "from",
    "o", "clock", "oclock", "month", "months", "day", "days", "a", "an", "once", "per", "utc",
    "gmt", "time", "s", "hrs", "",
];

fn dow_number(s: &str) -> u8 {
    match &s[..3.min(s.len())] {
        "mon" => 1,
        "tue" => 2,
        "wed" => 3,
        "thu" => 4,
        "fri" => 5,
        "sat" => 6,
        _ => 0,
    }
}

/// Whether the text already is a crontab expression (5 fields or `@keyword`).
fn as_cron(text: &str) -> Option<String> {
    let t = text.trim();
    let fields: Vec<&str> = t.split_whitespace().collect();
    let cronish = fields.iter().all(|f| {
        f.chars()
            .all(|c| c.is_ascii_alphanumeric() || "*/,-".contains(c))
    });
    if (t.starts_with('@') && fields.len() == 1) || (fields.len() == 5 && cronish) {
        let joined = fields.join(" ");
        if claw_language::cron::parse(&joined).is_ok() {
            return Some(joined);
        }
    }
    None
}

/// Translates one schedule cell. `is_valid_tz` decides whether a word is a time zone name.
pub fn translate(text: &str, is_valid_tz: &dyn Fn(&str) -> bool) -> Translation {
    if let Some(c) = as_cron(text) {
        return Translation {
            cron: Some(c),
            ..Translation::default()
        };
    }
    let mut r = Reading {
        text: text.trim(),
        s: format!(" {} ", text.to_lowercase().replace(['\u{a0}', ','], " ")),
        out: Translation::default(),
        times: Vec::new(),
        minute: None,
        hour: None,
        interval: false,
        dow: BTreeSet::new(),
        dow_text: None,
        dom: BTreeSet::new(),
        month: None,
        day_words: false,
        assumed_day: None,
    };
    // `None` from a stage means it settled the outcome (a note saying why there is no schedule).
    let _ = r.read(is_valid_tz);
    r.out
}

fn join<T: ToString>(set: &BTreeSet<T>) -> String {
    set.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// `1,2,3,5` → `1-3,5`.
fn compress(set: &BTreeSet<u8>) -> String {
    let v: Vec<u8> = set.iter().copied().collect();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j + 1 < v.len() && v[j + 1] == v[j] + 1 {
            j += 1;
        }
        if j >= i + 2 {
            parts.push(format!("{}-{}", v[i], v[j]));
        } else {
            parts.extend(v[i..=j].iter().map(u8::to_string));
        }
        i = j + 1;
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sheet::codes;

    fn tz(s: &str) -> bool {
        s == "Europe/Paris"
    }

    #[test]
    fn common_phrases() {
        let cases = [
            ("every weekday at 9:00", "0 9 * * 1-5"),
            ("daily 02:00", "0 2 * * *"),
            ("every day at 6pm", "0 18 * * *"),
            ("hourly", "0 * * * *"),
            ("hourly at :15", "15 * * * *"),
            ("every 15 minutes", "*/15 * * * *"),
            ("Every 2 hours", "0 */2 * * *"),
            ("mondays 08:30", "30 8 * * 1"),
            ("Mon, Wed, Fri at 7am", "0 7 * * 1,3,5"),
            ("monday-friday 17:45", "45 17 * * 1-5"),
            ("1st of month", "0 0 1 * *"),
            ("on the 1st and 15th at 06:00", "0 6 1,15 * *"),
            ("monthly", "0 0 1 * *"),
            ("weekends at noon", "0 12 * * 0,6"),
            ("9:00 and 17:00", "0 9,17 * * *"),
            ("12am", "0 0 * * *"),
            ("30 2 * * *", "30 2 * * *"),
            ("@daily", "@daily"),
            ("every minute", "* * * * *"),
            ("yearly", "0 0 1 1 *"),
            ("quarterly at 8:00", "0 8 1 1,4,7,10 *"),
        ];
        for (text, want) in cases {
            let t = translate(text, &tz);
            assert_eq!(t.cron.as_deref(), Some(want), "{text}: {:?}", t.notes);
            claw_language::cron::parse(want).unwrap();
        }
    }

    #[test]
    fn unsupported_and_ambiguous_are_reported() {
        for text in [
            "first monday of the month",
            "last day of month",
            "every 90 minutes",
            "when the CFO asks",
            "9:15 and 17:30",
            "25:00",
        ] {
            let t = translate(text, &tz);
            assert_eq!(t.cron, None, "{text}");
            assert!(
                t.notes
                    .iter()
                    .any(|n| n.warning && n.code == codes::SHEET_SCHEDULE_UNSUPPORTED.id),
                "{text}: {:?}",
                t.notes
            );
        }
        let t = translate("weekly", &tz);
        assert_eq!(t.cron.as_deref(), Some("0 0 * * 0"));
        assert!(
            t.notes
                .iter()
                .any(|n| n.code == codes::SHEET_SCHEDULE_AMBIGUOUS.id)
        );
        let t = translate("every 7 minutes", &tz);
        assert_eq!(t.cron.as_deref(), Some("*/7 * * * *"));
        assert!(
            t.notes
                .iter()
                .any(|n| n.code == codes::SHEET_SCHEDULE_APPROXIMATE.id)
        );
        let t = translate("every weekday at 9:00 except holidays", &tz);
        assert_eq!(t.cron.as_deref(), Some("0 9 * * 1-5"));
        assert!(
            t.notes
                .iter()
                .any(|n| n.code == codes::SHEET_SCHEDULE_AMBIGUOUS.id
                    && n.message.contains("except holidays"))
        );
    }

    #[test]
    fn time_zones() {
        let t = translate("daily 02:00 Europe/Paris", &tz);
        assert_eq!(t.cron.as_deref(), Some("0 2 * * *"));
        assert_eq!(t.timezone.as_deref(), Some("Europe/Paris"));
        let t = translate("daily 02:00 UTC", &tz);
        assert_eq!(t.timezone.as_deref(), Some("UTC"));
        let t = translate("daily 02:00 CET", &tz);
        assert_eq!(t.timezone, None);
        assert!(
            t.notes
                .iter()
                .any(|n| n.code == codes::SHEET_SCHEDULE_AMBIGUOUS.id)
        );
    }
}
