//! One `claw run` per database, with real processes on SQLite and PostgreSQL: a second one
//! exits 2 naming the holder (host, pid, start time), short commands still work beside the
//! holder, and after the holder stops (SIGTERM) or dies (SIGKILL) a new one starts.

#[path = "common/ops.rs"]
mod ops;

use claw_runtime::codes;
use ops::*;

fn system() -> String {
    let steps = r#"  - note:
      on: job
      action: log.info
      with:
        message: "job {{ job.id }}"
"#;
    webhook_system("single", "job", "job.id", steps, SLO_TAIL)
}

/// Runs `claw run` and waits for it to exit by itself (a runtime that starts is killed
/// after `limit`, and the test fails).
fn refused_run(file: &Path, db: &str, limit: Duration) -> Out {
    let mut child = claw()
        .args(run_args(file, db))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "a second `claw run --db {db}` started: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        json: Value::Null,
        stdout: String::from_utf8_lossy(&out.stdout).to_string(),
        stderr: String::from_utf8_lossy(&out.stderr).to_string(),
    }
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

/// The same SQLite file spelled another way (`sqlite:PATH?…` instead of `sqlite://PATH`),
/// so the lock is the file's, not the URL's; PostgreSQL URLs are used as they are.
fn other_spelling(db: &str) -> String {
    match db.strip_prefix("sqlite://") {
        Some(path) => format!("sqlite:{path}?synchronous=normal"),
        None => db.to_string(),
    }
}

// Long on purpose: one scenario of four processes in turn on one database, each step
// depending on which process holds it after the previous one.
fn one_writer(db: &str, label: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "single.claw", &system());

    let first = Server::start(&file, db, &[], &[]);
    let second = refused_run(&file, &other_spelling(db), Duration::from_secs(20));
    assert_eq!(
        second.code, 2,
        "{label}: {}{}",
        second.stdout, second.stderr
    );
    assert!(
        !second.stdout.contains("listening on"),
        "{label}: {}",
        second.stdout
    );
    let err = &second.stderr;
    assert!(err.contains(codes::DB_IN_USE.id), "{label}: {err}");
    assert!(
        err.contains(&format!(
            "host {}, pid {}, started 20",
            host_name(),
            first.child.id()
        )),
        "{label}: the holder is named: {err}"
    );
    assert!(
        err.contains("is in use by another `claw run`"),
        "{label}: {err}"
    );

    // The holder is undisturbed, and short commands still read the database beside it.
    let run = hook(&first.url, "single", "job", json!({"job": {"id": "A"}}));
    let done = finished(db, &run);
    assert_eq!(done["run"]["status"], "succeeded", "{label}: {done}");

    // A clean stop releases the database.
    let stopped = first.stop(SIGTERM);
    assert!(stopped.status.success(), "{label}: {}", stopped.stderr);
    let third = Server::start(&file, db, &[], &[]);

    // So does a SIGKILL: the lock dies with the process.
    let killed = third.stop(SIGKILL);
    assert!(!killed.status.success(), "{label}");
    let fourth = Server::start(&file, &other_spelling(db), &[], &[]);
    let run = hook(&fourth.url, "single", "job", json!({"job": {"id": "B"}}));
    let done = finished(db, &run);
    assert_eq!(done["run"]["status"], "succeeded", "{label}: {done}");
    let stopped = fourth.stop(SIGTERM);
    assert!(stopped.status.success(), "{label}: {}", stopped.stderr);
}

#[test]
fn a_second_runtime_on_one_database_is_refused_until_the_first_is_gone() {
    for db in claw_testkit::db::databases_blocking() {
        one_writer(&db.url, db.label);
    }
}
