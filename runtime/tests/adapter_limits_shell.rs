//! The limits of the `shell.run` adapter, through the engine, against real processes and
//! real databases (SQLite files, and PostgreSQL when CLAW_TEST_POSTGRES_URL is set):
//! working directory, process-group kill on timeout, exit code and output on failure,
//! output cap.

mod common;

use claw_runtime::StartOptions;
use common::adapter_systems::*;
use common::*;
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

/// Whether `pid` is a live process. A zombie (killed, not yet reaped by its parent — here
/// possibly a PID 1 that never reaps) is dead: it runs nothing and holds nothing open.
fn alive(pid: i32) -> bool {
    // SAFETY: kill(2) with signal 0 only checks that the process exists.
    let exists = unsafe { libc::kill(pid, 0) } == 0;
    if !exists {
        assert_eq!(
            std::io::Error::last_os_error().raw_os_error(),
            Some(libc::ESRCH),
            "kill({pid}, 0) failed for another reason than `no such process`"
        );
        return false;
    }
    // /proc/PID/stat: "PID (comm) STATE ..."; comm may hold spaces, so read after the last ')'.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

fn read_pids(path: &Path) -> Vec<i32> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect()
}

// ---------------------------------------------------------------------------------------
// shell.run
// ---------------------------------------------------------------------------------------

const SHELL_HERE: &str = r#"  - here:
      on: go
      action: shell.run
      with:
        command: "pwd -P; cat; echo \"$GREETING\"; echo \"$CLAW_IDEMPOTENCY_KEY\"; echo made > made_here.txt; echo oops >&2"
        cwd: "{{ dir }}"
        stdin: "{{ who }}\n"
        env:
          GREETING: hello
      timeout: 5s
"#;

#[tokio::test]
async fn shell_run_works_in_its_directory_with_env_and_stdin() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        let rt = runtime(&db.url, dir.path(), "sh_here", SHELL_HERE).await;
        let run = rt
            .run_to_end(
                "sh_here",
                "go",
                json!({"dir": work.path(), "who": "alice"}),
                StartOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(run.status, "succeeded", "{}", db.label);
        let real = std::fs::canonicalize(work.path()).unwrap();
        let expected = json!({
            "exit_code": 0,
            "stdout": format!("{}\nalice\nhello\n{}:here\n", real.display(), run.id),
            "stderr": "oops\n",
            "truncated": false,
        });
        let events = rt.store().events(&run.id).await.unwrap();
        let ok = of_kind(&events, "step.succeeded");
        assert_eq!(ok.len(), 1, "{}", db.label);
        assert_eq!(ok[0].data["output"], expected, "{}", db.label);
        // A relative path in the command lands in `cwd`, not in the runtime's directory.
        assert_eq!(
            std::fs::read_to_string(work.path().join("made_here.txt")).unwrap(),
            "made\n"
        );
        assert!(!dir.path().join("made_here.txt").exists());
        rt.drain(Duration::from_secs(5)).await.unwrap();
    }
}

#[tokio::test]
async fn shell_run_in_a_missing_directory_fails_without_retrying() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let steps = SHELL_HERE.replace("timeout: 5s", "timeout: 5s\n      retries: 3");
        let rt = runtime(&db.url, dir.path(), "sh_here", &steps).await;
        let missing = dir.path().join("no-such-dir");
        let run = rt
            .run_to_end(
                "sh_here",
                "go",
                json!({"dir": missing, "who": "bob"}),
                StartOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(run.status, "failed", "{}", db.label);
        let events = rt.store().events(&run.id).await.unwrap();
        let failed = of_kind(&events, "step.attempt_failed");
        assert_eq!(
            failed.len(),
            1,
            "a missing directory will not appear by retrying"
        );
        assert_eq!(failed[0].data["retryable"], json!(false));
        let msg = failed[0].data["error"].as_str().unwrap();
        assert!(
            msg.starts_with("shell.run in step `here`: cannot start the command in `")
                && msg.contains("no-such-dir"),
            "{msg}"
        );
        assert!(of_kind(&events, "step.retry_scheduled").is_empty());
    }
}

const SHELL_HANG: &str = r#"  - hang:
      on: go
      action: shell.run
      with:
        command: "echo $$ >> \"$PIDS\"; sh -c 'sleep 30 & echo $! >> \"$PIDS\"; echo $$ >> \"$PIDS\"; wait'; echo never"
        env:
          PIDS: "{{ pids }}"
      timeout: 300ms
      retries: 1
      backoff: fixed 10ms
      dead_letter: queue://hang.dlq
