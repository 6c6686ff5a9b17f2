//! SLO alerts (once per breach, resolved when it clears, routed over real HTTP) and
//! retention, against SQLite files and PostgreSQL when CLAW_TEST_POSTGRES_URL is set.

mod common;

use chrono::Utc;
use claw_runtime::alerts::{Alerts, alert_id};
use claw_runtime::{LoadedSystem, Runtime, SqlStore, StartOptions};
use common::*;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

fn system(webhook_route: &str) -> String {
    format!(
        r#"system: billing
version: 1.0.0
triggers:
  - invoice:
      source: webhook
      idempotency: invoice.id
decisions: []
execution:
  - push:
      on: invoice
      action: http.post
      with:
        url: "{{{{ target }}}}"
        body:
          id: "{{{{ invoice.id }}}}"
      timeout: 5s
  - later:
      on: push.succeeded
      action: log.info
      delay: "{{{{ hold }}}}"
      with:
        message: done
data:
  events:
    store: event-log
    retention: 30d
observability:
  slo:
    invoice_latency_p95: 2s
    error_rate: <1%
  alerts:
    - on: error_rate > 20%
      route: webhook://{webhook_route}
      description: invoices are failing
    - on: error_rate > 20% || invoice_latency_p95 > 10s
      route: slack://ops-oncall
    - on: error_rate > 20%
      route: email://finance-ops@example.com
  owner: finance
"#
    )
}

async fn runtime(url: &str, text: &str, slack: &str) -> (tempfile::TempDir, Runtime) {
    let dir = tempfile::tempdir().unwrap();
    let p = write_system(dir.path(), "billing", text);
    let secrets = dir.path().join("secrets");
    std::fs::write(&secrets, format!("slack_webhook_ops_oncall={slack}\n")).unwrap();
    let rt = Runtime::builder(Arc::new(SqlStore::connect(url).await.unwrap()))
        .system(LoadedSystem::load(&p).unwrap())
        .secrets(claw_runtime::secrets::Secrets::with_file(&secrets).unwrap())
        .build()
        .await
        .unwrap();
    (dir, rt)
}

async fn feed(rt: &Runtime, from: usize, n: usize, target: &str) {
    for i in from..from + n {
        let r = rt
            .run_to_end(
                "billing",
                "invoice",
                json!({"invoice": {"id": format!("I-{i}")}, "target": target, "hold": Utc::now().to_rfc3339()}),
                StartOptions::default(),
            )
            .await
            .unwrap();
        assert_ne!(r.status, "running");
    }
}

#[tokio::test]
async fn an_alert_fires_once_per_breach_and_resolves() {
    for db in databases().await {
        let ok = receiver(ReceiverOpts::default()).await;
        let bad = receiver(ReceiverOpts {
            fail_first: u32::MAX,
            fail_status: 400,
            ..Default::default()
        })
        .await;
        let hook = receiver(ReceiverOpts::default()).await;
        let slack = receiver(ReceiverOpts::default()).await;
        let route = hook.url.trim_start_matches("http://").to_string();
        let (_dir, rt) = runtime(&db.url, &system(&route), &slack.url).await;
        let alerts = Alerts::new(
            rt.clone(),
            Duration::from_secs(3600),
            Duration::from_secs(30),
        );
        assert_eq!(alerts.plans().len(), 3);

        feed(&rt, 0, 5, &ok.url).await;
        assert!(
            alerts.evaluate(Utc::now()).await.unwrap().is_empty(),
            "{}",
            db.label
        );
        assert!(hook.seen.lock().unwrap().bodies.is_empty());

        // Half the runs fail: every alert is raised, each notification sent once.
        feed(&rt, 5, 5, &bad.url).await;
        let changes = alerts.evaluate(Utc::now()).await.unwrap();
        assert_eq!(changes.len(), 3, "{}: {changes:?}", db.label);
        assert!(changes.iter().all(|c| c.state == "raised"));
        let email = changes
            .iter()
            .find(|c| c.on == "error_rate > 20%" && c.delivery.starts_with("recorded"))
            .unwrap();
        assert!(email.delivery.contains("email"), "{email:?}");
        // The breach goes on, with more failures: nothing more is sent.
        for _ in 0..3 {
            feed(&rt, 100 + rand_suffix(), 1, &bad.url).await;
            assert!(alerts.evaluate(Utc::now()).await.unwrap().is_empty());
        }
        {
            let h = hook.seen.lock().unwrap();
            assert_eq!(h.bodies.len(), 1, "{}: {:?}", db.label, h.bodies);
            let b = &h.bodies[0];
            assert_eq!(b["state"], "raised");
            assert_eq!(b["alert"], "error_rate > 20%");
            assert_eq!(b["description"], "invoices are failing");
            assert!(b["figures"]["error_rate"].as_f64().unwrap() >= 0.5);
            assert_eq!(h.per_key.len(), 1);
            let s = slack.seen.lock().unwrap();
            assert_eq!(s.bodies.len(), 1);
            assert_eq!(s.bodies[0]["channel"], "#ops-oncall");
            assert!(
                s.bodies[0]["text"]
                    .as_str()
                    .unwrap()
                    .starts_with("[RAISED] billing")
            );
        }
        // A restarted runtime reads the state back from the log: no second notice.
        let again = Alerts::new(
            rt.clone(),
            Duration::from_secs(3600),
            Duration::from_secs(30),
        );
        assert!(again.evaluate(Utc::now()).await.unwrap().is_empty());

        // Two hours later the window holds no failure: resolved, announced once.
        let later = Utc::now() + chrono::Duration::hours(2);
        let changes = again.evaluate(later).await.unwrap();
        assert_eq!(changes.len(), 3);
        assert!(changes.iter().all(|c| c.state == "resolved"));
        assert!(again.evaluate(later).await.unwrap().is_empty());
        {
            let h = hook.seen.lock().unwrap();
            assert_eq!(h.bodies.len(), 2);
            assert_eq!(h.bodies[1]["state"], "resolved");
        }
        let id = alert_id(
            "billing",
            "error_rate > 20%",
            Some(&format!("webhook://{route}")),
        );
        let kinds: Vec<String> = rt
            .store()
            .events(&id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            vec![
                "alert.raised",
                "alert.delivered",
                "alert.resolved",
                "alert.delivered"
            ],
            "{}",
            db.label
        );
        rt.drain(Duration::from_secs(5)).await;
    }
}

