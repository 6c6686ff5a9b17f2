//! Poll and queue triggers against real databases (SQLite files; PostgreSQL when
//! CLAW_TEST_POSTGRES_URL is set) and a real HTTP API on 127.0.0.1.

mod common;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use claw_runtime::Runtime;
use claw_runtime::store::RunFilter;
use claw_runtime::triggers::poll::Poller;
use claw_runtime::triggers::queue::QueueConsumer;
use claw_testkit::systems::TAIL;
use common::*;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A billing API whose list of open invoices grows by one at every call.
#[derive(Clone, Default)]
struct Api {
    calls: Arc<AtomicUsize>,
    bare_calls: Arc<AtomicUsize>,
    auth: Arc<Mutex<Vec<String>>>,
}

async fn invoices(State(api): State<Api>, headers: HeaderMap) -> axum::Json<Value> {
    let n = api.calls.fetch_add(1, Ordering::SeqCst) + 1;
    if let Some(a) = headers.get("authorization").and_then(|v| v.to_str().ok()) {
        api.auth.lock().unwrap().push(a.to_string());
    }
    let list: Vec<Value> = (1..=n)
        .map(|i| json!({"invoice": {"id": format!("INV-{i}"), "amount": 100 * i, "currency": "EUR"}}))
        .collect();
    axum::Json(json!({"data": list, "has_more": false}))
}

async fn bare(State(api): State<Api>) -> axum::Json<Value> {
    let n = api.bare_calls.fetch_add(1, Ordering::SeqCst) + 1;
    axum::Json(Value::Array(
        (1..=n.min(3)).map(|i| json!({"n": i})).collect(),
    ))
}

