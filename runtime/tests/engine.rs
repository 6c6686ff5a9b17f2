//! The engine against real databases: SQLite files, and PostgreSQL when
//! CLAW_TEST_POSTGRES_URL is set. Real HTTP receivers on 127.0.0.1.

mod common;

use claw_runtime::engine::Mode;
use claw_runtime::store::{Accepted, RunFilter};
use claw_runtime::{LoadedSystem, Runtime, StartOptions};
use common::*;
use serde_json::json;
use std::time::Duration;

const HOOKS: &str = claw_testkit::with_slo_tail!(
    r#"system: hooks
version: 1.0.0
triggers:
  - order_created:
      source: webhook
      idempotency: order.id
decisions:
  - big:
      when: order.total > 100
      emits: big_order
execution:
  - notify:
      on: big_order
      action: http.post
      with:
        url: "{{ target }}"
        headers:
          Authorization: "Bearer {{ secrets.hook_token }}"
        body:
          order: "{{ order.id }}"
          total: "{{ order.total }}"
      retries: 3
      backoff: exponential 10ms..40ms
      timeout: 5s
      dead_letter: queue://hooks.dlq
  - note:
      on: notify.succeeded
      action: log.info
      with:
        message: "order {{ order.id }} notified"
"#
);

fn system(text: &str) -> (tempfile::TempDir, LoadedSystem) {
    let dir = tempfile::tempdir().unwrap();
    let p = write_system(dir.path(), "sys", text);
    let s = LoadedSystem::load(&p).unwrap();
    (dir, s)
}

async fn runtime(url: &str, text: &str) -> (tempfile::TempDir, Runtime) {
    let dir = tempfile::tempdir().unwrap();
    let rt = test_runtime(
        url,
        dir.path(),
        &[("sys", text)],
        "hook_token=tok-9f8e7d6c\n",
    )
    .await;
    (dir, rt)
}

/// Sends order `id` of `total` to the `hooks` system, whose step posts big orders to `target`.
async fn order(rt: &Runtime, id: &str, total: u32, target: &str) -> Accepted {
    rt.accept(
        "hooks",
        "order_created",
        json!({"order": {"id": id, "total": total}, "target": target}),
        StartOptions::default(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn runs_decide_call_and_never_store_secrets() {
    for db in databases().await {
        let recv = receiver(ReceiverOpts::default()).await;
        let (_d, rt) = runtime(&db.url, HOOKS).await;
        let a = order(&rt, "A1", 250, &recv.url).await;
        assert_eq!(
            wait_finished(&rt, &a.run_id).await,
            "succeeded",
            "{}",
            db.label
        );
        let small = order(&rt, "A2", 5, &recv.url).await;
        assert_eq!(wait_finished(&rt, &small.run_id).await, "succeeded");
        {
            let seen = recv.seen.lock().unwrap();
            assert_eq!(
                seen.per_key.len(),
                1,
                "only the big order is posted ({})",
                db.label
            );
            assert_eq!(seen.bodies[0], json!({"order": "A1", "total": 250}));
        }
        let events = rt.store().events(&a.run_id).await.unwrap();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "trigger.received",
                "decision.made",
                "step.attempt_started",
                "step.succeeded",
                "step.attempt_started",
                "step.succeeded",
                "run.finished"
            ],
            "{}",
            db.label
        );
        let all = serde_json::to_string(&events).unwrap();
        assert!(
            !all.contains("tok-9f8e7d6c"),
            "a secret value reached the event log"
        );
        assert!(all.contains("Bearer secret://hook_token"));
        let small_events = rt.store().events(&small.run_id).await.unwrap();
        assert_eq!(small_events[1].data["continue"], json!(false));
    }
}

/// Run ids are time-ordered (UUIDv7): new runs append at the right edge of the run-id
/// indexes instead of dirtying a random index page each, which halved the SQLite
/// throughput when they were random (docs/performance.md, round 6).
#[tokio::test]
async fn run_ids_sort_in_acceptance_order() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ids.db").display());
    let (_d, rt) = runtime(&url, HOOKS).await;
    let mut ids = Vec::new();
    for i in 0..20 {
        let a = rt
            .accept(
                "hooks",
                "order_created",
                json!({"order": {"id": format!("ID{i}"), "total": 1}, "target": "http://127.0.0.1:9"}),
                StartOptions::default(),
            )
            .await
            .unwrap();
        // Different milliseconds for some of them, the same millisecond for others.
        if i % 5 == 0 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        ids.push(a.run_id);
    }
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(
        ids, sorted,
        "run ids must sort in the order runs were accepted"
    );
    let unique: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len());
}

