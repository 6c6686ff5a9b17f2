//! Property tests for the crontab engine.
//!
//! * the parser never panics, whatever the input;
//! * a grammar-generated valid schedule always parses;
//! * every time `next_after` produces matches, and no matching minute is
//!   skipped (checked by brute force over short windows);
//! * `fire_times` in real zones agrees with a minute-by-minute simulation
//!   of Debian's crond main loop (cron.c: the `timeDiff` / `wakeupKind`
//!   classification and `find_jobs(doWild, doNonWild)`), an oracle written
//!   independently of the segment-walking implementation.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use claw_language::cron::{self, FieldKind, Schedule};
use proptest::prelude::*;

const DOW: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const MON: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// A value, sometimes as a name or with a leading zero.
fn value(kind: FieldKind) -> BoxedStrategy<String> {
    let (lo, hi) = (kind.min(), kind.max());
    (lo..=hi, 0u8..4)
        .prop_map(move |(v, style)| match (kind, style) {
            (FieldKind::DayOfWeek, 0) if v < 7 => DOW[usize::from(v)].to_uppercase(),
            (FieldKind::DayOfWeek, 1) if v < 7 => DOW[usize::from(v)].to_owned(),
            (FieldKind::Month, 0) => MON[usize::from(v - 1)].to_owned(),
            (_, 2) if v < 10 => format!("0{v}"),
            _ => v.to_string(),
        })
        .boxed()
}

/// One list item from Debian's grammar (reversed ranges included: they are
/// valid and empty).
fn item(kind: FieldKind) -> BoxedStrategy<String> {
    let step = 1..=(kind.max() + 2);
    prop_oneof![
        2 => Just("*".to_owned()),
        2 => step.clone().prop_map(|s| format!("*/{s}")),
        3 => value(kind),
        2 => (value(kind), value(kind)).prop_map(|(a, b)| format!("{a}-{b}")),
        1 => (value(kind), value(kind), step).prop_map(|(a, b, s)| format!("{a}-{b}/{s}")),
    ]
    .boxed()
}

fn field(kind: FieldKind) -> BoxedStrategy<String> {
    prop::collection::vec(item(kind), 1..=3)
        .prop_map(|items| items.join(","))
        .boxed()
}

fn valid_expr() -> impl Strategy<Value = String> {
    (
        field(FieldKind::Minute),
        field(FieldKind::Hour),
        field(FieldKind::DayOfMonth),
        field(FieldKind::Month),
        field(FieldKind::DayOfWeek),
    )
        .prop_map(|(a, b, c, d, e)| format!("{a} {b} {c} {d} {e}"))
}

/// Valid schedules biased to fire at night, where DST transitions happen.
fn night_expr() -> impl Strategy<Value = String> {
    let minute = prop_oneof![
        Just("*".to_owned()),
        Just("*/15".to_owned()),
        Just("0".to_owned()),
        Just("30".to_owned()),
        Just("0,30".to_owned()),
        (0u8..60).prop_map(|m| m.to_string()),
    ];
    let hour = prop_oneof![
        Just("*".to_owned()),
        Just("*/2".to_owned()),
        (0u8..6).prop_map(|h| h.to_string()),
        (0u8..6, 0u8..6).prop_map(|(a, b)| format!("{a}-{b}")),
        Just("1,2,3,4".to_owned()),
        Just("23,0,1,2,3".to_owned()),
    ];
    let day = prop_oneof![
        4 => Just("* * *".to_owned()),
        1 => field(FieldKind::DayOfWeek).prop_map(|d| format!("* * {d}")),
        1 => field(FieldKind::DayOfMonth).prop_map(|d| format!("{d} * *")),
    ];
    (minute, hour, day).prop_map(|(m, h, d)| format!("{m} {h} {d}"))
}

