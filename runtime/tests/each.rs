//! `for_each` steps against real databases (SQLite, and PostgreSQL when
//! CLAW_TEST_POSTGRES_URL is set) and loopback receivers: per-item keys and retries, what a
//! failed item does under `on_item_failure: continue` and `stop`, chained loops skipping the
//! items that failed upstream, the list's checks, and record-only mode.

mod common;

use claw_runtime::{LoadedSystem, Runtime, StartOptions};
use common::*;
use serde_json::{Value, json};

/// A system whose step `first` posts each line to `target` (or to `bad` for a line with
/// `ok: false`), then `second` posts each line again; `policy` adds lines to `first`.
fn lines_system(policy: &str) -> String {
    claw_testkit::with_slo_tail!(
        r#"system: lines
version: 1.0.0
triggers:
  - order:
      source: webhook
      idempotency: id
decisions: []
execution:
  - first:
      on: order
      for_each: lines
      action: http.post
      with:
        url: "{{ each.item.ok ? target : bad }}"
        body:
          step: first
          n: "{{ each.item.n }}"
          iteration: "{{ each.iteration }}"
      retries: 2
      backoff: fixed 10ms
      timeout: 5s
POLICY
  - second:
      on: first.succeeded
      for_each: lines
      action: http.post
      with:
        url: "{{ target }}"
        body:
          step: second
          n: "{{ each.item.n }}"
      retries: 2
      backoff: fixed 10ms
      timeout: 5s
"#
    )
    .replace("POLICY\n", policy)
}

async fn runtime(url: &str, text: &str) -> (tempfile::TempDir, Runtime) {
    let dir = tempfile::tempdir().unwrap();
    let rt = test_runtime(url, dir.path(), &[("lines", text)], "").await;
    (dir, rt)
}

fn line(n: u32, ok: bool) -> Value {
    json!({"n": n, "ok": ok})
}

/// Runs one order to its end; returns the run's status and events.
async fn run(
    rt: &Runtime,
    id: &str,
    lines: Value,
    target: &str,
    bad: &str,
) -> (String, Vec<Value>) {
    let payload = json!({"id": id, "lines": lines, "target": target, "bad": bad});
    let r = rt
        .run_to_end("lines", "order", payload, StartOptions::default())
        .await
        .unwrap();
    let events = rt.store().events(&r.id).await.unwrap();
    let events = events
        .into_iter()
        .map(|e| json!({"kind": e.kind, "step": e.step, "data": e.data}))
        .collect();
    (r.status, events)
}

fn bodies(r: &Receiver) -> Vec<Value> {
    r.seen.lock().unwrap().bodies.clone()
}

fn step_end<'a>(events: &'a [Value], step: &str) -> &'a Value {
    events
        .iter()
        .find(|e| {
            e["step"] == step && (e["kind"] == "step.succeeded" || e["kind"] == "step.failed")
        })
        .unwrap_or_else(|| panic!("`{step}` did not end: {events:?}"))
}

#[tokio::test]
async fn each_item_has_its_own_key_and_retries() {
    for db in databases().await {
        let (_d, rt) = runtime(&db.url, &lines_system("")).await;
        // Every key fails once: each item is retried on its own.
        let good = receiver(ReceiverOpts {
            fail_first: 1,
            ..Default::default()
        })
        .await;
        let lines = json!([line(1, true), line(2, true), line(3, true)]);
        let (status, events) = run(&rt, "o1", lines, &good.url, &good.url).await;
        assert_eq!(status, "succeeded", "{}: {events:?}", db.label);
        let seen = good.seen.lock().unwrap();
        let first: Vec<(&String, &u32)> = seen
            .per_key
            .iter()
            .filter(|(k, _)| k.contains(":first#"))
            .collect();
        assert_eq!(first.len(), 3, "{}: {:?}", db.label, seen.per_key);
        assert!(first.iter().all(|(_, n)| **n == 2), "{:?}", seen.per_key);
        let out = &step_end(&events, "first")["data"]["output"];
        assert_eq!(out["count"], 3);
        assert_eq!(out["failed"], json!([]));
        let loops = events.iter().filter(|e| e["kind"] == "step.loop_started");
        assert_eq!(loops.count(), 2, "{}", db.label);
    }
}