async fn api() -> (String, Api) {
    let api = Api::default();
    let app = Router::new()
        .route("/invoices", get(invoices))
        .route("/bare", get(bare))
        .with_state(api.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    (format!("http://{addr}"), api)
}

fn poll_system(base: &str, every: &str, receiver: &str) -> String {
    format!(
        r#"system: invoices
version: 1.0.0
triggers:
  - new_invoices:
      source: poll
      every: {every}
      action: http.get
      with:
        url: {base}/invoices
        headers:
          Authorization: "Bearer {{{{ secrets.billing_token }}}}"
      idempotency: invoice.id
  - counter:
      source: poll
      every: 1h
      action: http.get
      with:
        url: {base}/bare
decisions:
  - known:
      on: [new_invoices]
      when: invoice.currency == 'EUR'
      emits: eur_invoice
execution:
  - post:
      on: eur_invoice
      action: http.post
      with:
        url: {receiver}
        body:
          invoice: "{{{{ invoice.id }}}}"
{TAIL}"#
    )
}

async fn live(url: &str, dir: &tempfile::TempDir, systems: &[(&str, String)]) -> Runtime {
    let systems: Vec<(&str, &str)> = systems.iter().map(|(n, t)| (*n, t.as_str())).collect();
    test_runtime(url, dir.path(), &systems, "billing_token=bt-5ecret-77\n").await
}

#[tokio::test]
async fn poll_turns_new_items_into_runs_once() {
    for db in databases().await {
        let (base, api) = api().await;
        let rx = receiver(ReceiverOpts::default()).await;
        let dir = tempfile::tempdir().unwrap();
        let rt = live(
            &db.url,
            &dir,
            &[("invoices", poll_system(&base, "1h", &rx.url))],
        )
        .await;
        let poller = Poller::new(rt.clone()).unwrap();
        assert_eq!(poller.triggers().len(), 2);
        let inv = poller
            .triggers()
            .iter()
            .find(|t| t.trigger == "new_invoices")
            .unwrap()
            .clone();

        // Three polls see 1, 2, then 3 invoices: three runs, never one twice.
        let mut started = 0;
        for round in 1..=3 {
            let o = poller.poll_once(&inv).await.unwrap();
            assert_eq!(o.items, round, "{}", db.label);
            assert_eq!(o.started.len(), 1, "{}: round {round}: {o:?}", db.label);
            assert_eq!(o.duplicates, round - 1);
            started += o.started.len();
        }
        assert!(rt.drain_idle(Duration::from_secs(20)).await.unwrap());
        let runs = rt
            .store()
            .runs(&RunFilter {
                system: Some("invoices".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(runs.len(), started);
        let mut keys: Vec<_> = runs.iter().map(|r| r.idempotency_key.clone()).collect();
        keys.sort();
        assert_eq!(keys, vec!["INV-1", "INV-2", "INV-3"], "{}", db.label);
        assert!(runs.iter().all(|r| r.status == "succeeded"));
        let seen = std::mem::take(&mut *rx.seen.lock().unwrap());
        let mut posted: Vec<_> = seen.bodies.iter().map(|b| b["invoice"].clone()).collect();
        posted.sort_by_key(|v| v.to_string());
        assert_eq!(posted, vec![json!("INV-1"), json!("INV-2"), json!("INV-3")]);
        // The secret reached the API, resolved; the log holds only the reference.
        assert!(
            api.auth
                .lock()
                .unwrap()
                .iter()
                .all(|a| a == "Bearer bt-5ecret-77")
        );
        for r in &runs {
            let evs = rt.store().events(&r.id).await.unwrap();
            assert!(
                !serde_json::to_string(&evs)
                    .unwrap()
                    .contains("bt-5ecret-77")
            );
            assert_eq!(evs[0].data["origin"]["poll"], "new_invoices");
        }

        // Without an idempotency expression items are keyed by their content.
        let bare = poller
            .triggers()
            .iter()
            .find(|t| t.trigger == "counter")
            .unwrap()
            .clone();
        let a = poller.poll_once(&bare).await.unwrap();
        let b = poller.poll_once(&bare).await.unwrap();
        let c = poller.poll_once(&bare).await.unwrap();
        let d = poller.poll_once(&bare).await.unwrap();
        assert_eq!(
            (
                a.started.len(),
                b.started.len(),
                c.started.len(),
                d.started.len()
            ),
            (1, 1, 1, 0),
            "{}",
            db.label
        );
        assert_eq!(d.duplicates, 3);
        rt.drain(Duration::from_secs(10)).await.unwrap();
    }
}

#[tokio::test]
async fn the_poll_loop_runs_every_interval() {
    let (base, api) = api().await;
    let rx = receiver(ReceiverOpts::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite();
    let rt = live(
        &db.url,
        &dir,
        &[("invoices", poll_system(&base, "150ms", &rx.url))],
    )
    .await;
    let task = tokio::spawn(Poller::new(rt.clone()).unwrap().run());
    let ok = eventually(Duration::from_secs(15), || {
        let rx = rx.seen.clone();
        async move { rx.lock().unwrap().per_key.len() >= 4 }
    })
    .await;
    assert!(ok, "the poller did not keep polling");
    rt.drain(Duration::from_secs(10)).await.unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
    let calls = api.calls.load(Ordering::SeqCst);
    // Each invoice posted exactly once, however many polls saw it.
    let seen = rx.seen.lock().unwrap();
    assert!(calls >= 4);
    assert!(seen.per_key.values().all(|n| *n == 1), "{:?}", seen.per_key);
}

#[tokio::test]
async fn a_poll_answer_without_a_list_is_a_failed_poll() {
    let app = Router::new().route("/", get(|| async { axum::Json(json!({"status": "ok"})) }));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    let dir = tempfile::tempdir().unwrap();
    let text = poll_system(&format!("http://{addr}"), "1h", "http://127.0.0.1:9/").replace(
        &format!("http://{addr}/invoices"),
        &format!("http://{addr}/"),
    );
    let db = sqlite();
    let rt = live(&db.url, &dir, &[("invoices", text)]).await;
    let poller = Poller::new(rt.clone()).unwrap();
    let t = poller.triggers()[0].clone();
    let e = poller.poll_once(&t).await.unwrap_err().to_string();
    assert!(e.contains("without a list"), "{e}");
}

const PUBLISHER: &str = claw_testkit::with_tail!(
    r#"system: shop
version: 1.0.0
triggers:
  - return_form:
      source: webhook
      idempotency: rma.number
decisions: []
execution:
  - publish:
      on: return_form
      action: queue.publish
      with:
        queue: returns.requested
        message:
          rma:
            number: "{{ rma.number }}"
            amount: "{{ rma.amount }}"
"#
);

fn consumer(receiver: &str) -> String {
    format!(
        r#"system: returns
version: 1.0.0
triggers:
  - return_requested:
      source: queue
      subject: returns.requested
      idempotency: rma.number
      emits: return_opened
decisions:
  - worth_review:
      on: return_opened
      when: rma.amount >= 50.0
execution:
  - notify:
      on: worth_review
      action: webhook.post
      with:
        url: {receiver}
        body:
          rma: "{{{{ rma.number }}}}"
{TAIL}"#
    )
}

#[tokio::test]
async fn one_system_feeds_another_through_a_queue() {
    for db in databases().await {
        let rx = receiver(ReceiverOpts::default()).await;
        let dir = tempfile::tempdir().unwrap();
        let rt = live(
            &db.url,
            &dir,
            &[
                ("shop", PUBLISHER.to_string()),
                ("returns", consumer(&rx.url)),
            ],
        )
        .await;
        let consumer = QueueConsumer::new(rt.clone()).unwrap();
        assert_eq!(consumer.triggers().len(), 1);
        let task = tokio::spawn(consumer.clone().run());
        for (n, amount) in [("R-1", 80.0), ("R-2", 20.0), ("R-3", 120.0)] {
            rt.run_to_end(
                "shop",
                "return_form",
                json!({"rma": {"number": n, "amount": amount}}),
                Default::default(),
            )
            .await
            .unwrap();
        }
        let ok = eventually(Duration::from_secs(15), || {
            let rt = rt.clone();
            async move {
                rt.store()
                    .runs(&RunFilter {
                        system: Some("returns".into()),
                        status: Some("succeeded".into()),
                        ..Default::default()
                    })
                    .await
                    .unwrap()
                    .len()
                    == 3
            }
        })
        .await;
        assert!(
            ok,
            "{}: the consumer did not take the three messages",
            db.label
        );
        // A message published again under the same RMA number starts nothing new.
        rt.store()
            .commit(vec![claw_runtime::store::Write::Publish {
                queue: "returns.requested".into(),
                system: "shop".into(),
                run_id: "manual".into(),
                step: "publish".into(),
                at: claw_runtime::UnixMillis(0),
                body: json!({"rma": {"number": "R-1", "amount": 80.0}}),
            }])
            .await
            .unwrap();
        let t = consumer.triggers()[0].clone();
        // Stop the background loop first so this take sees the message itself.
        task.abort();
        let started = consumer.take(&t).await.unwrap();
        assert!(started.is_empty(), "{}: {started:?}", db.label);
        assert!(rt.drain_idle(Duration::from_secs(20)).await.unwrap());
        let seen = std::mem::take(&mut *rx.seen.lock().unwrap());
        let mut rmas: Vec<_> = seen.bodies.iter().map(|b| b["rma"].clone()).collect();
        rmas.sort_by_key(|v| v.to_string());
        assert_eq!(rmas, vec![json!("R-1"), json!("R-3")], "{}", db.label);
        // The cursor moved: a fresh consumer (a restart) reads nothing again.
        let again = QueueConsumer::new(rt.clone()).unwrap();
        assert!(again.take(&t).await.unwrap().is_empty());
        assert_eq!(
            rt.store()
                .schedule_mark("returns", "return_requested")
                .await
                .unwrap()
                .unwrap(),
            rt.store()
                .queue_messages("returns.requested")
                .await
                .unwrap()
                .last()
                .unwrap()
                .seq
        );
        rt.drain(Duration::from_secs(10)).await.unwrap();
    }
}