/// Tokens that are mostly plausible, with garbage mixed in.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        item(FieldKind::Minute),
        item(FieldKind::DayOfWeek),
        item(FieldKind::Month),
        "[0-9*/,#?LWH@a-z-]{0,8}",
        Just("@daily".to_owned()),
        Just("@reboot".to_owned()),
        Just("".to_owned()),
        Just("¹".to_owned()),
    ]
}

fn start_time() -> impl Strategy<Value = NaiveDateTime> {
    (
        1995i32..2105,
        1u32..=12,
        1u32..=28,
        0u32..24,
        0u32..60,
        0u32..60,
    )
        .prop_filter_map("valid date", |(y, mo, d, h, mi, s)| {
            NaiveDate::from_ymd_opt(y, mo, d)?.and_hms_opt(h, mi, s)
        })
}

fn parse_valid(expr: &str) -> Result<Schedule, TestCaseError> {
    cron::parse(expr).map_err(|e| TestCaseError::fail(format!("`{expr}` must parse: {e}")))
}

/// Every matching minute in (from, from + minutes], by brute force.
fn brute_force(s: &Schedule, from: NaiveDateTime, minutes: i64) -> Vec<NaiveDateTime> {
    let base = match from
        .date()
        .and_hms_opt(from.time().hour(), from.time().minute(), 0)
    {
        Some(b) => b,
        None => return Vec::new(),
    };
    (1..=minutes)
        .map(|i| base + TimeDelta::minutes(i))
        .filter(|t| s.matches(t))
        .collect()
}

use chrono::Timelike;

/// The chain of `next_after` results up to `until`, checking each matches.
fn chain(
    s: &Schedule,
    from: NaiveDateTime,
    until: NaiveDateTime,
) -> Result<Vec<NaiveDateTime>, TestCaseError> {
    let mut out = Vec::new();
    let mut cur = from;
    while let Some(t) = s.next_after(cur) {
        if t > until {
            break;
        }
        prop_assert!(t > cur, "{t} is not after {cur}");
        prop_assert!(s.matches(&t), "next_after gave {t}, which does not match");
        prop_assert_eq!(t.second(), 0);
        out.push(t);
        cur = t;
    }
    Ok(out)
}

fn offset_secs(tz: Tz, t: DateTime<Utc>) -> i64 {
    i64::from(
        tz.offset_from_utc_datetime(&t.naive_utc())
            .fix()
            .local_minus_utc(),
    )
}

/// Debian's crond main loop, one wake-up per UTC minute (cron.c). Returns
/// the instants at which the job is queued. `warm` is the minute the
/// daemon's virtual clock starts at.
fn debian_sim(s: &Schedule, tz: Tz, warm: DateTime<Utc>, end: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let wild = s.is_wildcard();
    let local_min = |t: DateTime<Utc>| (t.timestamp() + offset_secs(tz, t)).div_euclid(60);
    let matches =
        |lm: i64| DateTime::from_timestamp(lm * 60, 0).is_some_and(|t| s.matches(&t.naive_utc()));
    let mut virtual_time = local_min(warm);
    let mut out = Vec::new();
    let mut m = warm + TimeDelta::minutes(1);
    while m <= end {
        let running = local_min(m);
        let diff = running - virtual_time;
        let mut fire = false;
        if diff == 1 {
            virtual_time = running;
            fire = matches(virtual_time);
        } else {
            let mut kind = -1;
            if diff > -180 {
                kind = 0;
            }
            if diff > 0 {
                kind = 1;
            }
            if diff > 5 {
                kind = 2;
            }
            if diff > 180 {
                kind = 3;
            }
            match kind {
                1 => loop {
                    virtual_time += 1;
                    fire |= matches(virtual_time);
                    if virtual_time >= running {
                        break;
                    }
                },
                2 => {
                    fire |= wild && matches(running);
                    loop {
                        virtual_time += 1;
                        fire |= !wild && matches(virtual_time);
                        if virtual_time >= running {
                            break;
                        }
                    }
                }
                0 => fire = wild && matches(running),
                _ => {
                    virtual_time = running;
                    fire = matches(running);
                }
            }
        }
        if fire {
            out.push(m);
        }
        m += TimeDelta::minutes(1);
    }
    out
}

