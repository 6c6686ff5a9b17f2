//! The stages of reading one free-text schedule: each reads one kind of phrase (time zones,
//! times of day, intervals, weekdays and dates, periods) out of the text, and the last builds
//! the five crontab fields from what was read.

use super::{
    AT_HOUR, DAY_NAME, DAY_RANGE, EVERY_N, FILLER, LAST_DAY, NTH_WEEKDAY, Note, ORDINAL, PAST,
    TIME, Translation, compress, dow_number, join,
};
use crate::sheet::codes;
use std::collections::BTreeSet;

/// One schedule text being read: what is left of it (`s`, each understood phrase blanked out)
/// and the fields found so far. Each stage reads one kind of phrase.
pub(super) struct Reading<'t> {
    /// The cell's text, for messages.
    pub(super) text: &'t str,
    /// The lower-cased text, padded with spaces, with every phrase read so far removed.
    pub(super) s: String,
    pub(super) out: Translation,
    /// Times of day (hour, minute).
    pub(super) times: Vec<(u32, u32)>,
    pub(super) minute: Option<String>,
    pub(super) hour: Option<String>,
    /// Whether an interval (every N minutes/hours, hourly) was read.
    pub(super) interval: bool,
    pub(super) dow: BTreeSet<u8>,
    /// A weekday field written out (`1-5`, `0,6`) for the weekday/weekend words.
    pub(super) dow_text: Option<String>,
    pub(super) dom: BTreeSet<u32>,
    pub(super) month: Option<&'static str>,
    /// Whether words naming a day period (daily, weekly, monthly …) were read.
    pub(super) day_words: bool,
    pub(super) assumed_day: Option<String>,
}