#[tokio::test]
async fn concurrent_duplicates_get_the_first_run() {
    for db in databases().await {
        let recv = receiver(ReceiverOpts::default()).await;
        let (_d, rt) = runtime(&db.url, HOOKS).await;
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let rt = rt.clone();
            let url = recv.url.clone();
            tasks.push(tokio::spawn(
                async move { order(&rt, "DUP", 500, &url).await },
            ));
        }
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.unwrap());
        }
        let first: Vec<_> = results.iter().filter(|a| !a.duplicate).collect();
        assert_eq!(
            first.len(),
            1,
            "exactly one delivery starts a run ({})",
            db.label
        );
        assert!(results.iter().all(|a| a.run_id == first[0].run_id));
        wait_finished(&rt, &first[0].run_id).await;
        let runs = rt
            .store()
            .runs(&RunFilter {
                system: Some("hooks".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(recv.seen.lock().unwrap().per_key.values().sum::<u32>(), 1);
    }
}

#[tokio::test]
async fn retries_then_success_carry_one_key() {
    for db in databases().await {
        let recv = receiver(ReceiverOpts {
            fail_first: 2,
            ..Default::default()
        })
        .await;
        let (_d, rt) = runtime(&db.url, HOOKS).await;
        let a = order(&rt, "R1", 900, &recv.url).await;
        assert_eq!(wait_finished(&rt, &a.run_id).await, "succeeded");
        {
            let seen = recv.seen.lock().unwrap();
            assert_eq!(seen.per_key.len(), 1);
            assert_eq!(
                *seen.per_key.values().next().unwrap(),
                3,
                "two 503s then success, same key"
            );
        }
        let events = rt.store().events(&a.run_id).await.unwrap();
        assert_eq!(
            events
                .iter()
                .filter(|e| e.kind == "step.retry_scheduled")
                .count(),
            2,
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn exhausted_retries_dead_letter_and_retry_from_dlq() {
    for db in databases().await {
        let recv = receiver(ReceiverOpts {
            fail_first: 4,
            ..Default::default()
        })
        .await;
        let (_d, rt) = runtime(&db.url, HOOKS).await;
        let a = order(&rt, "D1", 900, &recv.url).await;
        assert_eq!(
            wait_finished(&rt, &a.run_id).await,
            "failed",
            "{}",
            db.label
        );
        assert_eq!(
            *recv.seen.lock().unwrap().per_key.values().next().unwrap(),
            4,
            "1 attempt + 3 retries"
        );
        let dl = rt.store().dead_letters(Some("open")).await.unwrap();
        assert_eq!(dl.len(), 1);
        assert_eq!(dl[0].target, "queue://hooks.dlq");
        assert!(dl[0].error.contains("HTTP 503"), "{}", dl[0].error);
        let q = rt.store().queue_messages("hooks.dlq").await.unwrap();
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].body["payload"]["order"]["id"], json!("D1"));
        // The 5th call succeeds: retrying the dead letter completes the work.
        let new_run = rt.retry_dead_letter(dl[0].id).await.unwrap().unwrap();
        assert_eq!(wait_finished(&rt, &new_run).await, "succeeded");
        assert!(
            rt.store()
                .dead_letters(Some("open"))
                .await
                .unwrap()
                .is_empty()
        );
        let events = rt.store().events(&new_run).await.unwrap();
        assert_eq!(events[1].kind, "decision.made");
        assert_eq!(events[1].data["reused"], json!(true));
    }
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    for db in databases().await {
        let recv = receiver(ReceiverOpts {
            fail_first: 100,
            fail_status: 400,
            ..Default::default()
        })
        .await;
        let (_d, rt) = runtime(&db.url, HOOKS).await;
        let a = order(&rt, "C1", 900, &recv.url).await;
        assert_eq!(wait_finished(&rt, &a.run_id).await, "failed");
        assert_eq!(
            recv.seen.lock().unwrap().per_key.values().sum::<u32>(),
            1,
            "{}",
            db.label
        );
    }
}

const DELAYED: &str = claw_testkit::with_slo_tail!(
    r#"system: delayed
version: 1.0.0
triggers:
  - go:
      source: manual
      idempotency: id
decisions: []
execution:
  - later:
      on: go
      delay: 1500ms
      action: http.post
      with:
        url: "{{ target }}"
        body:
          id: "{{ id }}"
      retries: 2
      timeout: 5s
      dead_letter: queue://delayed.dlq
"#
);

#[tokio::test]
async fn durable_delay_survives_a_restart() {
    for db in databases().await {
        let recv = receiver(ReceiverOpts::default()).await;
        let (_d, rt) = runtime(&db.url, DELAYED).await;
        let a = rt
            .accept(
                "delayed",
                "go",
                json!({"id": "L1", "target": recv.url}),
                StartOptions::default(),
            )
            .await
            .unwrap();
        assert!(event_logged(&rt, &a.run_id, "step.delay_scheduled", 5).await);
        // Stop the first runtime mid-delay: the waiting run is abandoned in memory.
        assert!(rt.drain(Duration::from_secs(2)).await.unwrap());
        drop(rt);
        assert!(recv.seen.lock().unwrap().per_key.is_empty());
        let (_d2, rt2) = runtime(&db.url, DELAYED).await;
        assert_eq!(rt2.resume().await.unwrap(), 1);
        assert_eq!(
            wait_finished(&rt2, &a.run_id).await,
            "succeeded",
            "{}",
            db.label
        );
        assert_eq!(recv.seen.lock().unwrap().per_key.values().sum::<u32>(), 1);
        let events = rt2.store().events(&a.run_id).await.unwrap();
        let scheduled: Vec<_> = events
            .iter()
            .filter(|e| e.kind == "step.delay_scheduled")
            .collect();
        assert_eq!(scheduled.len(), 1, "the due time is kept, not re-scheduled");
        let fired = events
            .iter()
            .find(|e| e.kind == "step.delay_fired")
            .unwrap();
        assert!(fired.at >= scheduled[0].data["due_at"].as_i64().unwrap());
    }
}

#[tokio::test]
async fn record_only_mode_records_calls_and_decisions() {
    let (_d, sys) = system(HOOKS);
    let rt = Runtime::record_only(vec![sys]).await.unwrap();
    assert_eq!(rt.mode(), Mode::RecordOnly);
    let sim = rt
        .simulate(
            "hooks",
            "order_created",
            json!({"order": {"id": "S1", "total": 300}, "target": "http://127.0.0.1:9/"}),
            StartOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(sim.status, "succeeded");
    assert_eq!(sim.decisions.len(), 1);
    assert!(sim.decisions[0].continued);
    assert_eq!(sim.calls.len(), 2);
    assert_eq!(sim.calls[0].action, "http.post");
    assert_eq!(
        sim.calls[0].params["body"],
        json!({"order": "S1", "total": 300})
    );
    assert_eq!(
        sim.calls[0].params["headers"]["Authorization"],
        json!("Bearer secret://hook_token")
    );
    assert_eq!(
        sim.calls[0].idempotency_key,
        format!("{}:notify", sim.run_id)
    );
    assert_eq!(sim.calls[1].action, "log.info");
}
