//! `system.call` against real databases (SQLite, and PostgreSQL when CLAW_TEST_POSTGRES_URL is
//! set): the reply becomes the step's output, a repeated caller attaches to the same called
//! run, a timeout is retried against that run, a called run that ends without replying fails
//! the caller, and record-only mode records the call and the called run's effects.

mod common;

use claw_runtime::{LoadedSystem, Runtime, StartOptions};
use common::*;
use serde_json::{Value, json};
use std::time::Duration;

/// The called system: waits `wait`, then (unless `email` is empty, which stops the run)
/// replies with the email lowercased; `then` adds steps.
fn callee(wait: &str, then: &str) -> String {
    claw_testkit::with_slo_tail!(
        r#"system: normalize
version: 1.0.0
triggers:
  - start:
      source: call
      inputs: [Email, target]
decisions:
  - has_email:
      when: Email != ''
execution:
  - pause:
      on: has_email
      action: delay.wait
      with:
        duration: WAIT
  - reply:
      on: pause.succeeded
      action: call.return
      with:
        output:
          email: "{{ text.lower(Email) }}"
THEN"#
    )
    .replace("WAIT", wait)
    .replace("THEN", then)
}

/// The caller: calls `normalize` within `timeout`, retrying `retries` times, then posts the
/// reply to `target`.
fn caller(timeout: &str, retries: u32) -> String {
    claw_testkit::with_slo_tail!(
        r#"system: welcome
version: 1.0.0
triggers:
  - contact:
      source: webhook
      idempotency: id
decisions: []
execution:
  - normalize:
      on: contact
      action: system.call
      timeout: TIMEOUT
      retries: RETRIES
      backoff: fixed 50ms
      with:
        system: normalize
        inputs:
          Email: "{{ email }}"
          target: "{{ target }}"
  - welcome:
      on: normalize.succeeded
      action: http.post
      with:
        url: "{{ target }}"
        body:
          email: "{{ steps.normalize.output.email }}"
"#
    )
    .replace("TIMEOUT", timeout)
    .replace("RETRIES", &retries.to_string())
}

/// A runtime over `url` with the caller (`timeout`, `retries`) and the called system (`wait`).
async fn pair(url: &str, timeout: &str, retries: u32, wait: &str) -> (tempfile::TempDir, Runtime) {
    let dir = tempfile::tempdir().unwrap();
    let systems = [
        ("welcome", caller(timeout, retries)),
        ("normalize", callee(wait, "")),
    ];
    let systems: Vec<(&str, &str)> = systems.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let rt = test_runtime(url, dir.path(), &systems, "").await;
    (dir, rt)
}

/// Runs the caller to its end on a contact `id` with `email`, posting to `target`.
async fn call(rt: &Runtime, id: &str, email: &str, target: &str) -> claw_runtime::store::RunRecord {
    let payload = json!({"id": id, "email": email, "target": target});
    rt.run_to_end("welcome", "contact", payload, StartOptions::default())
        .await
        .unwrap()
}

async fn called_runs(rt: &Runtime) -> Vec<claw_runtime::store::RunRecord> {
    rt.store().flush().await.unwrap();
    let q = claw_runtime::store::RunFilter {
        system: Some("normalize".into()),
        ..Default::default()
    };
    rt.store().runs(&q).await.unwrap()
}