impl Reading<'_> {
    pub(super) fn read(&mut self, is_valid_tz: &dyn Fn(&str) -> bool) -> Option<()> {
        self.time_zones(is_valid_tz);
        self.unsupported_shapes()?;
        self.times_of_day()?;
        self.intervals()?;
        self.weekdays_and_dates()?;
        self.periods()?;
        self.fields()
    }

    /// Time zones: an IANA name (with a slash) or UTC/GMT; abbreviations are refused.
    fn time_zones(&mut self, is_valid_tz: &dyn Fn(&str) -> bool) {
        let text = self.text;
        for word in text.split_whitespace() {
            let w = word.trim_matches(|c: char| c == '(' || c == ')' || c == ',');
            if w.contains('/')
                && w.chars().next().is_some_and(char::is_alphabetic)
                && is_valid_tz(w)
            {
                self.out.timezone = Some(w.to_string());
                self.s = self.s.replace(&w.to_lowercase(), " ");
            } else if matches!(w.to_ascii_uppercase().as_str(), "UTC" | "GMT" | "Z")
                && self.out.timezone.is_none()
            {
                self.out.timezone = Some("UTC".into());
            } else if matches!(
                w.to_ascii_uppercase().as_str(),
                "CET" | "CEST" | "EST" | "EDT" | "PST" | "PDT" | "BST" | "IST"
            ) {
                self.out.notes.push(Note { warning: true, code: codes::SHEET_SCHEDULE_AMBIGUOUS.id, message: format!("time zone abbreviation `{w}` is ambiguous and was not applied; add a Timezone column with an IANA name such as Europe/Paris") });
                self.s = self.s.replace(&w.to_lowercase(), " ");
            }
        }
    }

    /// Shapes crontab(5) cannot express: the n-th weekday, the last day of a month.
    fn unsupported_shapes(&mut self) -> Option<()> {
        if NTH_WEEKDAY.is_match(&self.s) {
            self.out.notes.push(Note { warning: true, code: codes::SHEET_SCHEDULE_UNSUPPORTED.id, message: format!("`{}`: an n-th weekday of the month cannot be written in crontab(5) (restricting both day fields means either, not both); no schedule generated", self.text) });
            return None;
        }
        if LAST_DAY.is_match(&self.s) {
            self.out.notes.push(Note { warning: true, code: codes::SHEET_SCHEDULE_UNSUPPORTED.id, message: format!("`{}`: the last day of a month cannot be written in crontab(5); no schedule generated", self.text) });
            return None;
        }
        Some(())
    }

    /// Times of day (`9:00`, `2pm`, `noon`), or `at 9` read on a 24-hour clock.
    fn times_of_day(&mut self) -> Option<()> {
        let mut bad_time = None;
        for c in TIME.captures_iter(&self.s.clone()) {
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
            self.times.push((h, m));
            if let Some(whole) = c.get(0) {
                self.s = self.s.replacen(whole.as_str(), " ", 1);
            }
        }
        if let Some(b) = bad_time {
            self.out.notes.push(Note {
                warning: true,
                code: codes::SHEET_SCHEDULE_UNSUPPORTED.id,
                message: format!(
                    "`{}`: `{b}` is not a time of day; no schedule generated",
                    self.text
                ),
            });
            return None;
        }
        if self.times.is_empty()
            && let Some(c) = AT_HOUR.captures(&self.s.clone())
        {
            {
                let h: u32 = c["h"].parse().unwrap_or(99);
                if h <= 23 {
                    self.times.push((h, 0));
                    self.out.notes.push(Note {
                        warning: false,
                        code: codes::SHEET_SCHEDULE_ASSUMED.id,
                        message: format!(
                            "`{}`: `at {h}` read as {h:02}:00 on a 24-hour clock",
                            self.text
                        ),
                    });
                    if let Some(w) = c.get(0) {
                        self.s = self.s.replacen(w.as_str(), " ", 1);
                    }
                }
            }
        }
        Some(())
    }

    /// Intervals: every N minutes or hours, hourly, every quarter hour, and the minute past the hour.
    fn intervals(&mut self) -> Option<()> {
        if let Some(c) = EVERY_N.captures(&self.s.clone()) {
            let n: u32 = c["n"].parse().unwrap_or(0);
            let unit = &c["unit"];
            let is_min = unit.starts_with('m');
            let span = if is_min { 60 } else { 24 };
            if n == 0 || n >= span {
                self.out.notes.push(Note { warning: true, code: codes::SHEET_SCHEDULE_UNSUPPORTED.id, message: format!("`{}`: every {n} {} cannot be written as one crontab(5) line; no schedule generated", self.text, if is_min { "minutes" } else { "hours" }) });
                return None;
            }
            if span % n != 0 {
                self.out.notes.push(Note { warning: true, code: codes::SHEET_SCHEDULE_APPROXIMATE.id, message: format!("`{}`: crontab steps restart every {}, so `*/{n}` leaves a shorter gap at the {}; check this is acceptable", self.text, if is_min { "hour" } else { "day" }, if is_min { "top of the hour" } else { "start of the day" }) });
            }
            let step = if n == 1 {
                "*".to_string()
            } else {
                format!("*/{n}")
            };
            if is_min {
                self.minute = Some(step);
                self.hour = Some("*".into());
            } else {
                self.hour = Some(step);
            }
            self.interval = true;
            if let Some(w) = c.get(0) {
                self.s = self.s.replacen(w.as_str(), " ", 1);
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
            if !self.interval && self.s.contains(pat) {
                self.minute = Some(min.into());
                self.hour = Some(hr.into());
                self.interval = true;
                self.s = self.s.replacen(pat, " ", 1);
            }
        }
        for pat in [" hourly ", " every hour ", " each hour "] {
            if !self.interval && self.s.contains(pat) {
                self.hour = Some("*".into());
                self.interval = true;
                self.s = self.s.replacen(pat, " ", 1);
            }
        }
        if self.interval && self.hour.as_deref() != Some("*") && self.minute.is_none()
            || self.hour.as_deref() == Some("*") && self.minute.is_none()
        {
            // "hourly at :15", "every 2 hours at 15 past".
            if let Some(c) = PAST.captures(&self.s.clone()) {
                let m: u32 = c
                    .name("m")
                    .or(c.name("m2"))
                    .map_or(99, |m| m.as_str().parse().unwrap_or(99));
                if m <= 59 {
                    self.minute = Some(m.to_string());
                    if let Some(w) = c.get(0) {
                        self.s = self.s.replacen(w.as_str(), " ", 1);
                    }
                }
            }
            if self.minute.is_none() {
                if let [(_, m)] = self.times.as_slice() {
                    self.minute = Some(m.to_string());
                    self.times.clear();
                } else {
                    self.minute = Some("0".into());
                }
            }
        }
        Some(())
    }

    /// Weekday words, ranges and names, and days of the month (`1st`, `first of`).
    fn weekdays_and_dates(&mut self) -> Option<()> {
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
            if self.s.contains(pat) && self.dow_text.is_none() {
                self.dow_text = Some(set.into());
                self.s = self.s.replacen(pat, " ", 1);
            }
        }
        if self.dow_text.is_none() {
            for c in DAY_RANGE.captures_iter(&self.s.clone()) {
                let (a, b) = (dow_number(&c["a"]), dow_number(&c["b"]));
                if a <= b {
                    self.dow.extend(a..=b);
                } else {
                    self.dow.extend(a..=6);
                    self.dow.insert(0);
                    self.dow.extend(1..=b);
                }
                if let Some(w) = c.get(0) {
                    self.s = self.s.replacen(w.as_str(), " ", 1);
                }
            }
            for c in DAY_NAME.captures_iter(&self.s.clone()) {
                let d = c.name("d").or(c.name("d2")).map_or("", |m| m.as_str());
                self.dow.insert(dow_number(d));
                if let Some(w) = c.get(0) {
                    self.s = self.s.replacen(w.as_str(), " ", 1);
                }
            }
        }
        for c in ORDINAL.captures_iter(&self.s.clone()) {
            let d: u32 = c["d"].parse().unwrap_or(99);
            if !(1..=31).contains(&d) {
                self.out.notes.push(Note {
                    warning: true,
                    code: codes::SHEET_SCHEDULE_UNSUPPORTED.id,
                    message: format!(
                        "`{}`: day {d} of the month does not exist; no schedule generated",
                        self.text
                    ),
                });
                return None;
            }
            self.dom.insert(d);
            if let Some(w) = c.get(0) {
                self.s = self.s.replacen(w.as_str(), " ", 1);
            }
        }
        for pat in [" first day ", " first of the ", " first of "] {
            if self.s.contains(pat) {
                self.dom.insert(1);
                self.s = self.s.replacen(pat, " ", 1);
            }
        }
        Some(())
    }

    /// Period words (daily, nightly, weekly, monthly, quarterly, yearly) and the days they imply.
    fn periods(&mut self) -> Option<()> {
        self.daily_words();
        if self.s.contains(" weekly ") || self.s.contains(" every week ") {
            self.s = self.s.replace(" weekly ", " ").replace(" every week ", " ");
            if self.dow.is_empty() && self.dow_text.is_none() {
                self.dow.insert(0);
                self.out.notes.push(Note {
                    warning: true,
                    code: codes::SHEET_SCHEDULE_AMBIGUOUS.id,
                    message: format!(
                        "`{}`: no weekday given; Sunday assumed (as @weekly does)",
                        self.text
                    ),
                });
            }
            self.day_words = true;
        }
        self.month_words();
        if let Some(a) = self.assumed_day.take() {
            self.out.notes.push(Note {
                warning: false,
                code: codes::SHEET_SCHEDULE_ASSUMED.id,
                message: format!("`{}`: {a}", self.text),
            });
        }
        if !self.dom.is_empty() && (!self.dow.is_empty() || self.dow_text.is_some()) {
            self.out.notes.push(Note { warning: true, code: codes::SHEET_SCHEDULE_UNSUPPORTED.id, message: format!("`{}`: a day of the month combined with a weekday cannot be written in crontab(5) (it would run on either); no schedule generated", self.text) });
            return None;
        }
        Some(())
    }

    /// What is left must be filler; then the five fields, checked by the crontab parser.
    fn fields(&mut self) -> Option<()> {
        let leftover: Vec<&str> = self
            .s
            .split_whitespace()
            .filter(|w| !FILLER.contains(w))
            .collect();
        let has_days = self.day_words
            || !self.dow.is_empty()
            || self.dow_text.is_some()
            || !self.dom.is_empty()
            || self.month.is_some();
        if !self.interval && !has_days && self.times.is_empty() {
            self.out.notes.push(Note {
                warning: true,
                code: codes::SHEET_SCHEDULE_UNSUPPORTED.id,
                message: format!(
                    "`{}` is not a schedule this importer understands; no schedule generated",
                    self.text
                ),
            });
            return None;
        }
        if !leftover.is_empty() {
            self.out.notes.push(Note {
                warning: true,
                code: codes::SHEET_SCHEDULE_AMBIGUOUS.id,
                message: format!(
                    "`{}`: ignored the words `{}`; check the schedule",
                    self.text,
                    leftover.join(" ")
                ),
            });
        }

        let (min_f, hour_f) = self.time_fields(has_days)?;
        if !has_days && !self.interval {
            self.out.notes.push(Note {
                warning: false,
                code: codes::SHEET_SCHEDULE_ASSUMED.id,
                message: format!("`{}`: a time without days is read as every day", self.text),
            });
        }
        let dom_f = if self.dom.is_empty() {
            "*".to_string()
        } else {
            join(&self.dom)
        };
        let dow_f = match self.dow_text.take() {
            Some(t) => t,
            None if self.dow.is_empty() => "*".into(),
            None => compress(&self.dow),
        };
        let expr = format!(
            "{min_f} {hour_f} {dom_f} {} {dow_f}",
            self.month.unwrap_or("*")
        );
        match claw_language::cron::parse(&expr) {
            Ok(_) => self.out.cron = Some(expr),
            Err(e) => self.out.notes.push(Note { warning: true, code: codes::SHEET_SCHEDULE_UNSUPPORTED.id, message: format!("`{}` translated to `{expr}`, which crontab(5) rejects ({e}); no schedule generated", self.text) }),
        }
        Some(())
    }

    /// The minute and hour fields: from an interval, from the times of day (one minute or
    /// one hour shared by all), or 00:00 for days without a time. `None` when no schedule
    /// can be written.
    fn time_fields(&mut self, has_days: bool) -> Option<(String, String)> {
        if self.interval {
            if !self.times.is_empty() {
                self.out.notes.push(Note {
                    warning: true,
                    code: codes::SHEET_SCHEDULE_AMBIGUOUS.id,
                    message: format!(
                        "`{}`: a time of day given with an interval was ignored",
                        self.text
                    ),
                });
            }
            return Some((
                self.minute.take().unwrap_or_else(|| "0".into()),
                self.hour.take().unwrap_or_else(|| "*".into()),
            ));
        }
        if self.times.is_empty() {
            if !has_days
                || !self.day_words
                    && self.dow.is_empty()
                    && self.dow_text.is_none()
                    && self.dom.is_empty()
            {
                return None;
            }
            if !self.s.contains("night") {
                self.out.notes.push(Note {
                    warning: false,
                    code: codes::SHEET_SCHEDULE_ASSUMED.id,
                    message: format!("`{}`: no time of day given; 00:00 assumed", self.text),
                });
            }
            return Some(("0".into(), "0".into()));
        }
        let minutes: BTreeSet<u32> = self.times.iter().map(|t| t.1).collect();
        let hours: BTreeSet<u32> = self.times.iter().map(|t| t.0).collect();
        if minutes.len() == 1 || hours.len() == 1 {
            Some((join(&minutes), join(&hours)))
        } else {
            self.out.notes.push(Note { warning: true, code: codes::SHEET_SCHEDULE_UNSUPPORTED.id, message: format!("`{}`: times with different hours and minutes need several crontab lines; split the row", self.text) });
            None
        }
    }

    /// Words of a daily or nightly run (a nightly run without a time gets a warning).
    fn daily_words(&mut self) {
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
            if self.s.contains(pat) {
                self.day_words = true;
                if pat.contains("night") && self.times.is_empty() {
                    self.out.notes.push(Note {
                        warning: true,
                        code: codes::SHEET_SCHEDULE_AMBIGUOUS.id,
                        message: format!(
                            "`{}`: no time given for a nightly run; 00:00 assumed",
                            self.text
                        ),
                    });
                }
                self.s = self.s.replacen(pat, " ", 1);
            }
        }
    }

    /// Monthly, quarterly and yearly words: the months they imply and, when no day is given,
    /// the 1st (noted as assumed).
    fn month_words(&mut self) {
        if self.s.contains(" monthly ")
            || self.s.contains(" every month ")
            || self.s.contains(" of month ")
            || self.s.contains(" of the month ")
            || self.s.contains(" each month ")
        {
            for p in [
                " monthly ",
                " every month ",
                " of month ",
                " of the month ",
                " each month ",
            ] {
                self.s = self.s.replace(p, " ");
            }
            if self.dom.is_empty() {
                self.dom.insert(1);
                self.assumed_day =
                    Some("no day of the month given; the 1st assumed (as @monthly does)".into());
            }
            self.day_words = true;
        }
        if self.s.contains(" quarterly ") {
            self.s = self.s.replace(" quarterly ", " ");
            self.month = Some("1,4,7,10");
            if self.dom.is_empty() {
                self.dom.insert(1);
                self.assumed_day =
                    Some("quarterly read as the 1st of January, April, July and October".into());
            }
            self.day_words = true;
        }
        if self.s.contains(" yearly ")
            || self.s.contains(" annually ")
            || self.s.contains(" every year ")
        {
            for p in [" yearly ", " annually ", " every year "] {
                self.s = self.s.replace(p, " ");
            }
            self.month = Some("1");
            if self.dom.is_empty() {
                self.dom.insert(1);
                self.assumed_day =
                    Some("no date given; 1 January assumed (as @yearly does)".into());
            }
            self.day_words = true;
        }
    }
}
