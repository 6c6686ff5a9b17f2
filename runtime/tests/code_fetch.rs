//! `fetch` in a `code.js` step (Zapier's JavaScript Code allows it: help.zapier.com, "Use
//! JavaScript code in Zaps", which lists `fetch` as available for HTTP requests) runs as an
//! effect of the step: real HTTP against a loopback receiver, the step's idempotency key on
//! every request and every attempt, retried when the network fails, and only recorded in
//! record-only mode.

mod common;

use claw_runtime::{LoadedSystem, Runtime, StartOptions};
use common::*;
use serde_json::json;
use std::time::Duration;

fn system(timeout: &str) -> String {
    claw_testkit::with_tail!(
        r##"system: lookup
version: 1.0.0
triggers:
  - order:
      source: manual
      idempotency: id
decisions: []
execution:
  - enrich:
      on: order
      action: code.js
      retries: 2
      backoff: fixed 10ms
      timeout: TIMEOUT
      with:
        input:
          id: "{{ id }}"
          url: "{{ url }}"
        code: |
          export default async function main({inputData}) {
            const r = await fetch(inputData.url, {
              method: 'POST',
              headers: {'Content-Type': 'application/json'},
              body: JSON.stringify({order: inputData.id}),
            });
            const body = await r.json();
            return {status: r.status, ok: r.ok, upstream: body.ok, type: r.headers.get('content-type')};
          }
"##
    )
    .replace("TIMEOUT", timeout)
}

#[tokio::test]
async fn fetch_is_a_keyed_effect_of_the_step() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let recv = receiver(ReceiverOpts::default()).await;
        let rt = test_runtime(&db.url, dir.path(), &[("lookup", &system("5s"))], "").await;
        let run = rt
            .run_to_end(
                "lookup",
                "order",
                json!({"id": "A-1", "url": recv.url}),
                StartOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(run.status, "succeeded", "{}", db.label);
        let events = rt.store().events(&run.id).await.unwrap();
        let done = events.iter().find(|e| e.kind == "step.succeeded").unwrap();
        assert_eq!(
            done.data["output"],
            json!({"status": 200, "ok": true, "upstream": true, "type": "text/plain; charset=utf-8"}),
            "{}",
            db.label
        );
        let requests = recv.seen.lock().unwrap().requests.clone();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].body, json!({"order": "A-1"}));
        let key = requests[0].key.clone().unwrap();
        assert!(key.ends_with("#fetch0"), "{key}");
        rt.drain(Duration::from_secs(5)).await.unwrap();
    }
}

/// A request that times out rejects the script's promise; the step is retried, and the
/// second attempt's request carries the same key as the first.
#[tokio::test]
async fn a_failed_fetch_is_retried_with_the_same_key() {
    let db = sqlite();
    let dir = tempfile::tempdir().unwrap();
    let recv = receiver(ReceiverOpts {
        delay: Duration::from_secs(3),
        slow_first: 1,
        ..Default::default()
    })
    .await;
    let rt = test_runtime(&db.url, dir.path(), &[("lookup", &system("1s"))], "").await;
    let run = rt
        .run_to_end(
            "lookup",
            "order",
            json!({"id": "A-2", "url": recv.url}),
            StartOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(run.status, "succeeded");
    let events = rt.store().events(&run.id).await.unwrap();
    let failed = events.iter().find(|e| e.kind == "step.attempt_failed");
    assert!(failed.is_some(), "{events:?}");
    let seen = recv.seen.lock().unwrap();
    assert_eq!(seen.per_key.len(), 1, "{:?}", seen.per_key);
    assert_eq!(seen.per_key.values().copied().collect::<Vec<_>>(), [2]);
}

#[tokio::test]
async fn record_only_records_the_fetch_and_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let recv = receiver(ReceiverOpts::default()).await;
    let p = write_system(dir.path(), "lookup", &system("5s"));
    let rt = Runtime::record_only(vec![LoadedSystem::load(&p).unwrap()])
        .await
        .unwrap();
    let sim = rt
        .simulate(
            "lookup",
            "order",
            json!({"id": "A-3", "url": recv.url}),
            StartOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(sim.status, "succeeded");
    let actions: Vec<&str> = sim.calls.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(actions, ["code.js", "code.js.fetch"], "{:?}", sim.calls);
    let fetch = &sim.calls[1];
    assert_eq!(fetch.params["method"], "POST");
    assert_eq!(fetch.params["body"], "{\"order\":\"A-3\"}");
    assert!(fetch.idempotency_key.ends_with("#fetch0"));
    assert!(recv.seen.lock().unwrap().requests.is_empty());
}