fn output_of(events: &[claw_runtime::store::EventRecord], step: &str) -> Value {
    events
        .iter()
        .find(|e| e.kind == "step.succeeded" && e.step.as_deref() == Some(step))
        .map(|e| e.data["output"].clone())
        .unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_reply_is_the_output_and_a_repeat_attaches_to_the_same_run() {
    for db in databases().await {
        let recv = receiver(ReceiverOpts::default()).await;
        let (_dir, rt) = pair(&db.url, "5s", 0, "10ms").await;
        let run = call(&rt, "c1", "Ada@Example.COM", &recv.url).await;
        assert_eq!(run.status, "succeeded", "{}", db.label);
        let events = rt.store().events(&run.id).await.unwrap();
        assert_eq!(
            output_of(&events, "normalize"),
            json!({"email": "ada@example.com"})
        );
        assert_eq!(
            recv.seen.lock().unwrap().bodies,
            [json!({"email": "ada@example.com"})]
        );
        let called = called_runs(&rt).await;
        assert_eq!(called.len(), 1, "{}", db.label);
        assert_eq!(called[0].payload["Email"], "Ada@Example.COM");
        // Keyed by the caller's step (its run and name), so its every attempt finds this run.
        assert_eq!(called[0].idempotency_key, format!("{}:normalize", run.id));
        // The same delivery again is the first run: nothing is called twice.
        let again = call(&rt, "c1", "Ada@Example.COM", &recv.url).await;
        assert_eq!(again.id, run.id);
        assert_eq!(called_runs(&rt).await.len(), 1, "{}", db.label);
    }
}

/// A timed-out attempt is retried, and the retry waits for the run the first attempt started.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_timeout_is_retried_against_the_same_called_run() {
    for db in databases().await {
        let recv = receiver(ReceiverOpts::default()).await;
        let (_dir, rt) = pair(&db.url, "150ms", 10, "600ms").await;
        let run = call(&rt, "c2", "GRACE@NAVY.MIL", &recv.url).await;
        assert_eq!(run.status, "succeeded", "{}", db.label);
        let events = rt.store().events(&run.id).await.unwrap();
        let failed = events
            .iter()
            .filter(|e| e.kind == "step.attempt_failed")
            .count();
        assert!(failed >= 1, "{}: {events:?}", db.label);
        assert_eq!(
            output_of(&events, "normalize"),
            json!({"email": "grace@navy.mil"})
        );
        assert_eq!(called_runs(&rt).await.len(), 1, "{}", db.label);
    }
}

/// A called run stopped by a decision never replies: the caller fails for good (no retry can
/// change a finished run).
#[tokio::test]
async fn a_called_run_that_ends_without_replying_fails_the_caller() {
    let db = sqlite();
    let (_dir, rt) = pair(&db.url, "5s", 3, "10ms").await;
    let run = call(&rt, "c3", "", "http://127.0.0.1:9/").await;
    assert_eq!(run.status, "failed");
    let events = rt.store().events(&run.id).await.unwrap();
    let failed = events
        .iter()
        .find(|e| e.kind == "step.failed")
        .expect("the call step failed");
    assert_eq!(failed.data["attempts"], json!(1), "{failed:?}");
    let error = failed.data["error"].as_str().unwrap();
    assert!(error.contains("without replying"), "{error}");
}

/// Record-only: the call is recorded with the run it started, the called run's side effects
/// are recorded, not done, and its (pure) reply still feeds the caller's later steps.
#[tokio::test]
async fn record_only_records_the_call_and_the_called_runs_effects() {
    let recv = receiver(ReceiverOpts::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let audit = "  - audit:\n      on: reply.succeeded\n      action: http.post\n      with:\n        url: \"{{ target }}\"\n        body: {audited: true}\n";
    let systems = [
        ("welcome", caller("5s", 0)),
        ("normalize", callee("10ms", audit)),
    ];
    let loaded = systems
        .iter()
        .map(|(n, t)| LoadedSystem::load(&write_system(dir.path(), n, t)).unwrap())
        .collect();
    let rt = Runtime::record_only(loaded).await.unwrap();
    let payload = json!({"id": "c4", "email": "Ada@Example.COM", "target": recv.url});
    let sim = rt
        .simulate("welcome", "contact", payload, StartOptions::default())
        .await
        .unwrap();
    assert_eq!(sim.status, "succeeded");
    // The caller's own calls: the call, then the post of its reply.
    let actions: Vec<(&str, &str)> = sim
        .calls
        .iter()
        .map(|c| (c.step.as_str(), c.action.as_str()))
        .collect();
    assert_eq!(
        actions,
        [("normalize", "system.call"), ("welcome", "http.post")]
    );
    assert_eq!(
        sim.calls[1].params["body"],
        json!({"email": "ada@example.com"})
    );
    // The called run's effects are recorded under its own run (its delay recorded, not
    // waited; its reply pure, so it ran).
    // The called run is keyed by the call's key, which links the two.
    let called = called_runs(&rt).await;
    assert_eq!(called.len(), 1);
    assert_eq!(called[0].idempotency_key, sim.calls[0].idempotency_key);
    let theirs: Vec<String> = rt
        .recorded_calls()
        .into_iter()
        .filter(|c| c.run_id == called[0].id)
        .map(|c| format!("{} {}", c.step, c.action))
        .collect();
    assert!(
        theirs.contains(&"audit http.post".to_string()),
        "{theirs:?}"
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        recv.seen.lock().unwrap().bodies.is_empty(),
        "nothing was sent"
    );
}
