//! One crontab time field: its grammar, value set and "star" flag.
//!
//! The grammar follows Debian cron 3.0pl1's `get_list`/`get_range`/
//! `get_number` (entry.c) step by step, so that everything Debian rejects is
//! rejected here with Debian's message. The one deliberate difference:
//! Debian stops reading a field at the first character it does not expect
//! and silently skips the rest (`5#2` is read as `5`); we reject that as
//! [`CronErrorKind::TrailingGarbage`], because the author almost certainly
//! meant something Debian does not do (here: "second Friday").

use std::ops::Range;

use super::error::CronError;
use super::field_parse::{normalise, parse_field};

/// Which of the five time fields a [`Field`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FieldKind {
    /// Minute, 0-59.
    Minute,
    /// Hour, 0-23.
    Hour,
    /// Day of month, 1-31.
    DayOfMonth,
    /// Month, 1-12 or `jan`-`dec`.
    Month,
    /// Day of week, 0-7 (0 and 7 are Sunday) or `sun`-`sat`.
    DayOfWeek,
}

/// Three-letter month names, index + 1 = month number (Debian `MonthNames`).
pub(crate) const MONTH_NAMES: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Three-letter day names, index = day number (Debian `DowNames`; its
/// trailing second "Sun" is never reached because lookup stops at the
/// first match, so `sun` is always 0).
pub(crate) const DOW_NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// Full month names, used only to give a better hint for `january`.
pub(super) const LONG_MONTH_NAMES: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Full day names, used only to give a better hint for `monday`.
pub(super) const LONG_DOW_NAMES: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];

impl FieldKind {
    /// The five kinds in crontab order.
    pub const ALL: [FieldKind; 5] = [
        FieldKind::Minute,
        FieldKind::Hour,
        FieldKind::DayOfMonth,
        FieldKind::Month,
        FieldKind::DayOfWeek,
    ];

    /// Smallest allowed value.
    pub const fn min(self) -> u8 {
        match self {
            Self::Minute | Self::Hour | Self::DayOfWeek => 0,
            Self::DayOfMonth | Self::Month => 1,
        }
    }

    /// Largest allowed value (7 for day-of-week: 7 is Sunday too).
    pub const fn max(self) -> u8 {
        match self {
            Self::Minute => 59,
            Self::Hour => 23,
            Self::DayOfMonth => 31,
            Self::Month => 12,
            Self::DayOfWeek => 7,
        }
    }

    /// The field's name as Debian spells it in messages: `minute`, `hour`,
    /// `day-of-month`, `month`, `day-of-week`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Minute => "minute",
            Self::Hour => "hour",
            Self::DayOfMonth => "day-of-month",
            Self::Month => "month",
            Self::DayOfWeek => "day-of-week",
        }
    }

    /// Debian's error message for this field (`bad minute`, ...).
    pub const fn debian_error(self) -> &'static str {
        match self {
            Self::Minute => "bad minute",
            Self::Hour => "bad hour",
            Self::DayOfMonth => "bad day-of-month",
            Self::Month => "bad month",
            Self::DayOfWeek => "bad day-of-week",
        }
    }

    /// Debian's flag name for "this field is star" (`MIN_STAR`, `HR_STAR`,
    /// `DOM_STAR`, `DOW_STAR`); Debian keeps no such flag for the month.
    pub const fn debian_star_flag(self) -> Option<&'static str> {
        match self {
            Self::Minute => Some("MIN_STAR"),
            Self::Hour => Some("HR_STAR"),
            Self::DayOfMonth => Some("DOM_STAR"),
            Self::Month => None,
            Self::DayOfWeek => Some("DOW_STAR"),
        }
    }

    /// The 3-letter names this field accepts (empty for numeric fields).
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Self::Month => &MONTH_NAMES,
            Self::DayOfWeek => &DOW_NAMES,
            _ => &[],
        }
    }

    /// Bit mask with every allowed value set.
    pub(crate) const fn full_mask(self) -> u64 {
        let width = (self.max() - self.min() + 1) as u32;
        ((1u64 << width) - 1) << self.min()
    }

    /// Value a name stands for in this field, matching case-insensitively
    /// as Debian's `strcasecmp` does.
    pub(super) fn lookup_name(self, word: &str) -> Option<u8> {
        let names = self.names();
        let index = names.iter().position(|n| n.eq_ignore_ascii_case(word))?;
        let index = u8::try_from(index).ok()?;
        Some(index + if self == Self::Month { 1 } else { 0 })
    }
}