#[tokio::test]
async fn a_failed_item_lets_the_rest_run_and_the_next_loop_skips_it() {
    for db in databases().await {
        let policy = "      dead_letter: queue://lines.dlq\n";
        let (_d, rt) = runtime(&db.url, &lines_system(policy)).await;
        let good = receiver(ReceiverOpts::default()).await;
        let bad = refusing_receiver().await;
        let lines = json!([line(1, true), line(2, false), line(3, true)]);
        let (status, events) = run(&rt, "o2", lines, &good.url, &bad.url).await;
        // The failed item, and only it, is dead-lettered, filed under its index.
        let dead = rt.store().dead_letters(Some("open")).await.unwrap();
        let filed: Vec<&str> = dead.iter().map(|d| d.step.as_str()).collect();
        assert_eq!(filed, ["first[1]"], "{}", db.label);
        // The step succeeds (Zapier carries on with the other iterations); the run shows
        // the failure.
        assert_eq!(status, "failed", "{}: {events:?}", db.label);
        let end = step_end(&events, "first");
        assert_eq!(end["kind"], "step.succeeded");
        assert_eq!(end["data"]["output"]["failed"], json!([1]));
        assert_eq!(
            end["data"]["output"]["items"][1],
            Value::Null,
            "{}",
            db.label
        );
        let ns: Vec<(Value, Value)> = bodies(&good)
            .iter()
            .map(|b| (b["step"].clone(), b["n"].clone()))
            .collect();
        assert_eq!(
            ns,
            [
                (json!("first"), json!(1)),
                (json!("first"), json!(3)),
                (json!("second"), json!(1)),
                (json!("second"), json!(3)),
            ],
            "{}",
            db.label
        );
        let skipped: Vec<&Value> = events
            .iter()
            .filter(|e| e["kind"] == "step.item_skipped")
            .collect();
        assert_eq!(skipped.len(), 1, "{}", db.label);
        assert_eq!(skipped[0]["step"], "second");
        assert_eq!(skipped[0]["data"]["index"], 1);
    }
}

#[tokio::test]
async fn stop_skips_the_items_after_a_failure_and_fails_the_step() {
    for db in databases().await {
        let (_d, rt) = runtime(&db.url, &lines_system("      on_item_failure: stop\n")).await;
        let good = receiver(ReceiverOpts::default()).await;
        let bad = refusing_receiver().await;
        let lines = json!([line(1, true), line(2, false), line(3, true)]);
        let (status, events) = run(&rt, "o3", lines, &good.url, &bad.url).await;
        assert_eq!(status, "failed", "{}", db.label);
        let end = step_end(&events, "first");
        assert_eq!(end["kind"], "step.failed", "{}: {events:?}", db.label);
        let ns: Vec<Value> = bodies(&good).iter().map(|b| b["n"].clone()).collect();
        assert_eq!(ns, [json!(1)], "{}", db.label);
        assert!(
            !events.iter().any(|e| e["step"] == "second"),
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn a_value_that_is_not_a_list_or_too_long_fails_before_any_item() {
    for db in databases().await {
        let (_d, rt) = runtime(&db.url, &lines_system("      max_items: 2\n")).await;
        let good = receiver(ReceiverOpts::default()).await;
        let (status, events) = run(&rt, "o4", json!("a,b"), &good.url, &good.url).await;
        assert_eq!(status, "failed");
        let err = step_end(&events, "first")["data"]["error"].to_string();
        assert!(err.contains("claw::runtime::loop_not_a_list"), "{err}");
        let three = json!([line(1, true), line(2, true), line(3, true)]);
        let (status, events) = run(&rt, "o5", three, &good.url, &good.url).await;
        assert_eq!(status, "failed");
        let err = step_end(&events, "first")["data"]["error"].to_string();
        assert!(err.contains("claw::runtime::loop_too_many_items"), "{err}");
        assert!(bodies(&good).is_empty(), "{}", db.label);
    }
}

#[tokio::test]
async fn record_only_records_one_call_per_item() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_system(dir.path(), "lines", &lines_system(""));
    let rt = Runtime::record_only(vec![LoadedSystem::load(&p).unwrap()])
        .await
        .unwrap();
    let payload = json!({"id": "o6", "lines": [line(1, true), line(2, true)],
        "target": "http://127.0.0.1:9/", "bad": "http://127.0.0.1:9/"});
    let sim = rt
        .simulate("lines", "order", payload, StartOptions::default())
        .await
        .unwrap();
    assert_eq!(sim.status, "succeeded");
    let steps: Vec<&str> = sim.calls.iter().map(|c| c.step.as_str()).collect();
    assert_eq!(steps, ["first", "first", "second", "second"]);
}
