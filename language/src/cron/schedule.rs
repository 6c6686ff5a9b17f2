//! A whole schedule: parsing the five fields or an `@keyword`, matching a
//! minute, and finding the next fire time in naive (wall-clock) time.

use std::fmt;

use std::str::FromStr;

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta, Timelike};

use super::error::CronError;
use super::field::Field;
use super::read::parse_schedule;

/// The `@keywords` Debian accepts. They are case-sensitive, lower-case only
/// (`@DAILY` is "bad time specifier").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Keyword {
    /// `@reboot`: once when cron starts at system boot.
    Reboot,
    /// `@yearly`, same as `0 0 1 1 *`.
    Yearly,
    /// `@annually`, same as `0 0 1 1 *`.
    Annually,
    /// `@monthly`, same as `0 0 1 * *`.
    Monthly,
    /// `@weekly`, same as `0 0 * * 0`.
    Weekly,
    /// `@daily`, same as `0 0 * * *`.
    Daily,
    /// `@midnight`, same as `0 0 * * *`.
    Midnight,
    /// `@hourly`, same as `0 * * * *`.
    Hourly,
}

impl Keyword {
    /// Every keyword, in the order Debian's entry.c tests them.
    pub const ALL: [Keyword; 8] = [
        Keyword::Reboot,
        Keyword::Yearly,
        Keyword::Annually,
        Keyword::Monthly,
        Keyword::Weekly,
        Keyword::Daily,
        Keyword::Midnight,
        Keyword::Hourly,
    ];

    /// The keyword as written, with its `@`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Reboot => "@reboot",
            Self::Yearly => "@yearly",
            Self::Annually => "@annually",
            Self::Monthly => "@monthly",
            Self::Weekly => "@weekly",
            Self::Daily => "@daily",
            Self::Midnight => "@midnight",
            Self::Hourly => "@hourly",
        }
    }

    /// The equivalent five-field text, or `None` for `@reboot`, which has
    /// no timetable.
    pub const fn five_field_form(self) -> Option<&'static str> {
        match self {
            Self::Reboot => None,
            Self::Yearly | Self::Annually => Some("0 0 1 1 *"),
            Self::Monthly => Some("0 0 1 * *"),
            Self::Weekly => Some("0 0 * * 0"),
            Self::Daily | Self::Midnight => Some("0 0 * * *"),
            Self::Hourly => Some("0 * * * *"),
        }
    }

    /// Looks up `@word` exactly (case-sensitive, as Debian does).
    pub fn from_token(token: &str) -> Option<Keyword> {
        Self::ALL.into_iter().find(|k| k.as_str() == token)
    }

    /// The star flags Debian's entry.c sets for this keyword, in field
    /// order (minute, hour, dom, month, dow). They are not simply "the
    /// equivalent text starts with `*`": `@daily` sets neither DOM_STAR nor
    /// DOW_STAR and `@hourly` sets only HR_STAR. Matching is unaffected
    /// (those day sets are full), but the flags decide the DST treatment.
    pub(super) const fn debian_stars(self) -> [bool; 5] {
        match self {
            Self::Reboot => [false; 5],
            Self::Yearly | Self::Annually => [false, false, false, false, true],
            Self::Monthly => [false, false, false, true, true],
            Self::Weekly => [false, false, true, true, false],
            Self::Daily | Self::Midnight => [false, false, false, true, false],
            Self::Hourly => [false, true, false, true, false],
        }
    }
}

impl fmt::Display for Keyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The five parsed time fields of a schedule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fields {
    pub(super) minute: Field,
    pub(super) hour: Field,
    pub(super) dom: Field,
    pub(super) month: Field,
    pub(super) dow: Field,
}

/// How the day-of-month and day-of-week fields combine (§1.4 of the
/// semantics reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayRule {
    /// Either day field is star: both must match.
    And,
    /// Both day fields are restricted: either may match.
    Or,
}

