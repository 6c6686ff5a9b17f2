//! Fire times in a real time zone, with Debian cron's DST behaviour.
//!
//! Debian's crond (cron.c, `main` loop) compares the wall clock with its
//! "virtual" clock every minute and classifies a jump by its size in
//! minutes (`timeDiff`, which is the jump plus the normal one minute):
//!
//! * forward by 1-4 minutes ("small"): every job, wildcard or not, runs for
//!   each skipped minute, i.e. right after the jump;
//! * forward by 5-179 minutes ("medium", a DST start): wildcard jobs run for
//!   the current minute only (they follow the wall clock); fixed-time jobs
//!   run for every skipped minute, i.e. right after the jump;
//! * backward by up to 180 minutes (a DST end): only wildcard jobs run
//!   while the clock repeats; fixed-time jobs already ran in the first pass;
//! * anything larger is a clock correction: jobs run for the new wall clock
//!   only (skipped times are lost, repeated times run again).
//!
//! A job is "wildcard" when MIN_STAR or HR_STAR is set (the minute or hour
//! field starts with `*`, or `@hourly`). Running "right after the jump" is
//! the first instant of the new offset. Several catch-up runs of one job at
//! the same instant are one run (Debian's `job_add` queues a job once).
//!
//! The implementation walks the UTC time line one constant-offset stretch at
//! a time: within a stretch, local time is UTC plus a fixed offset, so the
//! naive [`Schedule::next_at_or_after`] search applies directly; at each
//! offset change the rules above decide what happens.

use std::iter::FusedIterator;

use chrono::{DateTime, NaiveDateTime, Offset, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use super::schedule::Schedule;

/// Forward jumps shorter than this make every job catch up ("small").
const SMALL_FORWARD_SECS: i64 = 5 * 60;
/// Jumps this large or larger are clock corrections, not DST.
const LARGE_FORWARD_SECS: i64 = 180 * 60;
/// Backward jumps up to and including this are DST ends.
const MAX_DST_BACKWARD_SECS: i64 = 180 * 60;
/// How often the offset is sampled when looking for a change. Offsets in
/// the tz database never change and change back within hours, so sampling
/// every 6 hours and bisecting finds every real transition.
const PROBE_SECS: i64 = 6 * 3600;
/// Safety bound on offset changes crossed in one search.
const MAX_TRANSITIONS: usize = 4096;

/// Iterator over fire instants; see [`Schedule::fire_times`].
#[derive(Debug, Clone)]
pub struct FireTimes<'a> {
    schedule: &'a Schedule,
    tz: Tz,
    /// Where the next search starts (inclusive), as a UTC naive instant on a
    /// whole second; `None` once exhausted.
    next_from: Option<NaiveDateTime>,
    wildcard: bool,
}

impl Schedule {
    /// Fire instants strictly after `from`, in time zone `tz`, following
    /// Debian cron's DST rules (see the module docs and `docs/cron.md`).
    /// Empty for `@reboot` and for schedules that never fire.
    pub fn fire_times(&self, from: DateTime<Utc>, tz: Tz) -> FireTimes<'_> {
        let wildcard = self.is_wildcard();
        let start = from
            .naive_utc()
            .with_nanosecond(0)
            .and_then(|t| t.checked_add_signed(TimeDelta::seconds(1)));
        let start = if wildcard {
            start
        } else {
            start.map(|s| skip_repeated_pass(&tz, s))
        };
        FireTimes {
            schedule: self,
            tz,
            next_from: if self.can_fire() { start } else { None },
            wildcard,
        }
    }
}

impl Iterator for FireTimes<'_> {
    type Item = DateTime<Utc>;

    fn next(&mut self) -> Option<DateTime<Utc>> {
        let from = self.next_from?;
        let found = self.search(from);
        self.next_from = found.and_then(|t| t.checked_add_signed(TimeDelta::seconds(1)));
        found.map(|t| t.and_utc())
    }
}

impl FusedIterator for FireTimes<'_> {}

