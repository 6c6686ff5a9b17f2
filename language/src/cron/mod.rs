//! Crontab schedules with Debian cron 3.0pl1 (Vixie) semantics.
//!
//! This is the schedule engine used by `.claw` files and by the crontab
//! importer. It is written for this purpose rather than taken from a cron
//! crate because no crate matches Debian exactly (the first-character `*`
//! star rule, reversed ranges being empty rather than errors, 3-letter names
//! in ranges, lower-case-only `@keywords`, `@reboot`, DST handling).
//!
//! * [`parse`] turns five fields or an `@keyword` into a [`Schedule`]; each
//!   [`Field`] keeps its raw text, value bitset and star flag.
//! * [`Schedule::matches`], [`Schedule::next_at_or_after`] and
//!   [`Schedule::next_after`] work in naive wall-clock time.
//! * [`Schedule::fire_times`] works in a real time zone and follows
//!   Debian's DST behaviour.
//! * [`explain`] describes a schedule in plain English.
//!
//! The one deliberate deviation from Debian: characters after a complete
//! value (`5#2`, `1-5x`, `*-5`) are an error here
//! ([`CronErrorKind::TrailingGarbage`]); Debian silently ignores them.
//! `docs/cron.md` has the full semantics.

#![warn(missing_docs)]

mod error;
mod explain;
mod field;
mod field_parse;
mod read;
mod schedule;
mod tz;

pub use error::{CronError, CronErrorKind};
pub use explain::explain;
pub use field::{Field, FieldKind};
pub use schedule::{DayRule, Fields, Keyword, Schedule, ScheduleKind, StarFlags};
pub use tz::FireTimes;

/// Parses one schedule: five blank-separated fields
/// (`minute hour day-of-month month day-of-week`) or one `@keyword`
/// (`@reboot @yearly @annually @monthly @weekly @daily @midnight @hourly`,
/// lower-case only). Nothing else may follow: a schedule has no user or
/// command part.
///
/// ```
/// use claw_language::cron::parse;
/// let s = parse("30 4 1,15 * 5").unwrap();
/// assert_eq!(s.fields().unwrap().dom().raw(), "1,15");
/// assert!(parse("0 0 * * 5#2").is_err()); // Debian would read this as `5`.
/// ```
pub fn parse(expr: &str) -> Result<Schedule, CronError> {
    Schedule::parse(expr)
}

/// Parses a single field's text (for importers that validate one column).
/// Error spans are relative to `text`.
pub fn parse_field(kind: FieldKind, text: &str) -> Result<Field, CronError> {
    Field::parse(kind, text)
}
