//! `claw cron next|explain`: the schedule engine from the command line.

use assert_cmd::Command;

fn claw() -> Command {
    Command::cargo_bin("claw").unwrap()
}

#[test]
fn next_follows_the_or_rule() {
    // 30 4 1,15 * 5: the 1st, the 15th AND every Friday. 2025-08-01 is a Friday.
    let out = claw()
        .args([
            "cron",
            "next",
            "30 4 1,15 * 5",
            "--from",
            "2025-07-31T00:00:00Z",
            "--count",
            "4",
        ])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "2025-08-01 04:30 Fri +00:00",
            "2025-08-08 04:30 Fri +00:00",
            "2025-08-15 04:30 Fri +00:00",
            "2025-08-22 04:30 Fri +00:00"
        ]
    );
}

#[test]
fn next_applies_debian_dst_rules_in_json() {
    // Riga, 28 March 2021: 03:00 local does not exist; a fixed-time job runs at 04:00+03:00.
    let out = claw()
        .args([
            "cron",
            "next",
            "15 3 * * *",
            "--from",
            "2021-03-27 12:00",
            "--tz",
            "Europe/Riga",
            "--count",
            "3",
            "--format",
            "json",
        ])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let times: Vec<&str> = v["times"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(
        times,
        [
            "2021-03-28T04:00:00+03:00",
            "2021-03-29T03:15:00+03:00",
            "2021-03-30T03:15:00+03:00"
        ]
    );
}

#[test]
fn explain_spells_out_the_day_rule() {
    let out = claw()
        .args(["cron", "explain", "30 4 1,15 * 5"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("OR"), "{text}");
    let out = claw()
        .args(["cron", "explain", "@weekly", "--format", "json"])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["five_field_form"], "0 0 * * 0");
}

#[test]
fn bad_schedules_are_located_errors() {
    let out = claw().args(["cron", "next", "61 * * * *"]).assert().code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains("bad minute")
            && err.contains("claw::cron::out_of_range")
            && err.contains("  | ^^"),
        "{err}"
    );
    let out = claw()
        .args(["cron", "explain", "0 0 * * 5#2", "--format", "json"])
        .assert()
        .code(2);
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["error"]["code"], "claw::cron::trailing_garbage");
    assert_eq!(v["error"]["column"], 9);
    claw()
        .args(["cron", "next", "@daily", "--tz", "Mars/Base"])
        .assert()
        .code(2);
    claw()
        .args(["cron", "next", "@daily", "--from", "yesterday"])
        .assert()
        .code(2);
}

#[test]
fn reboot_has_no_fire_times() {
    let out = claw()
        .args(["cron", "next", "@reboot", "--from", "2025-01-01T00:00:00Z"])
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&out.get_output().stdout).contains("no fire times"));
}