fn rand_suffix() -> usize {
    // Distinct invoice ids across loop turns (a duplicate would start nothing).
    (uuid_like() % 1_000_000) as usize + 1000
}

fn uuid_like() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

#[tokio::test]
async fn a_failed_notification_is_sent_again_with_the_same_key() {
    let db = sqlite();
    let bad = receiver(ReceiverOpts {
        fail_first: u32::MAX,
        fail_status: 400,
        ..Default::default()
    })
    .await;
    // The alert receiver is down for its first call.
    let hook = receiver(ReceiverOpts {
        fail_first: 1,
        fail_status: 503,
        ..Default::default()
    })
    .await;
    let route = hook.url.trim_start_matches("http://").to_string();
    let (_dir, rt) = runtime(&db.url, &system(&route), "http://127.0.0.1:9/").await;
    let alerts = Alerts::new(
        rt.clone(),
        Duration::from_secs(3600),
        Duration::from_secs(30),
    );
    feed(&rt, 0, 2, &bad.url).await;
    let first = alerts.evaluate(Utc::now()).await.unwrap();
    let web = first.iter().find(|c| c.delivery.contains("503")).unwrap();
    assert_eq!(web.state, "raised");
    let second = alerts.evaluate(Utc::now()).await.unwrap();
    assert!(
        second
            .iter()
            .any(|c| c.id == web.id && c.delivery.starts_with("posted"))
    );
    assert!(
        alerts
            .evaluate(Utc::now())
            .await
            .unwrap()
            .iter()
            .all(|c| c.id != web.id)
    );
    let h = hook.seen.lock().unwrap();
    // Two calls, one key: the receiver can tell it is the same notice.
    assert_eq!(h.per_key.len(), 1);
    assert_eq!(h.per_key.values().next(), Some(&2));
}

#[tokio::test]
async fn retention_prunes_finished_runs_past_the_window() {
    for db in databases().await {
        let ok = receiver(ReceiverOpts::default()).await;
        let (_dir, rt) = runtime(&db.url, &system("127.0.0.1:9/"), "http://127.0.0.1:9/").await;
        feed(&rt, 0, 3, &ok.url).await;
        // One run waits on a delay a year away: still running, never pruned.
        let waiting = rt
            .accept(
                "billing",
                "invoice",
                json!({"invoice": {"id": "I-wait"}, "target": ok.url, "hold": (Utc::now() + chrono::Duration::days(365)).to_rfc3339()}),
                StartOptions::default(),
            )
            .await
            .unwrap();
        assert!(
            eventually(Duration::from_secs(10), || {
                let rt = rt.clone();
                let id = waiting.run_id.clone();
                async move {
                    rt.store().flush().await.unwrap();
                    rt.store()
                        .events(&id)
                        .await
                        .unwrap()
                        .iter()
                        .any(|e| e.kind == "step.delay_scheduled")
                }
            })
            .await
        );
        let finished = rt
            .store()
            .runs(&claw_runtime::store::RunFilter {
                system: Some("billing".into()),
                status: Some("succeeded".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(finished.len(), 3);

        // Today nothing is older than 30 days.
        let now = claw_runtime::retention::prune_once(&rt, Utc::now())
            .await
            .unwrap();
        assert_eq!(now[0].events, 0, "{}", db.label);
        for r in &finished {
            assert!(!rt.store().events(&r.id).await.unwrap().is_empty());
        }
        // 31 days on, the finished runs and their events are gone; the waiting run stays.
        let later = Utc::now() + chrono::Duration::days(31);
        let pruned = claw_runtime::retention::prune_once(&rt, later)
            .await
            .unwrap();
        assert!(pruned[0].events >= 3 * 4, "{}: {pruned:?}", db.label);
        for r in &finished {
            assert!(rt.store().events(&r.id).await.unwrap().is_empty());
            assert!(rt.store().run(&r.id).await.unwrap().is_none());
        }
        assert!(!rt.store().events(&waiting.run_id).await.unwrap().is_empty());
        assert_eq!(
            rt.store()
                .run(&waiting.run_id)
                .await
                .unwrap()
                .unwrap()
                .status,
            "running"
        );
        rt.drain(Duration::from_millis(200)).await;
    }
}
