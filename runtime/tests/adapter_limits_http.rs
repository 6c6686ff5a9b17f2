//! The limits of the `http.*` adapters, through the engine, against real HTTP receivers
//! on 127.0.0.1 and real databases (SQLite files, and PostgreSQL when
//! CLAW_TEST_POSTGRES_URL is set): per-attempt timeouts, which statuses are retried, and
//! every HTTP method.

mod common;

use claw_runtime::store::RunRecord;
use claw_runtime::{Runtime, StartOptions};
use common::adapter_systems::*;
use common::*;
use serde_json::json;
use std::time::{Duration, Instant};

const HTTP_CALL: &str = r#"  - call:
      on: go
      action: http.post
      with:
        url: "{{ target }}"
        body:
          id: "{{ id }}"
      retries: 3
      backoff: exponential 10ms..40ms
      timeout: 300ms
      dead_letter: queue://call.dlq
"#;

/// What an attempt of `call` that ran out of time records.
const TIMED_OUT: &str = "http.post in step `call`: timed out after 300ms";

#[tokio::test]
async fn a_receiver_slower_than_the_timeout_fails_the_attempt_and_is_retried() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        // `web_stuck`: the same step with one retry, for the receiver that never answers in
        // time (fewer attempts keep the test short).
        let stuck_steps = HTTP_CALL.replace("retries: 3", "retries: 1");
        let rt = runtime_of(
            &db.url,
            dir.path(),
            &[("web", HTTP_CALL), ("web_stuck", &stuck_steps)],
        )
        .await;
        // The first two calls of each key take 2 s; the third answers at once.
        let recv = receiver(ReceiverOpts {
            delay: Duration::from_secs(2),
            slow_first: 2,
            ..Default::default()
        })
        .await;
        let started = Instant::now();
        let run = rt
            .run_to_end(
                "web",
                "go",
                json!({"target": recv.url, "id": "T1"}),
                StartOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(run.status, "succeeded", "{}", db.label);
        assert!(started.elapsed() < Duration::from_secs(2));
        let key = format!("{}:call", run.id);
        {
            let seen = recv.seen.lock().unwrap();
            assert_eq!(
                seen.per_key,
                [(key.clone(), 3)].into_iter().collect(),
                "three attempts, one key ({})",
                db.label
            );
            assert_eq!(seen.bodies, vec![json!({"id": "T1"}); 3]);
        }
        let events = rt.store().events(&run.id).await.unwrap();
        let starts = of_kind(&events, "step.attempt_started");
        assert_eq!(
            starts.iter().map(|e| e.attempt).collect::<Vec<_>>(),
            [Some(1), Some(2), Some(3)]
        );
        assert!(
            starts
                .iter()
                .all(|e| e.data["idempotency_key"] == json!(key))
        );
        let failed = of_kind(&events, "step.attempt_failed");
        assert_eq!(failed.len(), 2, "{}", db.label);
        for (i, f) in failed.iter().enumerate() {
            assert_eq!(f.attempt, Some(i as i64 + 1));
            assert_eq!(f.data, json!({"error": TIMED_OUT, "retryable": true}));
            // Cut at the timeout, not after the receiver's 2 s.
            let took = f.at - starts[i].at;
            assert!(
                (300..1500).contains(&took),
                "attempt {} took {took}ms",
                i + 1
            );
        }
        assert_eq!(
            of_kind(&events, "step.retry_scheduled")
                .iter()
                .map(|e| e.attempt)
                .collect::<Vec<_>>(),
            [Some(2), Some(3)]
        );
        let ok = of_kind(&events, "step.succeeded");
        assert_eq!(ok[0].attempt, Some(3));
        assert_eq!(
            ok[0].data["output"],
            json!({"status": 200, "body": {"ok": true}, "truncated": false})
        );

        // A receiver that is always too slow: every attempt times out, then the dead letter.
        let stuck = receiver(ReceiverOpts {
            delay: Duration::from_secs(2),
            ..Default::default()
        })
        .await;
        let run = rt
            .run_to_end(
                "web_stuck",
                "go",
                json!({"target": stuck.url, "id": "T2"}),
                StartOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(run.status, "failed", "{}", db.label);
        assert_eq!(
            stuck.seen.lock().unwrap().per_key,
            [(format!("{}:call", run.id), 2)].into_iter().collect()
        );
        let events = rt.store().events(&run.id).await.unwrap();
        let failed = of_kind(&events, "step.attempt_failed");
        assert_eq!(
            failed.iter().map(|e| e.attempt).collect::<Vec<_>>(),
            [Some(1), Some(2)]
        );
        assert!(
            failed
                .iter()
                .all(|e| e.data == json!({"error": TIMED_OUT, "retryable": true}))
        );
        assert_eq!(
            of_kind(&events, "step.dead_lettered")[0].data,
            json!({"target": "queue://call.dlq", "error": TIMED_OUT})
        );
    }
}