impl FireTimes<'_> {
    /// The first fire instant at or after `s` (UTC naive).
    fn search(&self, mut s: NaiveDateTime) -> Option<NaiveDateTime> {
        for _ in 0..MAX_TRANSITIONS {
            let off = offset_secs(&self.tz, &s);
            let local = s.checked_add_signed(TimeDelta::seconds(off))?;
            let n = self.schedule.next_at_or_after(local)?;
            let cand = n.checked_sub_signed(TimeDelta::seconds(off))?;
            let Some((t, new_off)) = first_change(&self.tz, s, cand, off) else {
                return Some(cand);
            };
            let jump = new_off - off;
            if jump > 0 {
                // Local times [t+off, t+new_off) do not exist. `n` is the
                // first match at or after t+off, so a match fell in the gap
                // exactly when n < t+new_off.
                let catch_up =
                    jump < SMALL_FORWARD_SECS || (!self.wildcard && jump < LARGE_FORWARD_SECS);
                let gap_end = t.checked_add_signed(TimeDelta::seconds(new_off))?;
                if catch_up && n < gap_end {
                    return Some(t);
                }
                s = t;
            } else {
                // Local times [t+new_off, t+off) happen twice; the second
                // pass lasts from t to t+back.
                let back = -jump;
                s = if !self.wildcard && back <= MAX_DST_BACKWARD_SECS {
                    t.checked_add_signed(TimeDelta::seconds(back))?
                } else {
                    t
                };
            }
        }
        None
    }
}

/// Total UTC offset in seconds at the UTC instant `t`.
fn offset_secs(tz: &Tz, t: &NaiveDateTime) -> i64 {
    i64::from(tz.offset_from_utc_datetime(t).fix().local_minus_utc())
}

/// The first instant in `(s, end]` whose offset differs from `off` (which is
/// the offset at `s`), with the new offset.
fn first_change(
    tz: &Tz,
    s: NaiveDateTime,
    end: NaiveDateTime,
    off: i64,
) -> Option<(NaiveDateTime, i64)> {
    let mut lo = s;
    while lo < end {
        let hi = lo
            .checked_add_signed(TimeDelta::seconds(PROBE_SECS))
            .map_or(end, |p| p.min(end));
        if offset_secs(tz, &hi) != off {
            let t = bisect(tz, lo, hi, off);
            return Some((t, offset_secs(tz, &t)));
        }
        lo = hi;
    }
    None
}

/// Given offset(lo) == off != offset(hi), the first whole second after `lo`
/// with a different offset (tz transitions fall on whole seconds).
fn bisect(tz: &Tz, mut lo: NaiveDateTime, mut hi: NaiveDateTime, off: i64) -> NaiveDateTime {
    loop {
        let gap = (hi - lo).num_seconds();
        if gap <= 1 {
            return hi;
        }
        let Some(mid) = lo.checked_add_signed(TimeDelta::seconds(gap / 2)) else {
            return hi;
        };
        if offset_secs(tz, &mid) == off {
            lo = mid;
        } else {
            hi = mid;
        }
    }
}