"#;

#[tokio::test]
async fn shell_timeout_kills_the_whole_process_group_on_every_attempt() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let pids = dir.path().join("pids");
        let rt = runtime(&db.url, dir.path(), "sh_hang", SHELL_HANG).await;
        let started = Instant::now();
        let run = rt
            .run_to_end(
                "sh_hang",
                "go",
                json!({"pids": pids}),
                StartOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(run.status, "failed", "{}", db.label);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "the attempts were not cut at 300ms: {:?}",
            started.elapsed()
        );
        let events = rt.store().events(&run.id).await.unwrap();
        let msg = "shell.run in step `hang`: timed out after 300ms; the process group was killed";
        let failed = of_kind(&events, "step.attempt_failed");
        assert_eq!(failed.len(), 2, "{}", db.label);
        for (i, f) in failed.iter().enumerate() {
            assert_eq!(f.attempt, Some(i as i64 + 1));
            assert_eq!(f.data, json!({"error": msg, "retryable": true}));
        }
        let starts = of_kind(&events, "step.attempt_started");
        let took = failed[0].at - starts[0].at;
        assert!((300..2000).contains(&took), "attempt 1 took {took}ms");
        let retry = of_kind(&events, "step.retry_scheduled");
        assert_eq!(retry.len(), 1);
        assert_eq!(retry[0].attempt, Some(2));
        let end = of_kind(&events, "step.failed");
        assert_eq!(end[0].data, json!({"error": msg, "attempts": 2}));

        // Each attempt wrote the pids of the outer shell, the sleeping grandchild and the
        // inner shell; none of them survives the timeout.
        let all = read_pids(&pids);
        assert_eq!(all.len(), 6, "two attempts, three processes each: {all:?}");
        let gone = eventually(Duration::from_secs(2), || {
            let all = all.clone();
            async move { all.iter().all(|p| !alive(*p)) }
        })
        .await;
        let survivors: Vec<_> = all.iter().filter(|p| alive(**p)).collect();
        assert!(gone, "still running after the timeout: {survivors:?}");
        assert!(!String::from_utf8_lossy(&std::fs::read(&pids).unwrap()).contains("never"));
    }
}

const SHELL_BACKGROUND: &str = r#"  - detach:
      on: go
      action: shell.run
      with:
        command: "sleep 30 & echo $! > \"$PIDS\"; echo started"
        env:
          PIDS: "{{ pids }}"
      timeout: 300ms
"#;

/// `sh` exits at once but its background child keeps stdout open: the deadline covers
/// reading the output too, so the step does not hang past its timeout, and the child is
/// killed with the group.
#[tokio::test]
async fn shell_timeout_covers_children_that_hold_the_output_open() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let pids = dir.path().join("pids");
        let rt = runtime(&db.url, dir.path(), "sh_bg", SHELL_BACKGROUND).await;
        let started = Instant::now();
        let run = rt
            .run_to_end(
                "sh_bg",
                "go",
                json!({"pids": pids}),
                StartOptions::default(),
            )
            .await
            .unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "the step outlived its timeout: {:?}",
            started.elapsed()
        );
        assert_eq!(run.status, "failed", "{}", db.label);
        let events = rt.store().events(&run.id).await.unwrap();
        let failed = of_kind(&events, "step.attempt_failed");
        assert_eq!(
            failed[0].data,
            json!({
                "error": "shell.run in step `detach`: timed out after 300ms (the command's \
                          processes still held its output open); the process group was killed",
                "retryable": true
            }),
            "{}",
            db.label
        );
        let sleeper = read_pids(&pids);
        assert_eq!(sleeper.len(), 1);
        assert!(
            eventually(Duration::from_secs(2), || async { !alive(sleeper[0]) }).await,
            "the background sleep survived"
        );
    }
}

const SHELL_FAIL: &str = r#"  - fail:
      on: go
      action: shell.run
      with:
        command: "{{ command }}"
      timeout: 5s
      retries: 1
      backoff: fixed 10ms
      dead_letter: queue://fail.dlq
"#;