/// Zones and (approximate) UTC instants of offset changes to test around:
/// 1-hour DST both ways, 30-minute DST (Lord Howe), 2-hour DST (Troll),
/// midnight transitions (Sao Paulo 2018/19) and a 24-hour forward jump
/// (Apia 2011, a clock correction for Debian).
const TRANSITIONS: &[(&str, i64)] = &[
    ("Europe/Riga", 1_616_893_200),         // 2021-03-28T01:00Z
    ("Europe/Riga", 1_635_642_000),         // 2021-10-31T01:00Z
    ("America/New_York", 1_615_705_200),    // 2021-03-14T07:00Z
    ("America/New_York", 1_636_264_800),    // 2021-11-07T06:00Z
    ("Australia/Lord_Howe", 1_617_462_000), // 2021-04-03T15:00Z
    ("Australia/Lord_Howe", 1_633_188_600), // 2021-10-02T15:30Z
    ("Antarctica/Troll", 1_616_893_200),    // 2021-03-28T01:00Z
    ("Antarctica/Troll", 1_635_642_000),    // 2021-10-31T01:00Z
    ("America/Sao_Paulo", 1_541_300_400),   // 2018-11-04T03:00Z
    ("America/Sao_Paulo", 1_550_368_800),   // 2019-02-17T02:00Z
    ("Pacific/Apia", 1_325_239_200),        // 2011-12-30T10:00Z
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_on_any_string(s in any::<String>()) {
        if let Ok(sched) = cron::parse(&s) {
            let _ = sched.explain();
            let _ = sched.next_after(NaiveDateTime::MIN);
        }
    }

    #[test]
    fn parse_never_panics_on_cron_like_text(s in "[0-9a-zA-Z*/,#?@ \t¹-]{0,40}") {
        match cron::parse(&s) {
            Ok(sched) => { let _ = sched.explain(); }
            Err(e) => {
                // The span must lie inside the input, on char boundaries,
                // so callers can slice with it.
                let span = e.span();
                prop_assert!(span.start <= span.end && span.end <= s.len());
                prop_assert!(s.get(span).is_some());
                prop_assert!(e.code().starts_with("claw::cron::"));
            }
        }
    }

    #[test]
    fn parse_never_panics_on_token_combos(toks in prop::collection::vec(token(), 0..8)) {
        let expr = toks.join(" ");
        if let Ok(s) = cron::parse(&expr) {
            let _ = s.explain();
            let from = DateTime::<Utc>::UNIX_EPOCH;
            let _: Vec<_> = s.fire_times(from, chrono_tz::Europe::Riga).take(3).collect();
        }
    }

    #[test]
    fn grammar_generated_schedules_parse(expr in valid_expr()) {
        let s = parse_valid(&expr)?;
        prop_assert_eq!(s.five_field_form(), Some(expr.clone()));
        let f = s.fields().ok_or_else(|| TestCaseError::fail("no fields"))?;
        // Star flag is exactly "first character is `*`".
        for (field, text) in f.all().into_iter().zip(expr.split(' ')) {
            prop_assert_eq!(field.is_star(), text.starts_with('*'));
            prop_assert_eq!(field.raw(), text);
        }
        // Sunday is both 0 and 7.
        prop_assert_eq!(f.dow().contains(0), f.dow().contains(7));
    }

    #[test]
    fn next_after_matches_and_skips_nothing(expr in valid_expr(), from in start_time()) {
        let s = parse_valid(&expr)?;
        let window = 3 * 24 * 60;
        let until = from + TimeDelta::minutes(window);
        let got = chain(&s, from, until)?;
        prop_assert_eq!(got, brute_force(&s, from, window));
    }

    #[test]
    fn day_search_agrees_with_brute_force_over_years(
        days in (field(FieldKind::DayOfMonth), field(FieldKind::Month), field(FieldKind::DayOfWeek)),
        from in start_time(),
    ) {
        let expr = format!("0 0 {} {} {}", days.0, days.1, days.2);
        let s = parse_valid(&expr)?;
        let start = from.date();
        let mut want = Vec::new();
        let mut d = start;
        for _ in 0..800 {
            d = match d.succ_opt() { Some(n) => n, None => break };
            if let Some(t) = d.and_hms_opt(0, 0, 0) && s.matches(&t) {
                want.push(t);
            }
        }
        let until = d.and_hms_opt(0, 0, 0).unwrap_or(NaiveDateTime::MAX);
        let got = chain(&s, from, until)?;
        // `from` may be after midnight on its own day; brute force starts
        // the next day, so drop a same-day hit from the chain.
        let got: Vec<_> = got.into_iter().filter(|t| t.date() > start).collect();
        prop_assert_eq!(got, want);
        if !s.can_fire() {
            prop_assert_eq!(s.next_after(from), None);
        }
    }

    #[test]
    fn fire_times_in_utc_equal_the_naive_chain(expr in valid_expr(), from in start_time()) {
        let s = parse_valid(&expr)?;
        let from_utc = from.and_utc();
        let mut cur = from;
        for t in s.fire_times(from_utc, chrono_tz::UTC).take(20) {
            let n = s.next_after(cur);
            prop_assert_eq!(Some(t.naive_utc()), n);
            cur = t.naive_utc();
        }
    }

    #[test]
    fn fire_times_follow_debian_dst_rules(
        expr in night_expr(),
        which in 0..TRANSITIONS.len(),
        // Minutes from the transition: anywhere within two days before to
        // one day after, or close around it (so that starts inside a
        // repeated hour are common).
        shift in prop_oneof![-(2 * 24 * 60i64)..=(24 * 60), -30i64..=180],
    ) {
        let s = parse_valid(&expr)?;
        let (zone, at) = TRANSITIONS[which];
        let tz: Tz = zone.parse().map_err(|_| TestCaseError::fail("zone"))?;
        let base = DateTime::from_timestamp(at, 0).ok_or_else(|| TestCaseError::fail("ts"))?;
        let from = base + TimeDelta::minutes(shift);
        let end = from + TimeDelta::days(3);
        // Warm the simulated daemon up well before `from`, so a start in
        // the middle of a repeated hour sees the history Debian would have.
        let warm = from - TimeDelta::hours(6);
        let want: Vec<_> = debian_sim(&s, tz, warm, end).into_iter().filter(|t| *t > from).collect();
        let got: Vec<_> = s.fire_times(from, tz).take_while(|t| *t <= end).collect();
        prop_assert_eq!(
            got.iter().map(|t| t.with_timezone(&tz).to_rfc3339()).collect::<Vec<_>>(),
            want.iter().map(|t| t.with_timezone(&tz).to_rfc3339()).collect::<Vec<_>>(),
            "expr `{}` in {} from {}", expr, zone, from.with_timezone(&tz)
        );
    }

    #[test]
    fn fire_times_strictly_increase(expr in valid_expr(), which in 0..TRANSITIONS.len(), shift in -(400 * 24 * 60i64)..=0) {
        let s = parse_valid(&expr)?;
        let (zone, at) = TRANSITIONS[which];
        let tz: Tz = zone.parse().map_err(|_| TestCaseError::fail("zone"))?;
        let from = DateTime::from_timestamp(at, 0).ok_or_else(|| TestCaseError::fail("ts"))?
            + TimeDelta::minutes(shift);
        let mut prev = from;
        for t in s.fire_times(from, tz).take(30) {
            prop_assert!(t > prev, "{} is not after {}", t, prev);
            if s.is_wildcard() {
                // Wildcard jobs only ever run at a matching wall-clock time
                // (forward jumps here are all 30 minutes or more).
                prop_assert!(s.matches(&t.with_timezone(&tz).naive_local()));
            }
            prev = t;
        }
    }
}
