//! Built-in notification, code, queue and delay adapters exercised through the engine,
//! against local HTTP receivers and real databases.

mod common;

use claw_runtime::StartOptions;
use common::*;
use serde_json::json;
use std::time::{Duration, Instant};

const CHAIN: &str = claw_testkit::with_tail!(
    r##"system: chain
version: 1.0.0
triggers:
  - order:
      source: manual
      idempotency: order.id
decisions: []
execution:
  - total:
      on: order
      action: code.js
      with:
        code: |
          output = { total: inputData.lines.reduce((s, l) => s + l.qty * l.price, 0), n: inputData.lines.length };
        input:
          lines: "{{ order.lines }}"
  - tell_slack:
      on: total.succeeded
      action: slack.post
      with:
        url: secret://slack_url
        channel: "#orders"
        text: "order {{ order.id }}: {{ steps.total.output.total }} EUR"
  - tell_erp:
      on: tell_slack.succeeded
      action: webhook.post
      with:
        url: "{{ erp }}"
        body:
          order: "{{ order.id }}"
          total: "{{ steps.total.output.total }}"
      idempotency: "'erp-' + order.id"
  - cool_off:
      on: tell_erp.succeeded
      action: delay.wait
      with:
        duration: 300ms
  - hand_over:
      on: cool_off.succeeded
      action: queue.publish
      with:
        queue: orders.totalled
        message:
          order: "{{ order.id }}"
          total: "{{ steps.total.output.total }}"
          lines: "{{ steps.total.output.n }}"
"##
);

#[tokio::test]
async fn code_slack_webhook_delay_and_queue_steps_run_in_order() {
    for db in databases().await {
        let slack = receiver(ReceiverOpts::default()).await;
        let erp = receiver(ReceiverOpts::default()).await;
        let dir = tempfile::tempdir().unwrap();
        let secrets = format!("slack_url={}\n", slack.url);
        let rt = test_runtime(&db.url, dir.path(), &[("chain", CHAIN)], &secrets).await;
        let started = Instant::now();
        let run = rt
            .run_to_end(
                "chain",
                "order",
                json!({"order": {"id": "O-7", "lines": [{"qty": 2, "price": 10.5}, {"qty": 1, "price": 4}]}, "erp": erp.url}),
                StartOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(run.status, "succeeded", "{}", db.label);
        assert!(
            started.elapsed() >= Duration::from_millis(300),
            "delay.wait did not wait"
        );

        let s = std::mem::take(&mut *slack.seen.lock().unwrap());
        assert_eq!(
            s.bodies,
            vec![json!({"channel": "#orders", "text": "order O-7: 25 EUR"})],
            "{}",
            db.label
        );
        assert_eq!(
            s.per_key.keys().next().unwrap(),
            &format!("{}:tell_slack", run.id)
        );
        let e = std::mem::take(&mut *erp.seen.lock().unwrap());
        assert_eq!(e.bodies, vec![json!({"order": "O-7", "total": 25})]);
        assert_eq!(e.per_key.keys().next().unwrap(), "erp-O-7");

        let msgs = rt.store().queue_messages("orders.totalled").await.unwrap();
        assert_eq!(msgs.len(), 1);
        assert_eq!(
            msgs[0].body,
            json!({"order": "O-7", "total": 25, "lines": 2})
        );
        assert_eq!(msgs[0].run_id, run.id);

        let events = rt.store().events(&run.id).await.unwrap();
        let kinds: Vec<(&str, Option<&str>)> = events
            .iter()
            .map(|e| (e.kind.as_str(), e.step.as_deref()))
            .filter(|(k, _)| *k != "step.attempt_started")
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("trigger.received", None),
                ("step.succeeded", Some("total")),
                ("step.succeeded", Some("tell_slack")),
                ("step.succeeded", Some("tell_erp")),
                ("step.delay_scheduled", Some("cool_off")),
                ("step.delay_fired", Some("cool_off")),
                ("step.succeeded", Some("cool_off")),
                ("step.succeeded", Some("hand_over")),
                ("run.finished", None),
            ],
            "{}",
            db.label
        );
        let sched = events
            .iter()
            .find(|e| e.kind == "step.delay_scheduled")
            .unwrap();
        let fired = events
            .iter()
            .find(|e| e.kind == "step.delay_fired")
            .unwrap();
        assert!(fired.at - sched.at >= 300);
        // The Slack URL is a secret: only its reference is in the log.
        let log = serde_json::to_string(&events).unwrap();
        assert!(log.contains("secret://slack_url"));
        assert!(!log.contains(slack.url.trim_end_matches('/')));
        rt.drain(Duration::from_secs(5)).await.unwrap();
    }
}

#[tokio::test]
async fn a_failing_code_step_fails_the_run_without_retrying() {
    let db = sqlite();
    let dir = tempfile::tempdir().unwrap();
    let text = CHAIN.replace(
        "output = { total: inputData.lines.reduce((s, l) => s + l.qty * l.price, 0), n: inputData.lines.length };",
        "while (true) {}",
    );
    let rt = test_runtime(&db.url, dir.path(), &[("chain", &text)], "").await;
    let run = rt
        .run_to_end(
            "chain",
            "order",
            json!({"order": {"id": "O-8", "lines": []}, "erp": "http://127.0.0.1:9/"}),
            StartOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(run.status, "failed");
    let events = rt.store().events(&run.id).await.unwrap();
    let failed = events.iter().find(|e| e.kind == "step.failed").unwrap();
    assert_eq!(failed.step.as_deref(), Some("total"));
    assert!(
        failed.data["error"]
            .as_str()
            .unwrap()
            .contains("time limit"),
        "{failed:?}"
    );
    assert!(
        events
            .iter()
            .all(|e| e.step.as_deref() != Some("tell_slack"))
    );
}
