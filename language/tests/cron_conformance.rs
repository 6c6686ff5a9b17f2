//! Conformance against Debian cron's own parser and matcher.
//!
//! `debian-cron-results.tsv` was produced by compiling Debian 12's cron
//! 3.0pl1-162 parser and crond's match test and running them on each
//! expression. Every row is checked; rows where we deliberately differ from
//! Debian are listed in [`DEVIATIONS`] and checked against our behaviour
//! instead, and the list itself is checked against the table so it cannot
//! go stale.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use claw_language::cron::{self, CronErrorKind, FieldKind};

/// Rows where we deliberately differ from Debian: (expression, the error we
/// give, the field it names, why).
const DEVIATIONS: &[(&str, CronErrorKind, FieldKind, &str)] = &[(
    "0 0 * * 5#2",
    CronErrorKind::TrailingGarbage,
    FieldKind::DayOfWeek,
    "Debian silently ignores `#2` and runs every Friday; we reject trailing garbage",
)];

/// The table, or `None` (recorded as not run; a failure under `CLAW_REQUIRE_CORPUS=1`).
fn table_path(test: &str) -> Option<PathBuf> {
    claw_testkit::shared::shared("reference/cron-conformance/debian-cron-results.tsv", test)
}

struct Row {
    line: usize,
    start: String,
    expr: String,
    flags: String,
    result: String,
}

/// The table's rows, or `None` when the shared reference is absent (see [`table_path`]).
fn load_rows(test: &str) -> Option<Vec<Row>> {
    let path = table_path(test)?;
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => panic!(
            "cannot read the Debian conformance table at {}: {e}",
            path.display()
        ),
    };
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') || line.starts_with("start\t") {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let [start, expr, flags, result] = cols[..] else {
            panic!("line {}: expected 4 tab-separated columns: {line:?}", i + 1);
        };
        rows.push(Row {
            line: i + 1,
            start: start.to_owned(),
            expr: expr.to_owned(),
            flags: flags.to_owned(),
            result: result.to_owned(),
        });
    }
    Some(rows)
}

fn naive(s: &str) -> NaiveDateTime {
    match NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M") {
        Ok(t) => t,
        Err(e) => panic!("bad time {s:?} in the table: {e}"),
    }
}

fn fmt(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M").to_string()
}

/// Checks one row, returning a description of every mismatch.
fn check_row(row: &Row) -> Vec<String> {
    let mut bad = Vec::new();
    let at = format!("line {} `{}`", row.line, row.expr);
    let parsed = cron::parse(&row.expr);

    if let Some((_, kind, field, why)) = DEVIATIONS.iter().find(|d| d.0 == row.expr) {
        match parsed {
            Ok(_) => bad.push(format!("{at}: deliberate deviation ({why}) but it parsed")),
            Err(e) => {
                if e.kind() != *kind || e.field() != Some(*field) {
                    bad.push(format!(
                        "{at}: expected our {:?} error on {:?}, got {:?} on {:?}: {e}",
                        kind,
                        field,
                        e.kind(),
                        e.field()
                    ));
                }
                if e.debian_message().is_some() {
                    bad.push(format!(
                        "{at}: Debian accepts this, so no Debian message should be claimed"
                    ));
                }
            }
        }
        return bad;
    }

    if let Some(msg) = row.result.strip_prefix("ERROR:") {
        match parsed {
            Ok(s) => bad.push(format!("{at}: Debian says `{msg}`, but it parsed as {s:?}")),
            Err(e) => {
                if e.debian_message() != Some(msg) {
                    bad.push(format!(
                        "{at}: Debian message `{msg}`, ours {:?} ({e})",
                        e.debian_message()
                    ));
                }
            }
        }
        return bad;
    }

    let s = match parsed {
        Ok(s) => s,
        Err(e) => {
            bad.push(format!("{at}: Debian accepts it, we reject it: {e}"));
            return bad;
        }
    };
    if s.flags().to_string() != row.flags {
        bad.push(format!(
            "{at}: flags `{}`, Debian `{}`",
            s.flags(),
            row.flags
        ));
    }
    let start = naive(&row.start);
    let from_utc: DateTime<Utc> = start.and_utc() - TimeDelta::seconds(1);
    match row.result.as_str() {
        "REBOOT" => {
            if !s.is_reboot() {
                bad.push(format!("{at}: should be @reboot"));
            }
            if s.next_at_or_after(start).is_some() {
                bad.push(format!("{at}: @reboot must have no fire times"));
            }
        }
        "NEVER" => {
            if s.can_fire() {
                bad.push(format!("{at}: can_fire() is true for a NEVER row"));
            }
            if let Some(t) = s.next_at_or_after(start) {
                bad.push(format!("{at}: NEVER, but next_at_or_after gave {}", fmt(t)));
            }
            if let Some(t) = s.fire_times(from_utc, chrono_tz::UTC).next() {
                bad.push(format!("{at}: NEVER, but fire_times gave {t}"));
            }
        }
        times => {
            let want: Vec<&str> = times.split(';').collect();
            // Naive search: at or after start, then strictly after each.
            let mut got = Vec::new();
            let mut next = s.next_at_or_after(start);
            while let Some(t) = next {
                if got.len() == want.len() {
                    break;
                }
                if !s.matches(&t) {
                    bad.push(format!("{at}: {} returned but does not match()", fmt(t)));
                }
                got.push(fmt(t));
                next = s.next_after(t);
            }
            if got != want {
                bad.push(format!("{at}: next times {got:?}, Debian {want:?}"));
            }
            // The zone-aware iterator in UTC (no DST) must agree. It yields
            // strictly after `from`, so start one second early.
            let tz_got: Vec<String> = s
                .fire_times(from_utc, chrono_tz::UTC)
                .take(want.len())
                .map(|t| fmt(t.naive_utc()))
                .collect();
            if tz_got != want {
                bad.push(format!("{at}: fire_times {tz_got:?}, Debian {want:?}"));
            }
        }
    }
    // explain() must handle every valid row.
    if s.explain().is_empty() {
        bad.push(format!("{at}: empty explanation"));
    }
    bad
}

#[test]
fn every_row_of_the_debian_table_conforms() {
    let Some(rows) = load_rows("every_row_of_the_debian_table_conforms") else {
        return;
    };
    assert!(
        rows.len() >= 40,
        "the Debian table has only {} rows; is it truncated?",
        rows.len()
    );
    let failures: Vec<String> = rows.iter().flat_map(check_row).collect();
    assert!(
        failures.is_empty(),
        "{} of {} rows differ from Debian:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

#[test]
fn every_deliberate_deviation_is_in_the_table() {
    let Some(rows) = load_rows("every_deliberate_deviation_is_in_the_table") else {
        return;
    };
    for (expr, ..) in DEVIATIONS {
        assert!(
            rows.iter().any(|r| r.expr == *expr),
            "deviation `{expr}` is not in the Debian table any more; update DEVIATIONS"
        );
    }
}

#[test]
fn table_covers_each_result_kind() {
    let Some(rows) = load_rows("table_covers_each_result_kind") else {
        return;
    };
    for kind in ["ERROR:", "NEVER", "REBOOT", "20"] {
        assert!(
            rows.iter().any(|r| r.result.starts_with(kind)),
            "no `{kind}` row in the Debian table"
        );
    }
}