/// For fixed-time jobs: if `s` falls in the second pass of a DST fold (the
/// repeated hour after a backward jump), move it to the end of that pass.
/// Those local times already had their run in the first pass, so Debian
/// does not run fixed-time jobs for them again.
fn skip_repeated_pass(tz: &Tz, s: NaiveDateTime) -> NaiveDateTime {
    let window = TimeDelta::seconds(MAX_DST_BACKWARD_SECS + 60);
    let Some(before) = s.checked_sub_signed(window) else {
        return s;
    };
    let off_before = offset_secs(tz, &before);
    let off_now = offset_secs(tz, &s);
    if off_before == off_now {
        return s;
    }
    let t = bisect(tz, before, s, off_before);
    let back = off_before - offset_secs(tz, &t);
    if back <= 0 || back > MAX_DST_BACKWARD_SECS {
        return s;
    }
    match t.checked_add_signed(TimeDelta::seconds(back)) {
        Some(end) if s < end => end,
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    fn riga(expr: &str, start: &str, n: usize) -> Vec<String> {
        let sched = match Schedule::parse(expr) {
            Ok(s) => s,
            Err(e) => panic!("{expr}: {e}"),
        };
        let from = match DateTime::<FixedOffset>::parse_from_rfc3339(start) {
            Ok(t) => t.with_timezone(&Utc),
            Err(e) => panic!("{start}: {e}"),
        };
        sched
            .fire_times(from, chrono_tz::Europe::Riga)
            .take(n)
            .map(|t| {
                t.with_timezone(&chrono_tz::Europe::Riga)
                    .format("%Y-%m-%dT%H:%M%:z")
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn fixed_job_in_gap_runs_at_the_jump() {
        assert_eq!(
            riga("15 3 * * *", "2021-03-27T00:00:00+02:00", 3),
            [
                "2021-03-27T03:15+02:00",
                "2021-03-28T04:00+03:00",
                "2021-03-29T03:15+03:00"
            ]
        );
    }

    #[test]
    fn fixed_job_runs_once_in_repeated_hour() {
        assert_eq!(
            riga("30 3 * * *", "2021-10-31T01:30:00+03:00", 2),
            ["2021-10-31T03:30+03:00", "2021-11-01T03:30+02:00"]
        );
        // Starting inside the second pass: the first-pass run already
        // happened, so the next run is the next day.
        assert_eq!(
            riga("30 3 * * *", "2021-10-31T03:10:00+02:00", 1),
            ["2021-11-01T03:30+02:00"]
        );
    }

    #[test]
    fn wildcard_job_follows_wall_clock() {
        assert_eq!(
            riga("*/30 * * * *", "2021-10-31T03:10:00+03:00", 4),
            [
                "2021-10-31T03:30+03:00",
                "2021-10-31T03:00+02:00",
                "2021-10-31T03:30+02:00",
                "2021-10-31T04:00+02:00"
            ]
        );
        assert_eq!(
            riga("*/30 * * * *", "2021-03-28T02:10:00+02:00", 3),
            [
                "2021-03-28T02:30+02:00",
                "2021-03-28T04:00+03:00",
                "2021-03-28T04:30+03:00"
            ]
        );
    }

    #[test]
    fn strictly_after_from() {
        assert_eq!(
            riga("0 4 * * *", "2021-06-01T04:00:00+03:00", 1),
            ["2021-06-02T04:00+03:00"]
        );
        assert_eq!(
            riga("0 4 * * *", "2021-06-01T03:59:59+03:00", 1),
            ["2021-06-01T04:00+03:00"]
        );
    }

    #[test]
    fn utc_equals_naive_search() {
        let Ok(s) = Schedule::parse("7 */5 1-10 * mon") else {
            panic!("parse");
        };
        let from = DateTime::<Utc>::UNIX_EPOCH;
        let mut naive = from.naive_utc();
        for t in s.fire_times(from, chrono_tz::UTC).take(50) {
            let n = s.next_after(naive);
            assert_eq!(Some(t.naive_utc()), n);
            naive = t.naive_utc();
        }
    }

    #[test]
    fn big_forward_jump_is_a_clock_correction() {
        // Pacific/Apia skipped 30 Dec 2011 entirely (a 24-hour jump):
        // neither fixed nor wildcard jobs of that day run.
        let Ok(s) = Schedule::parse("0 12 * * *") else {
            panic!("parse");
        };
        let from = match DateTime::parse_from_rfc3339("2011-12-29T13:00:00-10:00") {
            Ok(t) => t.with_timezone(&Utc),
            Err(e) => panic!("{e}"),
        };
        let got: Vec<String> = s
            .fire_times(from, chrono_tz::Pacific::Apia)
            .take(1)
            .map(|t| {
                t.with_timezone(&chrono_tz::Pacific::Apia)
                    .format("%Y-%m-%dT%H:%M%:z")
                    .to_string()
            })
            .collect();
        assert_eq!(got, ["2011-12-31T12:00+14:00"]);
    }

    #[test]
    fn never_and_reboot_are_empty() {
        for expr in ["@reboot", "0 0 30 2 *", "22-2 * * * *"] {
            let Ok(s) = Schedule::parse(expr) else {
                panic!("{expr}");
            };
            assert_eq!(
                s.fire_times(DateTime::<Utc>::UNIX_EPOCH, chrono_tz::Europe::Riga)
                    .next(),
                None
            );
        }
    }
}