impl Fields {
    /// The minute field.
    pub fn minute(&self) -> &Field {
        &self.minute
    }
    /// The hour field.
    pub fn hour(&self) -> &Field {
        &self.hour
    }
    /// The day-of-month field.
    pub fn dom(&self) -> &Field {
        &self.dom
    }
    /// The month field.
    pub fn month(&self) -> &Field {
        &self.month
    }
    /// The day-of-week field.
    pub fn dow(&self) -> &Field {
        &self.dow
    }

    /// All five fields in crontab order.
    pub fn all(&self) -> [&Field; 5] {
        [&self.minute, &self.hour, &self.dom, &self.month, &self.dow]
    }

    /// The Vixie rule: if the dom OR the dow field is star, the day must
    /// match both; otherwise it may match either.
    pub fn day_rule(&self) -> DayRule {
        if self.dom.is_star() || self.dow.is_star() {
            DayRule::And
        } else {
            DayRule::Or
        }
    }

    /// Whether the date's day passes the dom/dow rule.
    fn day_matches(&self, date: NaiveDate) -> bool {
        let dom = self.dom.contains(date.day());
        let dow = self.dow.contains(date.weekday().num_days_from_sunday());
        match self.day_rule() {
            DayRule::And => dom && dow,
            DayRule::Or => dom || dow,
        }
    }

    /// Bitset of the matching days (bit `d` = day `d`) of the month that
    /// starts on `first`. Computing a whole month at once is what lets the
    /// search skip by month instead of by day.
    fn day_mask(&self, first: NaiveDate) -> u64 {
        let len = days_in_month(first.year(), first.month());
        let valid = ((1u64 << (len + 1)) - 1) & !1;
        let dom = self.dom.bits() & valid;
        let w0 = first.weekday().num_days_from_sunday();
        let mut dow = 0u64;
        for d in 1..=len {
            if self.dow.contains((w0 + d - 1) % 7) {
                dow |= 1 << d;
            }
        }
        match self.day_rule() {
            DayRule::And => dom & dow,
            DayRule::Or => dom | dow,
        }
    }

    /// Whether any minute at all can ever match. Decided from the sets
    /// alone, so `0 0 30 2 *` or `22-2 * * * *` are known to be NEVER without
    /// searching: every valid (month, day) pair falls on every weekday within
    /// the 400-year Gregorian cycle, and every month contains every weekday.
    fn can_fire(&self) -> bool {
        if self.minute.is_empty() || self.hour.is_empty() || self.month.is_empty() {
            return false;
        }
        let mut valid_days = 0u64;
        for m in self.month.values() {
            let longest = if m == 2 {
                29
            } else {
                days_in_month(2000, u32::from(m))
            };
            valid_days |= ((1u64 << (longest + 1)) - 1) & !1;
        }
        let dom_possible = self.dom.bits() & valid_days != 0;
        let dow_possible = self.dow.bits() & 0x7f != 0;
        match self.day_rule() {
            DayRule::And => dom_possible && dow_possible,
            DayRule::Or => dom_possible || dow_possible,
        }
    }

    /// First (hour, minute) at or after `(h0, m0)` on a matching day.
    fn time_on_day(&self, h0: u32, m0: u32) -> Option<(u32, u32)> {
        let mut hours = self.hour.bits() & (!0u64 << h0);
        while hours != 0 {
            let h = hours.trailing_zeros();
            let mins = if h == h0 {
                self.minute.bits() & (!0u64 << m0)
            } else {
                self.minute.bits()
            };
            if mins != 0 {
                return Some((h, mins.trailing_zeros()));
            }
            hours &= hours - 1;
        }
        None
    }

