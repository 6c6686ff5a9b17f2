//! `delay.queue` (Zapier's Delay After Queue) against real databases: SQLite files, and
//! PostgreSQL when CLAW_TEST_POSTGRES_URL is set. Real HTTP receivers on 127.0.0.1.
//!
//! Zapier behaviour encoded here (Zapier's help page "Add delays to Zaps", Delay After Queue):
//! runs that reach the step wait in a queue and are released one at a time, each a set time
//! after the previous one; runs in queues with other titles do not wait for them.

mod common;

use claw_runtime::{Runtime, StartOptions};
use common::*;
use serde_json::{Value, json};
use std::time::Duration;

const QUEUED: &str = claw_testkit::with_slo_tail!(
    r#"system: queued
version: 1.0.0
triggers:
  - go:
      source: manual
      idempotency: id
decisions: []
execution:
  - wait_turn:
      on: go
      action: delay.queue
      with:
        spacing: 1s
        queue: "{{ lane }}"
  - send:
      on: wait_turn.succeeded
      action: http.post
      with:
        url: "{{ target }}"
        body:
          id: "{{ id }}"
      retries: 2
      timeout: 5s
      dead_letter: queue://queued.dlq
"#
);

async fn runtime(url: &str) -> (tempfile::TempDir, Runtime) {
    let dir = tempfile::tempdir().unwrap();
    let rt = test_runtime(url, dir.path(), &[("queued", QUEUED)], "").await;
    (dir, rt)
}

async fn go(rt: &Runtime, id: &str, lane: &str, target: &str) -> String {
    rt.accept(
        "queued",
        "go",
        json!({"id": id, "lane": lane, "target": target}),
        StartOptions::default(),
    )
    .await
    .unwrap()
    .run_id
}

/// The release time the run was given (its `step.delay_scheduled` event).
async fn due(rt: &Runtime, run_id: &str) -> i64 {
    assert!(event_logged(rt, run_id, "step.delay_scheduled", 5).await);
    rt.store().flush().await.unwrap();
    let events = rt.store().events(run_id).await.unwrap();
    let e = events
        .iter()
        .find(|e| e.kind == "step.delay_scheduled")
        .unwrap();
    e.data["due_at"].as_i64().unwrap()
}

// Long on purpose: one scenario per database (queue three runs, stop the runtime before they
// are released, queue a fourth in a new runtime, release all); split, each part would have to
// rebuild the same half-released queue.
#[tokio::test]
async fn a_queue_releases_runs_one_at_a_time_across_a_restart() {
    for db in databases().await {
        let recv = receiver(ReceiverOpts::default()).await;
        let (_d, rt) = runtime(&db.url).await;
        let mut lane_a = Vec::new();
        for id in ["a1", "a2", "a3"] {
            lane_a.push(go(&rt, id, "orders", &recv.url).await);
        }
        let b = go(&rt, "b1", "refunds", &recv.url).await;
        let mut dues = Vec::new();
        for r in &lane_a {
            dues.push(due(&rt, r).await);
        }
        dues.sort_unstable();
        // One queue: distinct turns, each at least the spacing after the one before.
        for w in dues.windows(2) {
            assert!(w[1] - w[0] >= 1000, "{}: turns {dues:?}", db.label);
        }
        // Another queue does not wait behind the first.
        let b_due = due(&rt, &b).await;
        assert!(b_due < dues[2], "{}: {b_due} vs {dues:?}", db.label);

        // Stop before the last turns come: the queue's last turn is durable.
        assert!(rt.drain(Duration::from_secs(2)).await.unwrap());
        drop(rt);
        let (_d2, rt2) = runtime(&db.url).await;
        // As `claw run` does at start: the runs left waiting are taken up again first.
        rt2.resume().await.unwrap();
        let a4 = go(&rt2, "a4", "orders", &recv.url).await;
        let a4_due = due(&rt2, &a4).await;
        assert!(
            a4_due >= dues[2] + 1000,
            "{}: a run queued after the restart waits its turn ({a4_due} vs {dues:?})",
            db.label
        );
        for r in lane_a.iter().chain([&b, &a4]) {
            assert_eq!(wait_finished(&rt2, r).await, "succeeded", "{}", db.label);
            let events = rt2.store().events(r).await.unwrap();
            let fired = events
                .iter()
                .find(|e| e.kind == "step.delay_fired")
                .unwrap();
            let due_at = events
                .iter()
                .find(|e| e.kind == "step.delay_scheduled")
                .map(|e| e.data["due_at"].as_i64().unwrap())
                .unwrap();
            assert!(
                fired.at.0 >= due_at,
                "{}: released before its turn",
                db.label
            );
            let out: Vec<&Value> = events
                .iter()
                .filter(|e| e.kind == "step.succeeded" && e.step.as_deref() == Some("wait_turn"))
                .map(|e| &e.data)
                .collect();
            assert_eq!(
                out.len(),
                1,
                "{}: {:#?}",
                db.label,
                events
                    .iter()
                    .map(|e| (&e.kind, &e.step, &e.data))
                    .collect::<Vec<_>>()
            );
        }
        // Each run delivered exactly once.
        let seen = recv.seen.lock().unwrap();
        assert_eq!(seen.per_key.len(), 5, "{}", db.label);
        assert!(seen.per_key.values().all(|n| *n == 1), "{}", db.label);
    }
}