/// One parsed time field.
///
/// Keeps the raw text (for round-tripping and messages), the value set as a
/// bitset (bit `v` set means value `v` matches) and the "star" flag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Field {
    pub(super) kind: FieldKind,
    pub(super) raw: String,
    pub(super) star: bool,
    pub(super) bits: u64,
    pub(super) span: Range<usize>,
}

impl Field {
    /// Parses one field's text on its own (the importer uses this to check a
    /// single column). Spans in the error are relative to `text`.
    pub fn parse(kind: FieldKind, text: &str) -> Result<Field, CronError> {
        parse_field(kind, text, 0)
    }

    /// Builds a field for an `@keyword`, with the star flag Debian's
    /// entry.c sets for that keyword (which is not always "raw starts with
    /// `*`": `@daily` sets neither DOM_STAR nor DOW_STAR).
    pub(crate) fn synthetic(
        kind: FieldKind,
        raw: &str,
        bits: u64,
        star: bool,
        span: Range<usize>,
    ) -> Field {
        Field {
            kind,
            raw: raw.to_owned(),
            star,
            bits: normalise(kind, bits),
            span,
        }
    }

    /// Which field this is.
    pub fn kind(&self) -> FieldKind {
        self.kind
    }

    /// The field exactly as written (for a keyword: the equivalent
    /// five-field text, e.g. `*`).
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// Debian's star flag: the field text starts with `*`, so `*/2` counts
    /// as star (the Vixie quirk that turns the day-of-month/day-of-week OR
    /// into an AND). For `@keywords` it is the flag Debian sets for the
    /// keyword in question.
    pub fn is_star(&self) -> bool {
        self.star
    }

    /// The value set as a bitset: bit `v` is set when value `v` matches.
    /// For day-of-week, bits 0 and 7 (both Sunday) are always equal.
    pub fn bits(&self) -> u64 {
        self.bits
    }

    /// Whether `value` is in the set.
    pub fn contains(&self, value: u32) -> bool {
        value < 64 && self.bits & (1u64 << value) != 0
    }

    /// The values in ascending order.
    pub fn values(&self) -> impl Iterator<Item = u8> + '_ {
        (self.kind.min()..=self.kind.max()).filter(|v| self.bits & (1u64 << v) != 0)
    }

    /// Whether every allowed value is in the set (whatever the text said:
    /// `0-59` is full too).
    pub fn is_full(&self) -> bool {
        let full = self.kind.full_mask();
        self.bits & full == full
    }

    /// Whether the set is empty (a reversed range such as `22-2`: Debian
    /// accepts it, and the job never runs).
    pub fn is_empty(&self) -> bool {
        self.bits == 0
    }

    /// Byte range of this field within the expression it was parsed from.
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }
}