    /// First matching minute at or after `start` (which is on a minute).
    fn search(&self, start: NaiveDateTime) -> Option<NaiveDateTime> {
        let (y0, m0, d0) = (start.year(), start.month(), start.day());
        let (h0, mi0) = (start.hour(), start.minute());
        let last_year = y0.checked_add(SEARCH_YEARS)?;
        for year in y0..=last_year {
            for month in 1..=12u32 {
                if (year == y0 && month < m0) || !self.month.contains(month) {
                    continue;
                }
                // Beyond chrono's last representable date: nothing to find.
                let first = NaiveDate::from_ymd_opt(year, month, 1)?;
                let same_month = year == y0 && month == m0;
                let mut days = self.day_mask(first);
                if same_month {
                    days &= !0u64 << d0;
                }
                while days != 0 {
                    let day = days.trailing_zeros();
                    days &= days - 1;
                    let (hf, mf) = if same_month && day == d0 {
                        (h0, mi0)
                    } else {
                        (0, 0)
                    };
                    if let Some((h, mi)) = self.time_on_day(hf, mf) {
                        return NaiveDate::from_ymd_opt(year, month, day)?.and_hms_opt(h, mi, 0);
                    }
                }
            }
        }
        None
    }
}

/// How far ahead the search looks. A schedule that can fire at all fires
/// within one 400-year Gregorian cycle (see [`Fields::can_fire`]), so this
/// bound is a safety net, never the thing that decides NEVER.
const SEARCH_YEARS: i32 = 400;

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// What a schedule is: a boot-time job or a timetable.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ScheduleKind {
    /// `@reboot`: no timetable.
    Reboot,
    /// Five time fields (written out, or from an `@keyword`). Boxed because
    /// it is much larger than the `Reboot` variant.
    Fields(Box<Fields>),
}

/// Debian's star flags for a schedule, as its parser sets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct StarFlags {
    /// MIN_STAR: the minute field starts with `*`.
    pub minute: bool,
    /// HR_STAR: the hour field starts with `*` (or `@hourly`).
    pub hour: bool,
    /// DOM_STAR: the day-of-month field starts with `*`.
    pub dom: bool,
    /// DOW_STAR: the day-of-week field starts with `*`.
    pub dow: bool,
    /// WHEN_REBOOT: `@reboot`.
    pub reboot: bool,
}

impl StarFlags {
    /// The flag names Debian uses, in its order (`MIN_STAR`, `HR_STAR`,
    /// `DOM_STAR`, `DOW_STAR`, `WHEN_REBOOT`).
    pub fn names(&self) -> Vec<&'static str> {
        let all = [
            (self.minute, "MIN_STAR"),
            (self.hour, "HR_STAR"),
            (self.dom, "DOM_STAR"),
            (self.dow, "DOW_STAR"),
            (self.reboot, "WHEN_REBOOT"),
        ];
        all.into_iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| n)
            .collect()
    }
}

impl fmt::Display for StarFlags {
    /// Comma-separated names, or `-` when none is set (the conformance
    /// table's notation).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = self.names();
        if names.is_empty() {
            f.write_str("-")
        } else {
            f.write_str(&names.join(","))
        }
    }
}

/// A parsed crontab schedule (the time part of one crontab line).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Schedule {
    pub(super) raw: String,
    pub(super) keyword: Option<Keyword>,
    pub(super) kind: ScheduleKind,
}

impl Schedule {
    /// Parses five fields or an `@keyword`. See [`crate::cron::parse`].
    pub fn parse(expr: &str) -> Result<Schedule, CronError> {
        parse_schedule(expr)
    }

    /// The expression exactly as given.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// Reboot or fields.
    pub fn kind(&self) -> &ScheduleKind {
        &self.kind
    }

    /// The `@keyword` it was written as, if any.
    pub fn keyword(&self) -> Option<Keyword> {
        self.keyword
    }

    /// The five fields, or `None` for `@reboot`.
    pub fn fields(&self) -> Option<&Fields> {
        match &self.kind {
            ScheduleKind::Reboot => None,
            ScheduleKind::Fields(f) => Some(f),
        }
    }

