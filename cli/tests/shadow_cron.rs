//! Cron: a syslog window and `claw shadow wrap` records against the imported schedule.

#[path = "common/shadow.rs"]
mod shadow;

use serde_json::Value;
use shadow::{sample, shadow};

/// `claw shadow compare` of the sample cron system against the sample syslog window
/// (1 to 3 November 2026), with `extra` options.
fn compare_syslog_window(extra: &[&str]) -> std::process::Output {
    shadow(
        "compare",
        &[
            "--system",
            &sample("cron/ops-jobs.claw"),
            "--cron-log",
            &sample("cron/syslog-window.log"),
            "--from",
            "2026-11-01T00:00:00Z",
            "--to",
            "2026-11-03T23:59:59Z",
        ],
    )
    .args(extra)
    .output()
    .unwrap()
}

#[test]
fn syslog_window_finds_the_job_that_silently_stopped() {
    let out = compare_syslog_window(&["--year", "2026", "--gate", "99.5", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    // 3 nightly dumps + 72 hourly syncs were due; the sync ran 38 times, then stopped after 13:00 on the 2nd.
    assert_eq!(r["compared"], 75);
    assert_eq!(r["counts"]["match"], 41);
    assert_eq!(r["counts"]["extra"], 34);
    assert_eq!(r["counts"]["missing"], 0);
    let runs = r["runs"].as_array().unwrap();
    let extras: Vec<&Value> = runs.iter().filter(|x| x["class"] == "extra").collect();
    assert!(extras.iter().all(|x| x["trigger"] == "hourly_sync"));
    assert_eq!(extras[0]["at"], "2026-11-02T14:00:00Z");
    assert_eq!(extras[33]["at"], "2026-11-03T23:00:00Z");
    let days: Vec<f64> = r["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["parity"].as_f64().unwrap())
        .collect();
    assert_eq!(days, vec![100.0, 60.0, 4.0]);
    // Lines of other jobs and daemons are not runs of this system.
    assert!(
        r["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("run-parts"))
    );
}

#[test]
fn rfc3164_lines_need_a_year() {
    let out = compare_syslog_window(&[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("syslog-window.log:3:") && err.contains("--year"),
        "{err}"
    );
}

/// `claw shadow wrap` around `command` as the job `hourly_sync` of `ops-jobs`, recording
/// into the shadow store at `store`.
fn wrap(store: &str, command: &[&str]) -> assert_cmd::Command {
    let mut c = shadow(
        "wrap",
        &[
            "--system",
            "ops-jobs",
            "--job",
            "hourly_sync",
            "--store",
            store,
            "--",
        ],
    );
    c.args(command);
    c
}

// Long on purpose: one scenario end to end, whose steps depend on the ones before; split,
// each part would need the same set-up again and the sequence would be harder to follow.
#[test]
fn wrap_passes_everything_through_and_records_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("shadow.db");
    let st = store.to_str().unwrap();
    let out = wrap(
        st,
        &[
            "sh",
            "-c",
            "printf 'out\\000bytes'; printf 'err line\\n' >&2; read x; echo \"got $x\"; exit 7",
        ],
    )
    .write_stdin("hello\n")
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(out.stdout, b"out\0bytesgot hello\n");
    assert_eq!(out.stderr, b"err line\n");
    // Killed by a signal: the wrapper dies of the same signal.
    let out = wrap(st, &["sh", "-c", "kill -TERM $$"]).output().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(15));
    // A command that does not exist: 127 like a shell, nothing recorded.
    let out = wrap(st, &["/nonexistent/job"]).output().unwrap();
    assert_eq!(out.status.code(), Some(127));
    // The store cannot be written: the command's outcome is unchanged.
    let out = wrap("/nonexistent/dir/s.db", &["sh", "-c", "echo fine"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, b"fine\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("run not recorded"));

    // The two recorded runs are legacy runs of hourly_sync: each is within 90 s of a whole
    // hour only by chance, so compare over a window with an every-minute schedule instead.
    let sys = dir.path().join("minutely.claw");
    let text = std::fs::read_to_string(sample("cron/ops-jobs.claw"))
        .unwrap()
        .replace("schedule: 0 * * * *", "schedule: \"* * * * *\"");
    std::fs::write(&sys, text).unwrap();
    let rt = tokio_free_now();
    let out = shadow(
        "compare",
        &[
            "--system",
            sys.to_str().unwrap(),
            "--wrap-records",
            "--store",
            st,
            "--from",
            &rt.0,
            "--to",
            &rt.1,
            "--format",
            "json",
        ],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let legacy: Vec<&Value> = r["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["legacy"].as_object().map(|_| &x["legacy"]))
        .collect();
    assert_eq!(legacy.len(), 2, "{r}");
    let mut statuses: Vec<&str> = legacy
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect();
    statuses.sort();
    assert_eq!(statuses, vec!["exit 7", "signal 15"]);
    assert_eq!(
        r["counts"]["missing"], 0,
        "every wrapped run pairs with a fire time"
    );
}

/// A window of ten minutes around now, from `date` (the cli has no clock library).
fn tokio_free_now() -> (String, String) {
    let d = |off: &str| {
        let o = std::process::Command::new("date")
            .args(["-u", "-d", off, "+%Y-%m-%dT%H:%M:%SZ"])
            .output()
            .unwrap();
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    };
    (d("-5 minutes"), d("+5 minutes"))
}
