//! Unit tests of the schedule engine: the day-of-month/day-of-week rule, next-fire search,
//! never-firing schedules and keywords.

use super::*;

fn dt(s: &str) -> NaiveDateTime {
    match NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M") {
        Ok(t) => t,
        Err(e) => panic!("{s}: {e}"),
    }
}

fn sched(expr: &str) -> Schedule {
    match parse_schedule(expr) {
        Ok(s) => s,
        Err(e) => panic!("{expr}: {e}"),
    }
}

fn next5(expr: &str, from: &str) -> Vec<String> {
    let s = sched(expr);
    let mut out = Vec::new();
    let mut t = dt(from);
    while out.len() < 5 {
        match s.next_at_or_after(t) {
            Some(n) => {
                out.push(n.format("%Y-%m-%dT%H:%M").to_string());
                t = n + TimeDelta::minutes(1);
            }
            None => break,
        }
    }
    out
}

#[test]
fn dom_dow_or_rule() {
    // 1st, 15th and every Friday.
    assert_eq!(
        next5("30 4 1,15 * 5", "2024-01-01T00:00"),
        [
            "2024-01-01T04:30",
            "2024-01-05T04:30",
            "2024-01-12T04:30",
            "2024-01-15T04:30",
            "2024-01-19T04:30"
        ]
    );
    // */2 in dom is "star": AND, so only odd-dated Sundays.
    assert_eq!(
        next5("0 0 */2 * sun", "2024-01-01T00:00")[..2],
        ["2024-01-07T00:00", "2024-01-21T00:00"]
    );
    // 1-31 is restricted: OR, so every day.
    assert_eq!(
        next5("0 0 1-31 * mon", "2024-01-01T00:00")[..3],
        ["2024-01-01T00:00", "2024-01-02T00:00", "2024-01-03T00:00"]
    );
}

#[test]
fn never_is_detected_without_search() {
    for expr in [
        "0 0 30 2 *",
        "22-2 * * * *",
        "0 0 31 4,6,9,11 *",
        "0 0 * * sat-sun",
    ] {
        let s = sched(expr);
        assert!(!s.can_fire(), "{expr}");
        assert_eq!(s.next_at_or_after(dt("2024-01-01T00:00")), None, "{expr}");
    }
    // Restricted dom that never occurs, ORed with a weekday: fires.
    assert!(sched("0 0 30 2 mon").can_fire());
}

#[test]
fn leap_day_and_year_end() {
    assert_eq!(
        next5("0 0 29 2 *", "2024-01-01T00:00"),
        [
            "2024-02-29T00:00",
            "2028-02-29T00:00",
            "2032-02-29T00:00",
            "2036-02-29T00:00",
            "2040-02-29T00:00"
        ]
    );
    assert_eq!(
        next5("*/15 * * * *", "2024-12-31T23:30")[2],
        "2025-01-01T00:00"
    );
    // Feb 29 that is also a Sunday (dow star => AND), across 2100.
    let s = sched("0 0 29 2 */7");
    let first = s.next_at_or_after(dt("2090-01-01T00:00"));
    assert_eq!(first, Some(dt("2128-02-29T00:00")));
}

#[test]
fn seconds_round_up_and_strictly_after() {
    let s = sched("* * * * *");
    let t = dt("2024-01-01T10:00") + TimeDelta::seconds(30);
    assert_eq!(s.next_at_or_after(t), Some(dt("2024-01-01T10:01")));
    assert_eq!(s.next_after(t), Some(dt("2024-01-01T10:01")));
    assert_eq!(
        s.next_after(dt("2024-01-01T10:00")),
        Some(dt("2024-01-01T10:01"))
    );
    assert!(s.matches(&t));
}

#[test]
fn end_of_time_is_none_not_panic() {
    let s = sched("0 0 1 1 *");
    assert_eq!(s.next_after(NaiveDateTime::MAX), None);
    assert_eq!(s.next_at_or_after(NaiveDateTime::MAX), None);
    assert!(s.next_at_or_after(NaiveDateTime::MIN).is_some());
}

#[test]
fn keywords_and_flags() {
    let d = sched("@daily");
    assert_eq!(d.keyword(), Some(Keyword::Daily));
    assert_eq!(d.five_field_form().as_deref(), Some("0 0 * * *"));
    assert_eq!(d.flags().to_string(), "-");
    assert!(!d.is_wildcard());
    assert_eq!(sched("@hourly").flags().to_string(), "HR_STAR");
    assert!(sched("@hourly").is_wildcard());
    assert_eq!(sched("@weekly").flags().to_string(), "DOM_STAR");
    assert_eq!(sched("@monthly").flags().to_string(), "DOW_STAR");
    assert_eq!(sched("@yearly").flags().to_string(), "DOW_STAR");
    let r = sched("@reboot");
    assert!(r.is_reboot());
    assert_eq!(r.flags().to_string(), "WHEN_REBOOT");
    assert_eq!(r.next_after(dt("2024-01-01T00:00")), None);
    assert_eq!(
        sched("*/5 1 * * *").flags().to_string(),
        "MIN_STAR,DOM_STAR,DOW_STAR"
    );
    assert_eq!(
        sched(" 1\t2  3 4 5 ").five_field_form().as_deref(),
        Some("1 2 3 4 5")
    );
}