    /// Whether this is `@reboot`.
    pub fn is_reboot(&self) -> bool {
        matches!(self.kind, ScheduleKind::Reboot)
    }

    /// The schedule as five fields separated by single spaces (a keyword's
    /// equivalent form), or `None` for `@reboot`.
    pub fn five_field_form(&self) -> Option<String> {
        if let Some(k) = self.keyword {
            return k.five_field_form().map(str::to_owned);
        }
        let f = self.fields()?;
        Some(f.all().map(Field::raw).join(" "))
    }

    /// Debian's star flags for this schedule.
    pub fn flags(&self) -> StarFlags {
        match self.fields() {
            None => StarFlags {
                reboot: true,
                ..StarFlags::default()
            },
            Some(f) => StarFlags {
                minute: f.minute.is_star(),
                hour: f.hour.is_star(),
                dom: f.dom.is_star(),
                dow: f.dow.is_star(),
                reboot: false,
            },
        }
    }

    /// Debian's "wildcard job" test for DST handling: MIN_STAR or HR_STAR is
    /// set (`@hourly` counts as wildcard). Wildcard jobs follow the wall
    /// clock; the others are "fixed-time" jobs. `@reboot` is neither and
    /// returns false.
    pub fn is_wildcard(&self) -> bool {
        self.fields()
            .is_some_and(|f| f.minute.is_star() || f.hour.is_star())
    }

    /// Whether the schedule can ever fire. False for `@reboot`, reversed
    /// (empty) ranges, and impossible dates such as `0 0 30 2 *`.
    pub fn can_fire(&self) -> bool {
        self.fields().is_some_and(Fields::can_fire)
    }

    /// Whether the job runs in the minute containing `t` (seconds are
    /// ignored: cron works in whole minutes). Always false for `@reboot`.
    pub fn matches(&self, t: &NaiveDateTime) -> bool {
        let Some(f) = self.fields() else {
            return false;
        };
        f.minute.contains(t.minute())
            && f.hour.contains(t.hour())
            && f.month.contains(t.month())
            && f.day_matches(t.date())
    }

    /// The first fire time at or after `from`, in naive wall-clock time (no
    /// time zone, so no DST). A `from` with seconds is rounded up to the next
    /// minute. `None` if the schedule never fires (or is `@reboot`).
    ///
    /// The search jumps month by month and day by day using bit masks, so it
    /// costs at most a few thousand cheap steps even for sparse schedules.
    pub fn next_at_or_after(&self, from: NaiveDateTime) -> Option<NaiveDateTime> {
        let f = self.fields()?;
        if !f.can_fire() {
            return None;
        }
        f.search(ceil_to_minute(from)?)
    }

    /// The first fire time strictly after the minute containing `from`.
    pub fn next_after(&self, from: NaiveDateTime) -> Option<NaiveDateTime> {
        let next_minute = floor_to_minute(from).checked_add_signed(TimeDelta::minutes(1))?;
        self.next_at_or_after(next_minute)
    }

    /// Plain-English description; see [`crate::cron::explain`].
    pub fn explain(&self) -> String {
        super::explain::explain(self)
    }
}

impl FromStr for Schedule {
    type Err = CronError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_schedule(s)
    }
}

impl fmt::Display for Schedule {
    /// The raw expression.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

pub(crate) fn floor_to_minute(t: NaiveDateTime) -> NaiveDateTime {
    // with_second(0)/with_nanosecond(0) cannot fail for valid inputs; fall
    // back to `t` rather than panic if chrono ever disagrees.
    t.with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(t)
}

fn ceil_to_minute(t: NaiveDateTime) -> Option<NaiveDateTime> {
    let floor = floor_to_minute(t);
    if floor == t {
        Some(t)
    } else {
        floor.checked_add_signed(TimeDelta::minutes(1))
    }
}

#[cfg(test)]
mod tests;
