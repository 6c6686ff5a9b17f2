//! Free-text schedules ("every weekday at 9:00", "daily 02:00", "1st of month") to 5-field
//! crontab expressions, each checked with the spec's crontab(5) parser.
//!
//! The translation is conservative: words it does not understand are reported, not guessed
//! away, and schedules that crontab cannot express exactly ("first Monday of the month",
//! "last day of the month") produce no expression at all.

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

/// Code: an assumption filled a gap (no time given, bare time read as daily).
pub const ASSUMED: &str = "claw::import::sheet_schedule_assumed";
/// Code: the text can be read more than one way; the chosen reading is named.
pub const AMBIGUOUS: &str = "claw::import::sheet_schedule_ambiguous";
/// Code: crontab cannot express the text; no schedule was generated.
pub const UNSUPPORTED: &str = "claw::import::sheet_schedule_unsupported";
/// Code: the crontab expression only approximates the text.
pub const APPROXIMATE: &str = "claw::import::sheet_schedule_approximate";

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
    let mut out = Translation::default();
    if let Some(c) = as_cron(text) {
        out.cron = Some(c);
        return out;
    }
    let mut s = format!(" {} ", text.to_lowercase().replace(['\u{a0}', ','], " "));
    // Time zones: an IANA name (with a slash) or UTC/GMT.
    for word in text.split_whitespace() {
        let w = word.trim_matches(|c: char| c == '(' || c == ')' || c == ',');
        if w.contains('/') && w.chars().next().is_some_and(char::is_alphabetic) && is_valid_tz(w) {
            out.timezone = Some(w.to_string());
            s = s.replace(&w.to_lowercase(), " ");
        } else if matches!(w.to_ascii_uppercase().as_str(), "UTC" | "GMT" | "Z")
            && out.timezone.is_none()
        {
            out.timezone = Some("UTC".into());
        } else if matches!(
            w.to_ascii_uppercase().as_str(),
            "CET" | "CEST" | "EST" | "EDT" | "PST" | "PDT" | "BST" | "IST"
        ) {
            out.notes.push(Note { warning: true, code: AMBIGUOUS, message: format!("time zone abbreviation `{w}` is ambiguous and was not applied; add a Timezone column with an IANA name such as Europe/Paris") });
            s = s.replace(&w.to_lowercase(), " ");
        }
    }
    if NTH_WEEKDAY.is_match(&s) {
        out.notes.push(Note { warning: true, code: UNSUPPORTED, message: format!("`{}`: an n-th weekday of the month cannot be written in crontab(5) (restricting both day fields means either, not both); no schedule generated", text.trim()) });
        return out;
    }
    if LAST_DAY.is_match(&s) {
        out.notes.push(Note { warning: true, code: UNSUPPORTED, message: format!("`{}`: the last day of a month cannot be written in crontab(5); no schedule generated", text.trim()) });
        return out;
    }

    // Times of day.
    let mut times: Vec<(u32, u32)> = Vec::new();
    let mut bad_time = None;
    for c in TIME.captures_iter(&s.clone()) {
        let (h, m, ap) = if let Some(w) = c.name("word") {
            (if w.as_str() == "midnight" { 0 } else { 12 }, 0, None)
        } else if let Some(h) = c.name("h") {
            (
                h.as_str().parse().unwrap_or(99),
                c.name("m").map_or(0, |m| m.as_str().parse().unwrap_or(99)),
                c.name("ap").map(|a| a.as_str().starts_with('p')),
            )
        } else {
            (
                c.name("h2")
                    .map_or(99, |h| h.as_str().parse().unwrap_or(99)),
                0,
                c.name("ap2").map(|a| a.as_str().starts_with('p')),
            )
        };
        let h = match ap {
            Some(true) if h < 12 => h + 12,
            Some(false) if h == 12 => 0,
            _ => h,
        };
        if h > 23 || m > 59 || (ap.is_some() && h > 24) {
            bad_time = Some(c.get(0).map_or("", |x| x.as_str()).trim().to_string());
            continue;
        }
        times.push((h, m));
        if let Some(whole) = c.get(0) {
            s = s.replacen(whole.as_str(), " ", 1);
        }
    }
    if let Some(b) = bad_time {
        out.notes.push(Note {
            warning: true,
            code: UNSUPPORTED,
            message: format!(
                "`{}`: `{b}` is not a time of day; no schedule generated",
                text.trim()
            ),
        });
        return out;
    }
    if times.is_empty()
        && let Some(c) = AT_HOUR.captures(&s.clone())
    {
        {
            let h: u32 = c["h"].parse().unwrap_or(99);
            if h <= 23 {
                times.push((h, 0));
                out.notes.push(Note {
                    warning: false,
                    code: ASSUMED,
                    message: format!(
                        "`{}`: `at {h}` read as {h:02}:00 on a 24-hour clock",
                        text.trim()
                    ),
                });
                if let Some(w) = c.get(0) {
                    s = s.replacen(w.as_str(), " ", 1);
                }
            }
        }
    }

    // Intervals.
    let mut minute: Option<String> = None;
    let mut hour: Option<String> = None;
    let mut interval = false;
    if let Some(c) = EVERY_N.captures(&s.clone()) {
        let n: u32 = c["n"].parse().unwrap_or(0);
        let unit = &c["unit"];
        let is_min = unit.starts_with('m');
        let span = if is_min { 60 } else { 24 };
        if n == 0 || n >= span {
            out.notes.push(Note { warning: true, code: UNSUPPORTED, message: format!("`{}`: every {n} {} cannot be written as one crontab(5) line; no schedule generated", text.trim(), if is_min { "minutes" } else { "hours" }) });
            return out;
        }
        if span % n != 0 {
            out.notes.push(Note { warning: true, code: APPROXIMATE, message: format!("`{}`: crontab steps restart every {}, so `*/{n}` leaves a shorter gap at the {}; check this is acceptable", text.trim(), if is_min { "hour" } else { "day" }, if is_min { "top of the hour" } else { "start of the day" }) });
        }
        let step = if n == 1 {
            "*".to_string()
        } else {
            format!("*/{n}")
        };
        if is_min {
            minute = Some(step);
            hour = Some("*".into());
        } else {
            hour = Some(step);
        }
        interval = true;
        if let Some(w) = c.get(0) {
            s = s.replacen(w.as_str(), " ", 1);
        }
    }
    for (pat, min, hr) in [
        (" every minute ", "*", "*"),
        (" every quarter hour ", "*/15", "*"),
        (" every half hour ", "*/30", "*"),
        (" half hourly ", "*/30", "*"),
        (" half-hourly ", "*/30", "*"),
        (" twice an hour ", "*/30", "*"),
    ] {
        if !interval && s.contains(pat) {
            minute = Some(min.into());
            hour = Some(hr.into());
            interval = true;
            s = s.replacen(pat, " ", 1);
        }
    }
    for pat in [" hourly ", " every hour ", " each hour "] {
        if !interval && s.contains(pat) {
            hour = Some("*".into());
            interval = true;
            s = s.replacen(pat, " ", 1);
        }
    }
    if interval && hour.as_deref() != Some("*") && minute.is_none()
        || hour.as_deref() == Some("*") && minute.is_none()
    {
        // "hourly at :15", "every 2 hours at 15 past".
        if let Some(c) = PAST.captures(&s.clone()) {
            let m: u32 = c
                .name("m")
                .or(c.name("m2"))
                .map_or(99, |m| m.as_str().parse().unwrap_or(99));
            if m <= 59 {
                minute = Some(m.to_string());
                if let Some(w) = c.get(0) {
                    s = s.replacen(w.as_str(), " ", 1);
                }
            }
        }
        if minute.is_none() {
            if let [(_, m)] = times.as_slice() {
                minute = Some(m.to_string());
                times.clear();
            } else {
                minute = Some("0".into());
            }
        }
    }

    // Days.
    let mut dow: BTreeSet<u8> = BTreeSet::new();
    let mut dow_text: Option<String> = None;
    let mut dom: BTreeSet<u32> = BTreeSet::new();
    let mut month: Option<&str> = None;
    let mut day_words = false;
    let mut assumed_day: Option<String> = None;
    for (pat, set) in [
        (" weekdays ", "1-5"),
        (" weekday ", "1-5"),
        (" business days ", "1-5"),
        (" business day ", "1-5"),
        (" working days ", "1-5"),
        (" working day ", "1-5"),
        (" workdays ", "1-5"),
        (" weekends ", "0,6"),
        (" weekend ", "0,6"),
    ] {
        if s.contains(pat) && dow_text.is_none() {
            dow_text = Some(set.into());
            s = s.replacen(pat, " ", 1);
        }
    }
    if dow_text.is_none() {
        for c in DAY_RANGE.captures_iter(&s.clone()) {
            let (a, b) = (dow_number(&c["a"]), dow_number(&c["b"]));
            if a <= b {
                dow.extend(a..=b);
            } else {
                dow.extend(a..=6);
                dow.insert(0);
                dow.extend(1..=b);
            }
            if let Some(w) = c.get(0) {
                s = s.replacen(w.as_str(), " ", 1);
            }
        }
        for c in DAY_NAME.captures_iter(&s.clone()) {
            let d = c.name("d").or(c.name("d2")).map_or("", |m| m.as_str());
            dow.insert(dow_number(d));
            if let Some(w) = c.get(0) {
                s = s.replacen(w.as_str(), " ", 1);
            }
        }
    }
    for c in ORDINAL.captures_iter(&s.clone()) {
        let d: u32 = c["d"].parse().unwrap_or(99);
        if !(1..=31).contains(&d) {
            out.notes.push(Note {
                warning: true,
                code: UNSUPPORTED,
                message: format!(
                    "`{}`: day {d} of the month does not exist; no schedule generated",
                    text.trim()
                ),
            });
            return out;
        }
        dom.insert(d);
        if let Some(w) = c.get(0) {
            s = s.replacen(w.as_str(), " ", 1);
        }
    }
    for pat in [" first day ", " first of the ", " first of "] {
        if s.contains(pat) {
            dom.insert(1);
            s = s.replacen(pat, " ", 1);
        }
    }
    for pat in [
        " daily ",
        " every day ",
        " each day ",
        " everyday ",
        " nightly ",
        " every night ",
        " nights ",
        " mornings ",
        " every morning ",
    ] {
        if s.contains(pat) {
            day_words = true;
            if pat.contains("night") && times.is_empty() {
                out.notes.push(Note {
                    warning: true,
                    code: AMBIGUOUS,
                    message: format!(
                        "`{}`: no time given for a nightly run; 00:00 assumed",
                        text.trim()
                    ),
                });
            }
            s = s.replacen(pat, " ", 1);
        }
    }
    if s.contains(" weekly ") || s.contains(" every week ") {
        s = s.replace(" weekly ", " ").replace(" every week ", " ");
        if dow.is_empty() && dow_text.is_none() {
            dow.insert(0);
            out.notes.push(Note {
                warning: true,
                code: AMBIGUOUS,
                message: format!(
                    "`{}`: no weekday given; Sunday assumed (as @weekly does)",
                    text.trim()
                ),
            });
        }
        day_words = true;
    }
    if s.contains(" monthly ")
        || s.contains(" every month ")
        || s.contains(" of month ")
        || s.contains(" of the month ")
        || s.contains(" each month ")
    {
        for p in [
            " monthly ",
            " every month ",
            " of month ",
            " of the month ",
            " each month ",
        ] {
            s = s.replace(p, " ");
        }
        if dom.is_empty() {
            dom.insert(1);
            assumed_day =
                Some("no day of the month given; the 1st assumed (as @monthly does)".into());
        }
        day_words = true;
    }
    if s.contains(" quarterly ") {
        s = s.replace(" quarterly ", " ");
        month = Some("1,4,7,10");
        if dom.is_empty() {
            dom.insert(1);
            assumed_day =
                Some("quarterly read as the 1st of January, April, July and October".into());
        }
        day_words = true;
    }
    if s.contains(" yearly ") || s.contains(" annually ") || s.contains(" every year ") {
        for p in [" yearly ", " annually ", " every year "] {
            s = s.replace(p, " ");
        }
        month = Some("1");
        if dom.is_empty() {
            dom.insert(1);
            assumed_day = Some("no date given; 1 January assumed (as @yearly does)".into());
        }
        day_words = true;
    }
    if let Some(a) = assumed_day {
        out.notes.push(Note {
            warning: false,
            code: ASSUMED,
            message: format!("`{}`: {a}", text.trim()),
        });
    }
    if !dom.is_empty() && (!dow.is_empty() || dow_text.is_some()) {
        out.notes.push(Note { warning: true, code: UNSUPPORTED, message: format!("`{}`: a day of the month combined with a weekday cannot be written in crontab(5) (it would run on either); no schedule generated", text.trim()) });
        return out;
    }

    // What is left must be filler.
    let leftover: Vec<&str> = s
        .split_whitespace()
        .filter(|w| !FILLER.contains(w))
        .collect();
    let has_days =
        day_words || !dow.is_empty() || dow_text.is_some() || !dom.is_empty() || month.is_some();
    if !interval && !has_days && times.is_empty() {
        out.notes.push(Note {
            warning: true,
            code: UNSUPPORTED,
            message: format!(
                "`{}` is not a schedule this importer understands; no schedule generated",
                text.trim()
            ),
        });
        return out;
    }
    if !leftover.is_empty() {
        out.notes.push(Note {
            warning: true,
            code: AMBIGUOUS,
            message: format!(
                "`{}`: ignored the words `{}`; check the schedule",
                text.trim(),
                leftover.join(" ")
            ),
        });
    }

    // Minute and hour fields.
    let (min_f, hour_f) = if interval {
        if !times.is_empty() {
            out.notes.push(Note {
                warning: true,
                code: AMBIGUOUS,
                message: format!(
                    "`{}`: a time of day given with an interval was ignored",
                    text.trim()
                ),
            });
        }
        (
            minute.unwrap_or_else(|| "0".into()),
            hour.unwrap_or_else(|| "*".into()),
        )
    } else if times.is_empty() {
        if !has_days || !day_words && dow.is_empty() && dow_text.is_none() && dom.is_empty() {
            return out;
        }
        if !s.contains("night") {
            out.notes.push(Note {
                warning: false,
                code: ASSUMED,
                message: format!("`{}`: no time of day given; 00:00 assumed", text.trim()),
            });
        }
        ("0".into(), "0".into())
    } else {
        let minutes: BTreeSet<u32> = times.iter().map(|t| t.1).collect();
        let hours: BTreeSet<u32> = times.iter().map(|t| t.0).collect();
        if minutes.len() == 1 || hours.len() == 1 {
            (join(&minutes), join(&hours))
        } else {
            out.notes.push(Note { warning: true, code: UNSUPPORTED, message: format!("`{}`: times with different hours and minutes need several crontab lines; split the row", text.trim()) });
            return out;
        }
    };
    if !has_days && !interval {
        out.notes.push(Note {
            warning: false,
            code: ASSUMED,
            message: format!(
                "`{}`: a time without days is read as every day",
                text.trim()
            ),
        });
    }
    let dom_f = if dom.is_empty() {
        "*".to_string()
    } else {
        join(&dom)
    };
    let dow_f = match dow_text {
        Some(t) => t,
        None if dow.is_empty() => "*".into(),
        None => compress(&dow),
    };
    let expr = format!("{min_f} {hour_f} {dom_f} {} {dow_f}", month.unwrap_or("*"));
    match claw_language::cron::parse(&expr) {
        Ok(_) => out.cron = Some(expr),
        Err(e) => out.notes.push(Note { warning: true, code: UNSUPPORTED, message: format!("`{}` translated to `{expr}`, which crontab(5) rejects ({e}); no schedule generated", text.trim()) }),
    }
    out
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
                t.notes.iter().any(|n| n.warning && n.code == UNSUPPORTED),
                "{text}: {:?}",
                t.notes
            );
        }
        let t = translate("weekly", &tz);
        assert_eq!(t.cron.as_deref(), Some("0 0 * * 0"));
        assert!(t.notes.iter().any(|n| n.code == AMBIGUOUS));
        let t = translate("every 7 minutes", &tz);
        assert_eq!(t.cron.as_deref(), Some("*/7 * * * *"));
        assert!(t.notes.iter().any(|n| n.code == APPROXIMATE));
        let t = translate("every weekday at 9:00 except holidays", &tz);
        assert_eq!(t.cron.as_deref(), Some("0 9 * * 1-5"));
        assert!(
            t.notes
                .iter()
                .any(|n| n.code == AMBIGUOUS && n.message.contains("except holidays"))
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
        assert!(t.notes.iter().any(|n| n.code == AMBIGUOUS));
    }
}
