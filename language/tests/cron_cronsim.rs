//! Second, independent source: the cronsim test suite (cuu508/cronsim),
//! transcribed as data into `samples/cron-conformance/cronsim-cases.tsv`.
//! The file's header names the commit and lists every skipped case with its
//! reason. Its `TestDstTransitions` rows are our main evidence for Debian's
//! DST behaviour.

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use claw_language::cron::{self, DayRule, Field, Schedule};

fn data_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../samples/cron-conformance/cronsim-cases.tsv")
}

struct Case {
    line: usize,
    name: String,
    tz: String,
    start: String,
    expr: String,
    expected: String,
}

fn load() -> Vec<Case> {
    let path = data_path();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    };
    let mut cases = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') || line.starts_with("case\t") {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let [name, tz, start, expr, expected] = cols[..] else {
            panic!("line {}: expected 5 tab-separated columns: {line:?}", i + 1);
        };
        cases.push(Case {
            line: i + 1,
            name: name.to_owned(),
            tz: tz.to_owned(),
            start: start.to_owned(),
            expr: expr.to_owned(),
            expected: expected.to_owned(),
        });
    }
    cases
}

fn parse_ok(c: &Case) -> Result<Schedule, String> {
    cron::parse(&c.expr).map_err(|e| format!("line {} {}: does not parse: {e}", c.line, c.name))
}

/// "0-59" / "1,2,3" / "7" into a set.
fn parse_values(text: &str) -> BTreeSet<u8> {
    let mut out = BTreeSet::new();
    for part in text.split(',') {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let (Ok(a), Ok(b)) = (a.parse::<u8>(), b.parse::<u8>()) else {
            panic!("bad value list {text:?}");
        };
        out.extend(a..=b);
    }
    out
}

/// cronsim keeps 7 apart from 0; Debian (and we) set both bits for Sunday.
/// Compare day-of-week sets with 7 folded into 0.
fn fold_sunday(set: BTreeSet<u8>) -> BTreeSet<u8> {
    set.into_iter().map(|v| v % 7).collect()
}

fn ours(field: &Field) -> BTreeSet<u8> {
    field.values().collect()
}

fn check_set(c: &Case, spec: &str) -> Result<(), String> {
    let s = parse_ok(c)?;
    let Some(f) = s.fields() else {
        return Err(format!("{}: no fields", c.name));
    };
    for item in spec.split(';') {
        let Some((key, value)) = item.split_once('=') else {
            return Err(format!("{}: bad SET item {item:?}", c.name));
        };
        let (got, want) = match key {
            "minute" => (ours(f.minute()), parse_values(value)),
            "hour" => (ours(f.hour()), parse_values(value)),
            "day" => (ours(f.dom()), parse_values(value)),
            "month" => (ours(f.month()), parse_values(value)),
            "weekday" => (fold_sunday(ours(f.dow())), fold_sunday(parse_values(value))),
            "day_and" => {
                let want = value == "true";
                if (f.day_rule() == DayRule::And) != want {
                    return Err(format!("{}: day_and should be {want}", c.name));
                }
                continue;
            }
            other => return Err(format!("{}: unknown SET key {other}", c.name)),
        };
        if got != want {
            return Err(format!(
                "line {} {}: {key} = {got:?}, cronsim {want:?}",
                c.line, c.name
            ));
        }
    }
    Ok(())
}

fn zone(c: &Case) -> Result<Tz, String> {
    c.tz.parse::<Tz>()
        .map_err(|e| format!("{}: bad zone {:?}: {e}", c.name, c.tz))
}

/// Start instant: RFC 3339 with an offset, or naive wall clock in the zone.
fn start_instant(c: &Case, tz: Tz) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(&c.start) {
        return Ok(t.with_timezone(&Utc));
    }
    let naive = NaiveDateTime::parse_from_str(&c.start, "%Y-%m-%dT%H:%M:%S")
        .map_err(|e| format!("{}: bad start {:?}: {e}", c.name, c.start))?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("{}: start {:?} does not exist in {tz}", c.name, c.start))
}

fn check_times(c: &Case) -> Result<(), String> {
    let s = parse_ok(c)?;
    let tz = zone(c)?;
    let from = start_instant(c, tz)?;
    let want: Vec<&str> = c.expected.split(';').collect();
    let got: Vec<String> = s
        .fire_times(from, tz)
        .take(want.len())
        .map(|t| {
            let local = t.with_timezone(&tz);
            // Render like Python's isoformat(): with the offset when cronsim
            // gave one, naive otherwise.
            if want.first().is_some_and(|w| w.len() > 19) {
                local.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
            } else {
                local.format("%Y-%m-%dT%H:%M:%S").to_string()
            }
        })
        .collect();
    if got != want {
        return Err(format!(
            "line {} {} `{}` from {}: got {got:?}, cronsim {want:?}",
            c.line, c.name, c.expr, c.start
        ));
    }
    Ok(())
}

fn run(filter: impl Fn(&Case) -> bool, min_cases: usize) {
    let cases: Vec<Case> = load().into_iter().filter(|c| filter(c)).collect();
    assert!(
        cases.len() >= min_cases,
        "only {} cases selected, expected at least {min_cases}; is the data file truncated?",
        cases.len()
    );
    let mut failures = Vec::new();
    for c in &cases {
        let result = if c.expected == "ERROR" {
            match cron::parse(&c.expr) {
                Ok(_) => Err(format!(
                    "line {} {}: `{}` should be rejected",
                    c.line, c.name, c.expr
                )),
                Err(_) => Ok(()),
            }
        } else if let Some(spec) = c.expected.strip_prefix("SET ") {
            check_set(c, spec)
        } else {
            check_times(c)
        };
        if let Err(e) = result {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cronsim cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn dst_transitions_europe_riga() {
    run(|c| c.name.starts_with("TestDstTransitions."), 33);
}

#[test]
fn iterator_cases() {
    run(|c| c.name.starts_with("TestIterator."), 3);
}

#[test]
fn parse_value_sets() {
    run(|c| c.name.starts_with("TestParse."), 18);
}

#[test]
fn rejections() {
    run(|c| c.name.starts_with("TestValidation."), 189);
}

#[test]
fn case_names_are_unique_and_every_row_is_checked() {
    let cases = load();
    let mut seen = HashSet::new();
    for c in &cases {
        assert!(seen.insert(c.name.as_str()), "duplicate case {}", c.name);
        assert!(
            [
                "TestDstTransitions.",
                "TestIterator.",
                "TestParse.",
                "TestValidation."
            ]
            .iter()
            .any(|p| c.name.starts_with(p)),
            "case {} belongs to no checked class",
            c.name
        );
    }
    assert_eq!(
        cases.len(),
        243,
        "row count changed; update the per-class minimums"
    );
}
