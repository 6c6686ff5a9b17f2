//! `claw run` stopping and starting: graceful drain on SIGINT and SIGTERM, what a too-short
//! grace leaves for the next start, and a durable delay across a SIGKILL.

#[path = "common/ops.rs"]
mod ops;

use ops::*;

fn slow_system(command: &str) -> String {
    let steps = format!(
        r#"  - work:
      on: job
      action: shell.run
      with:
        command: '{command}'
      timeout: 10s
"#
    );
    webhook_system("slow", "job", "job.id", &steps, SLO_TAIL)
}

/// Waits until the run's attempt is committed as started (so it is in flight).
fn in_flight(db: &str, run_id: &str) {
    wait_for("the attempt to start", Duration::from_secs(10), || {
        kinds(&events(db, run_id))
            .iter()
            .any(|k| k == "step.attempt_started")
            .then_some(())
    });
}

fn drain_lets_the_step_finish(signal: i32) {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "slow.claw", &slow_system("sleep 1; echo done"));
    let db = sqlite(dir.path());
    let srv = Server::start(&file, &db, &["--grace", "10"], &[]);
    let url = srv.url.clone();
    let run = hook(&url, "slow", "job", json!({"job": {"id": "J1"}}));
    in_flight(&db, &run);
    let stopped = srv.stop(signal);
    assert!(stopped.status.success(), "{}", stopped.stderr);
    // It waited for the step (about a second), not for the whole grace period.
    assert!(stopped.took < Duration::from_secs(8), "{:?}", stopped.took);
    assert!(stopped.stderr.contains("draining"), "{}", stopped.stderr);
    assert!(
        stopped.stderr.contains("stopped clean=true left=0"),
        "{}",
        stopped.stderr
    );
    // Finished before the process exited: read back without any runtime.
    let ev = events(&db, &run);
    assert_eq!(ev["run"]["status"], "succeeded", "{ev}");
    assert_eq!(kinds(&ev), SUCCEEDED_AT_ONCE);
    assert_eq!(ev["events"][2]["data"]["output"]["stdout"], "done\n");
    // Nothing listens any more.
    assert!(
        std::net::TcpStream::connect(url.trim_start_matches("http://")).is_err(),
        "the listener is closed"
    );
}

#[test]
fn sigint_drains_in_flight_work() {
    drain_lets_the_step_finish(SIGINT);
}

#[test]
fn sigterm_drains_in_flight_work() {
    drain_lets_the_step_finish(SIGTERM);
}

#[test]
fn a_grace_shorter_than_the_step_leaves_the_run_for_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.txt");
    let cmd = format!(
        "echo \"$CLAW_IDEMPOTENCY_KEY\" >> {}; sleep 3; echo done",
        keys.display()
    );
    let file = write(dir.path(), "slow.claw", &slow_system(&cmd));
    let db = sqlite(dir.path());
    let srv = Server::start(&file, &db, &["--grace", "1"], &[]);
    let run = hook(&srv.url, "slow", "job", json!({"job": {"id": "J2"}}));
    in_flight(&db, &run);
    wait_for("the command to start", Duration::from_secs(10), || {
        std::fs::read_to_string(&keys)
            .ok()
            .filter(|s| !s.is_empty())
    });
    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
    // It gave the step its grace period, then left without waiting for the step.
    assert!(
        stopped.took >= Duration::from_millis(900) && stopped.took < Duration::from_secs(5),
        "{:?}",
        stopped.took
    );
    assert!(
        stopped.stderr.contains("stopped clean=false left=1"),
        "{}",
        stopped.stderr
    );
    // Accepted and started, not finished: it is still a running run in the database.
    let ev = events(&db, &run);
    assert_eq!(ev["run"]["status"], "running");
    assert_eq!(kinds(&ev), ["trigger.received", "step.attempt_started"]);
    let running = runs(&db, &["--status", "running"]);
    assert_eq!(running.len(), 1);
    assert_eq!(running[0]["id"], run.as_str());

    // The next start resumes it and repeats the attempt under the same key.
    let srv = Server::start(&file, &db, &[], &[]);
    let ev = finished_on_a_second_attempt(&db, &run);
    let key = format!("{run}:work");
    let started: Vec<&Value> = ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "step.attempt_started")
        .collect();
    assert!(
        started
            .iter()
            .all(|e| e["data"]["idempotency_key"] == key.as_str())
    );
    let stopped = srv.stop(SIGINT);
    assert!(stopped.status.success());
    assert!(
        stopped.stderr.contains("resuming run") && stopped.stderr.contains(&run),
        "{}",
        stopped.stderr
    );
    let seen = std::fs::read_to_string(&keys).unwrap();
    assert_eq!(seen, format!("{key}\n{key}\n"));
    assert!(runs(&db, &["--status", "running"]).is_empty());
}

/// A durable delay across a real crash: the process is SIGKILLed while the step waits,
/// and the next `claw run` fires it once, not before its due time.
#[test]
fn a_delay_survives_a_sigkill_and_fires_once_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let marks = dir.path().join("fired.txt");
    let steps = format!(
        r#"  - remind:
      on: call
      delay: 2s
      action: shell.run
      with:
        command: 'echo "fired {{{{ req.id }}}}" >> "{marks}"'
      timeout: 5s
"#,
        marks = marks.display()
    );
    let system = webhook_system("later", "call", "req.id", &steps, SLO_TAIL);
    let file = write(dir.path(), "later.claw", &system);
    let db = sqlite(dir.path());
    let srv = Server::start(&file, &db, &[], &[]);
    let run = hook(&srv.url, "later", "call", json!({"req": {"id": "D1"}}));
    let scheduled = wait_for("the delay to be scheduled", Duration::from_secs(10), || {
        let ev = events(&db, &run);
        ev["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "step.delay_scheduled")
            .cloned()
    });
    let due = scheduled["data"]["due_at"].as_i64().unwrap();
    let killed = srv.stop(SIGKILL);
    assert!(!killed.status.success());
    assert!(!marks.exists(), "the step ran before its delay");

    let srv = Server::start(&file, &db, &[], &[]);
    let ev = finished(&db, &run);
    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
    assert_eq!(ev["run"]["status"], "succeeded", "{ev}");
    assert_eq!(std::fs::read_to_string(&marks).unwrap(), "fired D1\n");
    let at = |kind: &str| -> Vec<i64> {
        ev["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == kind)
            .map(|e| e["at"].as_i64().unwrap())
            .collect()
    };
    // Scheduled once (before the kill), fired once, at or after its due time.
    assert_eq!(at("step.delay_scheduled").len(), 1, "{ev}");
    let fired = at("step.delay_fired");
    assert_eq!(fired.len(), 1, "{ev}");
    assert!(fired[0] >= due, "fired at {} before due {due}", fired[0]);
    assert_eq!(at("step.succeeded").len(), 1, "{ev}");
}