/// Makes Sunday consistent: Debian sets bits 0 and 7 together whenever
/// either is set, so 0 and 7 are interchangeable everywhere later.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::cron::CronErrorKind;

    fn set(kind: FieldKind, text: &str) -> Vec<u8> {
        match Field::parse(kind, text) {
            Ok(f) => f.values().collect(),
            Err(e) => panic!("{text}: {e}"),
        }
    }

    fn err(kind: FieldKind, text: &str) -> CronError {
        match Field::parse(kind, text) {
            Ok(f) => panic!("{text} parsed as {:?}", f.bits()),
            Err(e) => e,
        }
    }

    #[test]
    fn lists_ranges_steps() {
        use FieldKind::*;
        assert_eq!(set(Minute, "1,2,3"), vec![1, 2, 3]);
        assert_eq!(set(Minute, "5-55/10"), vec![5, 15, 25, 35, 45, 55]);
        assert_eq!(set(Minute, "*/15"), vec![0, 15, 30, 45]);
        assert_eq!(set(Minute, "*/7").last(), Some(&56));
        assert_eq!(set(Minute, "*/100"), vec![0]);
        assert_eq!(set(Minute, "09,39"), vec![9, 39]);
        assert_eq!(set(Hour, "0-23/2").len(), 12);
        assert_eq!(set(Month, "jan-mar/2"), vec![1, 3]);
        assert_eq!(set(Month, "JAN,jul"), vec![1, 7]);
        assert_eq!(set(DayOfWeek, "MON,Wed,fri"), vec![1, 3, 5]);
        assert_eq!(set(DayOfWeek, "1-5"), vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn sunday_is_0_and_7() {
        use FieldKind::DayOfWeek;
        assert_eq!(set(DayOfWeek, "7"), vec![0, 7]);
        assert_eq!(set(DayOfWeek, "0"), vec![0, 7]);
        assert_eq!(set(DayOfWeek, "sun"), vec![0, 7]);
        assert_eq!(set(DayOfWeek, "*/2"), vec![0, 2, 4, 6, 7]);
        assert_eq!(set(DayOfWeek, "1-7/2"), vec![0, 1, 3, 5, 7]);
    }

    #[test]
    fn reversed_ranges_are_empty_not_errors() {
        assert!(Field::parse(FieldKind::Minute, "22-2").is_ok_and(|f| f.is_empty()));
        // sat-sun is 6-0: reversed, so empty (Debian agrees).
        assert!(Field::parse(FieldKind::DayOfWeek, "sat-sun").is_ok_and(|f| f.is_empty()));
    }

    #[test]
    fn star_flag_is_first_character() {
        assert!(Field::parse(FieldKind::DayOfMonth, "*/2").is_ok_and(|f| f.is_star()));
        assert!(
            Field::parse(FieldKind::DayOfMonth, "1-31").is_ok_and(|f| !f.is_star() && f.is_full())
        );
    }

    #[test]
    fn errors_carry_debian_messages() {
        use CronErrorKind::*;
        use FieldKind::*;
        let cases = [
            (Minute, "60", OutOfRange, Some("bad minute")),
            (Minute, "1/5", BadStep, Some("bad minute")),
            (Minute, "*/0", BadStep, Some("bad minute")),
            (Minute, "5-", BadField, Some("bad minute")),
            (Minute, ",5", BadField, Some("bad minute")),
            (Minute, "5,", BadField, Some("bad minute")),
            (Minute, "mon", BadField, Some("bad minute")),
            (Minute, "-5", BadField, Some("bad minute")),
            (Hour, "24", OutOfRange, Some("bad hour")),
            (DayOfMonth, "0", OutOfRange, Some("bad day-of-month")),
            (DayOfMonth, "L", UnsupportedSyntax, Some("bad day-of-month")),
            (
                DayOfMonth,
                "15W",
                UnsupportedSyntax,
                Some("bad day-of-month"),
            ),
            (DayOfMonth, "?", UnsupportedSyntax, Some("bad day-of-month")),
            (DayOfMonth, "H", UnsupportedSyntax, Some("bad day-of-month")),
            (Month, "13", OutOfRange, Some("bad month")),
            (Month, "january", BadField, Some("bad month")),
            (DayOfWeek, "8", OutOfRange, Some("bad day-of-week")),
            (DayOfWeek, "monday", BadField, Some("bad day-of-week")),
            (DayOfWeek, "5L", UnsupportedSyntax, Some("bad day-of-week")),
            (DayOfWeek, "#2", UnsupportedSyntax, Some("bad day-of-week")),
            (DayOfWeek, "*/mon", BadStep, Some("bad day-of-week")),
            // Deliberate deviations: Debian accepts these, we do not.
            (DayOfWeek, "5#2", TrailingGarbage, None),
            (Minute, "5#", TrailingGarbage, None),
            (Minute, "*-5", TrailingGarbage, None),
            (Minute, "1-1_0", TrailingGarbage, None),
            (Minute, "**", TrailingGarbage, None),
            (Minute, "*/5/2", TrailingGarbage, None),
        ];
        for (kind, text, want_kind, want_debian) in cases {
            let e = err(kind, text);
            assert_eq!(e.kind(), want_kind, "{text}: {e}");
            assert_eq!(e.debian_message(), want_debian, "{text}: {e}");
            assert_eq!(e.field(), Some(kind));
            assert_eq!(e.span(), 0..text.len());
        }
    }

    #[test]
    fn non_ascii_never_panics() {
        for text in ["¹", "1-¹", "5¹", "é", "*/é", "mo\u{301}n"] {
            let _ = Field::parse(FieldKind::DayOfWeek, text);
        }
    }
}