#[tokio::test]
async fn a_non_zero_exit_fails_the_step_with_exit_code_and_output() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let rt = runtime(&db.url, dir.path(), "sh_fail", SHELL_FAIL).await;
        let cases = [
            (
                "echo partial-out; echo boom >&2; exit 3",
                "shell.run in step `fail`: exit code 3; stderr: boom; stdout: partial-out",
            ),
            (
                "exit 7",
                "shell.run in step `fail`: exit code 7 (no output)",
            ),
            (
                "echo about-to-die; kill -TERM $$",
                "shell.run in step `fail`: killed by signal 15; stdout: about-to-die",
            ),
        ];
        for (command, msg) in cases {
            let run = rt
                .run_to_end(
                    "sh_fail",
                    "go",
                    json!({"command": command}),
                    StartOptions::default(),
                )
                .await
                .unwrap();
            assert_eq!(run.status, "failed", "{command} ({})", db.label);
            let events = rt.store().events(&run.id).await.unwrap();
            // A non-zero exit is retryable: the runtime cannot tell transient from permanent.
            let failed = of_kind(&events, "step.attempt_failed");
            assert_eq!(failed.len(), 2, "{command}");
            for (i, f) in failed.iter().enumerate() {
                assert_eq!(f.attempt, Some(i as i64 + 1));
                assert_eq!(
                    f.data,
                    json!({"error": msg, "retryable": true}),
                    "{command}"
                );
            }
            assert_eq!(of_kind(&events, "step.retry_scheduled").len(), 1);
            assert_eq!(
                of_kind(&events, "step.failed")[0].data,
                json!({"error": msg, "attempts": 2})
            );
            assert_eq!(
                of_kind(&events, "step.dead_lettered")[0].data,
                json!({"target": "queue://fail.dlq", "error": msg})
            );
        }
        let dlq = rt.store().queue_messages("fail.dlq").await.unwrap();
        assert_eq!(dlq.len(), 3, "{}", db.label);
        assert_eq!(
            dlq[0].body["error"],
            json!("shell.run in step `fail`: exit code 3; stderr: boom; stdout: partial-out")
        );
    }
}

const SHELL_CAP: &str = r#"  - big:
      on: go
      action: shell.run
      with:
        command: "head -c 1048576 /dev/zero | tr '\\0' a; printf bbbbbbbbbb >&2"
        max_output: 100
      timeout: 5s
  - default_cap:
      on: big.succeeded
      action: shell.run
      with:
        command: "head -c 70000 /dev/zero | tr '\\0' c"
      timeout: 5s
  - at_cap:
      on: default_cap.succeeded
      action: shell.run
      with:
        command: "printf 12345"
        max_output: 5
      timeout: 5s
  - over_cap:
      on: at_cap.succeeded
      action: shell.run
      with:
        command: "printf 123456 >&2; exit 4"
        max_output: 5
      timeout: 5s
"#;

#[tokio::test]
async fn shell_output_beyond_the_cap_is_truncated_and_says_so() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let rt = runtime(&db.url, dir.path(), "sh_cap", SHELL_CAP).await;
        let run = rt
            .run_to_end("sh_cap", "go", json!({}), StartOptions::default())
            .await
            .unwrap();
        assert_eq!(run.status, "failed", "{}", db.label);
        let events = rt.store().events(&run.id).await.unwrap();
        let output = |step: &str| -> Value {
            events
                .iter()
                .find(|e| e.kind == "step.succeeded" && e.step.as_deref() == Some(step))
                .unwrap_or_else(|| panic!("{step} did not succeed"))
                .data["output"]
                .clone()
        };
        // 1 MiB is far more than a pipe holds: the reader keeps draining past the cap, so
        // the command is not blocked on a full pipe and exits 0.
        assert_eq!(
            output("big"),
            json!({"exit_code": 0, "stdout": "a".repeat(100), "stderr": "bbbbbbbbbb", "truncated": true}),
            "{}",
            db.label
        );
        let d = output("default_cap");
        assert_eq!(d["stdout"].as_str().unwrap(), "c".repeat(64 * 1024));
        assert_eq!(d["truncated"], json!(true));
        // Exactly the cap is not a truncation.
        assert_eq!(
            output("at_cap"),
            json!({"exit_code": 0, "stdout": "12345", "stderr": "", "truncated": false})
        );
        // On failure, the error states the truncation too.
        let failed = of_kind(&events, "step.failed");
        assert_eq!(failed[0].step.as_deref(), Some("over_cap"));
        assert_eq!(
            failed[0].data["error"],
            json!(
                "shell.run in step `over_cap`: exit code 4; stderr: 12345 \
                 (output truncated to 5 bytes per stream)"
            )
        );
    }
}