/// Runs `web` (id `S<status>`) to its end against a receiver that answers `status` to the first
/// `failures` calls of each key; returns the receiver (what it saw) and the run.
async fn call_failing(rt: &Runtime, failures: u32, status: u16) -> (Receiver, RunRecord) {
    let recv = receiver(ReceiverOpts {
        fail_first: failures,
        fail_status: status,
        ..Default::default()
    })
    .await;
    let run = rt
        .run_to_end(
            "web",
            "go",
            json!({"target": recv.url, "id": format!("S{status}")}),
            StartOptions::default(),
        )
        .await
        .unwrap();
    (recv, run)
}

#[tokio::test]
async fn http_429_408_and_5xx_are_retried_other_4xx_are_not() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let rt = runtime(&db.url, dir.path(), "web", HTTP_CALL).await;
        for status in [429u16, 408, 500, 502, 503, 504] {
            let (recv, run) = call_failing(&rt, 1, status).await;
            assert_eq!(run.status, "succeeded", "HTTP {status} ({})", db.label);
            assert_eq!(
                recv.seen.lock().unwrap().per_key,
                [(format!("{}:call", run.id), 2)].into_iter().collect(),
                "HTTP {status}: retried once with the same key"
            );
            let events = rt.store().events(&run.id).await.unwrap();
            let failed = of_kind(&events, "step.attempt_failed");
            assert_eq!(failed.len(), 1, "HTTP {status}");
            assert_eq!(failed[0].attempt, Some(1));
            assert_eq!(
                failed[0].data,
                json!({"error": format!("http.post in step `call`: HTTP {status}: try later"), "retryable": true})
            );
            let retry = of_kind(&events, "step.retry_scheduled");
            assert_eq!(retry.len(), 1, "HTTP {status}");
            assert_eq!(retry[0].attempt, Some(2));
            assert_eq!(of_kind(&events, "step.succeeded")[0].attempt, Some(2));
        }
        for status in [400u16, 401, 403, 404, 409, 410, 422] {
            let (recv, run) = call_failing(&rt, u32::MAX, status).await;
            assert_eq!(run.status, "failed", "HTTP {status} ({})", db.label);
            assert_eq!(
                recv.seen.lock().unwrap().per_key.values().sum::<u32>(),
                1,
                "HTTP {status} must not be retried"
            );
            let events = rt.store().events(&run.id).await.unwrap();
            let msg = format!("http.post in step `call`: HTTP {status}: try later");
            assert_eq!(
                of_kind(&events, "step.attempt_failed")[0].data,
                json!({"error": msg, "retryable": false})
            );
            assert!(of_kind(&events, "step.retry_scheduled").is_empty());
            assert_eq!(
                of_kind(&events, "step.failed")[0].data,
                json!({"error": msg, "attempts": 1})
            );
        }
    }
}

const HTTP_METHODS: &str = r#"  - read:
      on: go
      action: http.get
      with:
        url: "{{ target }}"
        query:
          id: "{{ id }}"
      timeout: 2s
  - replace:
      on: read.succeeded
      action: http.put
      with:
        url: "{{ target }}"
        body:
          id: "{{ id }}"
          name: full
      timeout: 2s
  - amend:
      on: replace.succeeded
      action: http.patch
      with:
        url: "{{ target }}"
        body:
          qty: 2
      timeout: 2s
  - note:
      on: amend.succeeded
      action: http.patch
      with:
        url: "{{ target }}"
        body: "plain text"
      timeout: 2s
  - remove:
      on: note.succeeded
      action: http.delete
      with:
        url: "{{ target }}"
        body:
          reason: gone
      timeout: 2s
  - forget:
      on: remove.succeeded
      action: http.delete
      with:
        url: "{{ target }}"
      timeout: 2s
"#;

#[tokio::test]
async fn every_http_method_reaches_the_receiver_with_its_body() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let rt = runtime(&db.url, dir.path(), "verbs", HTTP_METHODS).await;
        let recv = receiver_any_method(ReceiverOpts::default()).await;
        let run = rt
            .run_to_end(
                "verbs",
                "go",
                json!({"target": recv.url, "id": "M-1"}),
                StartOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(run.status, "succeeded", "{}", db.label);
        let req = |method: &str, step: &str, query: Option<&str>, ct: Option<&str>, body| Request {
            method: method.into(),
            query: query.map(str::to_string),
            content_type: ct.map(str::to_string),
            key: Some(format!("{}:{step}", run.id)),
            body,
        };
        let json_ct = Some("application/json");
        assert_eq!(
            recv.seen.lock().unwrap().requests,
            vec![
                req("GET", "read", Some("id=M-1"), None, json!("")),
                req(
                    "PUT",
                    "replace",
                    None,
                    json_ct,
                    json!({"id": "M-1", "name": "full"})
                ),
                req("PATCH", "amend", None, json_ct, json!({"qty": 2})),
                req("PATCH", "note", None, None, json!("plain text")),
                req("DELETE", "remove", None, json_ct, json!({"reason": "gone"})),
                req("DELETE", "forget", None, None, json!("")),
            ],
            "{}",
            db.label
        );
        let events = rt.store().events(&run.id).await.unwrap();
        let ok = of_kind(&events, "step.succeeded");
        assert_eq!(ok.len(), 6);
        assert!(ok.iter().all(|e| e.data["output"]
            == json!({"status": 200, "body": {"ok": true}, "truncated": false})));
    }
}
