//! The live mirror over real HTTP on 127.0.0.1: a local server stands in for the legacy
//! endpoint (e.g. a Zapier catch hook).

use axum::http::{HeaderMap, StatusCode};
use claw_shadow::bind::system_digest;
use claw_shadow::live::{DEFAULT_QUEUE, ShadowSide, Stats, Worker};
use claw_shadow::model::Correlation;
use claw_shadow::proxy::{MirrorConfig, router};
use claw_shadow::simulate::{Simulator, load};
use claw_shadow::store::{Mirrored, NewMirror, Store};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

type Seen = Arc<Mutex<Vec<(String, Option<String>, Vec<u8>)>>>;

/// The legacy endpoint: answers 200 with Zapier's catch-hook body shape, records what it got.
async fn legacy() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let s2 = seen.clone();
    let app = axum::Router::new().route(
        "/hooks/catch/123/abc/",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let s = s2.clone();
            async move {
                s.lock().unwrap().push((
                    headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string(),
                    headers.get("x-shop-signature").and_then(|v| v.to_str().ok()).map(str::to_string),
                    body.to_vec(),
                ));
                (
                    StatusCode::OK,
                    [("content-type", "application/json"), ("x-legacy", "zapier")],
                    "{\"attempt\":\"5f1b\",\"id\":\"0b6f\",\"request_id\":\"5f1b\",\"status\":\"success\"}",
                )
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/catch/123/abc/", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (url, seen)
}

fn system_file() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../samples/shadow/big-order-alert.claw"
    ))
}

/// The shadow side for the sample system, recording into `store`.
async fn shadow_side(store: Store) -> (ShadowSide, Worker) {
    ShadowSide::start(load(&system_file()).unwrap(), store, DEFAULT_QUEUE)
        .await
        .unwrap()
}

async fn mirror(forward: String, shadow: Option<ShadowSide>) -> String {
    let cfg = MirrorConfig {
        system: "big-order-alert".into(),
        triggers: vec!["catch_order_webhook".into()],
        forward,
        shadow,
    };
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    let app = router(cfg).unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    base
}

/// A request posting `body` to the mirror's webhook at `base`, for the caller to add headers to.
fn post(base: &str, body: &'static str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .post(format!("{base}/hooks/big-order-alert/catch_order_webhook"))
        .body(body)
}

/// Sends `request` and checks that the caller got the legacy endpoint's success answer.
async fn legacy_answers_success(request: reqwest::RequestBuilder) {
    let r = request.send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("\"status\":\"success\""));
}

const BODY: &str = "{\"order\":{\"id\":1001,\"customer\":\"Ana\",\"total\":\"250.00\"}}";

#[tokio::test]
async fn caller_gets_the_legacy_answer_and_the_payload_reaches_the_shadow_side() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.db")).await.unwrap();
    let (url, seen) = legacy().await;
    let (side, _worker) = shadow_side(store.clone()).await;
    let base = mirror(url, Some(side)).await;
    let c = reqwest::Client::new();
    let r = post(&base, BODY)
        .header("content-type", "application/json")
        .header("x-shop-signature", "sha256=abc")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-legacy"], "zapier");
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(
        r.text().await.unwrap(),
        "{\"attempt\":\"5f1b\",\"id\":\"0b6f\",\"request_id\":\"5f1b\",\"status\":\"success\"}"
    );
    let got = seen.lock().unwrap().clone();
    assert_eq!(
        got,
        vec![(
            "application/json".to_string(),
            Some("sha256=abc".to_string()),
            BODY.as_bytes().to_vec()
        )]
    );
    // The shadow side runs after the answer: wait for its outcome.
    let rows = settled(&store, 1).await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.payload, BODY);
    assert_eq!(row.legacy_status, Some(200));
    assert_eq!(row.shadow_error, None);
    let rec = row.recorded.clone().expect("shadow outcome recorded");
    let sys = load(&system_file()).unwrap();
    assert_eq!(rec.system_sha256, system_digest(&sys.system));
    let outcome = rec.result.expect("record-only run succeeded");
    assert_eq!(outcome.correlation, Correlation::Key("1001".into()));
    assert_eq!(outcome.source, format!("mirror:{} (record-only)", row.id));
    assert_eq!(outcome.branches, vec!["only_big_orders".to_string()]);
    let steps: Vec<(&str, &str)> = outcome
        .steps
        .iter()
        .map(|s| (s.step.as_str(), s.action.as_str()))
        .collect();
    assert_eq!(
        steps,
        vec![
            ("post_to_slack", "slack.channel_message"),
            ("log_order_row", "google_sheets.add_row_lines")
        ]
    );
    assert_eq!(
        outcome.steps[0].params["text"],
        "New order 1001 from Ana: 250.00"
    );
    // The run's clock was the arrival time, so the row's time is the receipt time.
    assert_eq!(
        claw_shadow::model::parse_time(&row.received_at),
        Some(outcome.at)
    );
    assert_eq!(
        outcome.steps[1].params["COL$C"],
        serde_json::json!(
            outcome
                .at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        )
    );
    // What was recorded live is exactly what a replay of the kept payload gives.
    let bind = claw_shadow::bind::Binding::new(&sys.system);
    let replayed = Simulator::start(sys.clone())
        .await
        .unwrap()
        .run(
            &bind,
            "catch_order_webhook",
            serde_json::from_str(BODY).unwrap(),
            outcome.at,
            format!("mirror:{}", row.id),
        )
        .await
        .unwrap();
    // Step idempotency keys embed the runtime's run id, which is random; all else is equal.
    let without_run_ids = |mut o: claw_shadow::model::Outcome| {
        for s in &mut o.steps {
            let key = s.idempotency_key.take().unwrap();
            assert!(key.ends_with(&format!(":{}", s.step)), "{key}");
        }
        o
    };
    assert_eq!(without_run_ids(replayed), without_run_ids(outcome));
    assert_eq!(
        status(&base).await,
        Stats {
            enabled: true,
            received: 1,
            recorded: 1,
            failed: 0,
            dropped: 0
        }
    );

    let r = c
        .post(format!("{base}/hooks/big-order-alert/nope"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

/// Waits until `n` mirrored requests have a settled shadow side (an outcome or an error).
async fn settled(store: &Store, n: usize) -> Vec<Mirrored> {
    let mut rows = Vec::new();
    for _ in 0..250 {
        rows = store.mirrored("big-order-alert").await.unwrap();
        if rows.len() >= n
            && rows
                .iter()
                .all(|r| r.recorded.is_some() || r.shadow_error.is_some())
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    rows
}

async fn status(base: &str) -> Stats {
    let v: serde_json::Value = reqwest::get(format!("{base}/shadow/status"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Stats {
        enabled: v["enabled"].as_bool().unwrap(),
        received: v["received"].as_u64().unwrap(),
        recorded: v["recorded"].as_u64().unwrap(),
        failed: v["failed"].as_u64().unwrap(),
        dropped: v["dropped"].as_u64().unwrap(),
    }
}

#[tokio::test]
async fn legacy_path_works_when_the_store_fails() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.db")).await.unwrap();
    let (side, worker) = shadow_side(store.clone()).await;
    // A closed store: every shadow-side write fails.
    store.close().await;
    let (url, seen) = legacy().await;
    let base = mirror(url, Some(side)).await;
    for body in [BODY, "not json at all"] {
        legacy_answers_success(post(&base, body).header("content-type", "application/json")).await;
    }
    assert_eq!(seen.lock().unwrap().len(), 2);
    let mut s = status(&base).await;
    for _ in 0..250 {
        if s.failed == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        s = status(&base).await;
    }
    assert_eq!(
        s,
        Stats {
            enabled: true,
            received: 2,
            recorded: 0,
            failed: 2,
            dropped: 0
        }
    );
    drop(worker);
}

#[tokio::test]
async fn legacy_path_works_when_the_system_errors() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.db")).await.unwrap();
    let (side, _worker) = shadow_side(store.clone()).await;
    let (url, seen) = legacy().await;
    let base = mirror(url, Some(side)).await;
    // No `order.id`: the system's idempotency key has nothing to evaluate, so the
    // record-only run is refused; then a body that is not JSON at all; then a good one.
    for body in ["{\"hello\":\"world\"}", "not json at all", BODY] {
        legacy_answers_success(post(&base, body)).await;
    }
    assert_eq!(seen.lock().unwrap().len(), 3);
    let rows = settled(&store, 3).await;
    assert_eq!(rows.len(), 3);
    let err = rows[0].recorded.clone().unwrap().result.unwrap_err();
    assert!(err.contains("order.id"), "{err}");
    assert!(
        rows[1]
            .shadow_error
            .as_deref()
            .unwrap()
            .starts_with("payload is not JSON")
    );
    assert_eq!(rows[1].recorded, None);
    assert!(rows[2].recorded.clone().unwrap().result.is_ok());
    assert_eq!(
        status(&base).await,
        Stats {
            enabled: true,
            received: 3,
            recorded: 1,
            failed: 2,
            dropped: 0
        }
    );
}

/// `compare --mirrored` takes a recorded outcome only for the system version it ran
/// against; anything else with a JSON body is replayed.
#[tokio::test]
async fn recorded_outcomes_stand_only_for_their_system_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.db")).await.unwrap();
    let sys = load(&system_file()).unwrap();
    let digest = system_digest(&sys.system);
    let bind = claw_shadow::bind::Binding::new(&sys.system);
    let sim = Simulator::start(sys.clone()).await.unwrap();
    let at = |m: u32| {
        chrono::DateTime::parse_from_rfc3339(&format!("2026-11-02T09:{m:02}:00Z"))
            .unwrap()
            .to_utc()
    };
    let order = |id: u32| {
        format!("{{\"order\":{{\"id\":{id},\"customer\":\"Ana\",\"total\":\"250.00\"}}}}")
    };
    let t = "catch_order_webhook";
    let mut ids = Vec::new();
    for (i, body) in [
        order(1),
        order(1),
        order(2),
        order(3),
        order(4),
        "nope".into(),
    ]
    .iter()
    .enumerate()
    {
        ids.push(
            store
                .add_mirror(&NewMirror {
                    system: "big-order-alert",
                    trigger: t,
                    payload: body,
                    received_at: at(i as u32),
                    legacy_status: Some(200),
                    forward_error: None,
                    shadow_error: None,
                })
                .await
                .unwrap(),
        );
    }
    let run = |i: usize, body: String| {
        let (sim, bind) = (&sim, &bind);
        let id = ids[i];
        async move {
            sim.run(
                bind,
                t,
                serde_json::from_str(&body).unwrap(),
                at(i as u32),
                format!("mirror:{id}"),
            )
            .await
            .unwrap()
        }
    };
    // 1: recorded (twice: a repeated delivery); 2: recorded against an older version;
    // 3: failed against this version; 4: never recorded; 6: not JSON.
    let first = run(0, order(1)).await;
    let again = run(1, order(1)).await;
    store
        .add_mirror_result(ids[0], &digest, Ok(&first))
        .await
        .unwrap();
    store
        .add_mirror_result(ids[1], &digest, Ok(&again))
        .await
        .unwrap();
    let old = run(2, order(2)).await;
    store
        .add_mirror_result(ids[2], "0ld", Ok(&old))
        .await
        .unwrap();
    store
        .add_mirror_result(ids[3], &digest, Err("boom"))
        .await
        .unwrap();
    let side = claw_shadow::mirrored_runs::select(
        store.mirrored("big-order-alert").await.unwrap(),
        &bind,
        &digest,
    );
    assert_eq!(side.recorded, vec![first]);
    let replay: Vec<(String, Correlation)> = side
        .replay
        .iter()
        .map(|o| (o.source.clone(), o.correlation.clone()))
        .collect();
    assert_eq!(
        replay,
        vec![
            (format!("mirror:{}", ids[2]), Correlation::Key("2".into())),
            (format!("mirror:{}", ids[4]), Correlation::Key("4".into())),
        ]
    );
    assert_eq!(
        side.notes,
        vec![
            format!("mirrored request {}: its record-only run failed when it arrived: boom", ids[3]),
            format!("mirrored request {} skipped: its body is not JSON", ids[5]),
            "1 mirrored request(s) were recorded against another version of the system and were replayed against this one".to_string(),
            "1 mirrored request(s) had no recorded shadow run (dropped under load, or `serve` stopped first) and were replayed".to_string(),
        ]
    );
    assert_eq!(
        side.covered().into_iter().collect::<Vec<_>>(),
        vec![Correlation::Key("1".into())]
    );
}

#[tokio::test]
async fn legacy_status_and_body_are_passed_as_they_are() {
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(|| async {
            (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "30")],
                "slow down",
            )
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    let base = mirror(url, None).await;
    let r = post(&base, BODY).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "30");
    assert_eq!(r.text().await.unwrap(), "slow down");

    // Legacy unreachable: 502, said plainly.
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_url = format!("http://{}/x", dead.local_addr().unwrap());
    drop(dead);
    let base = mirror(dead_url, None).await;
    let r = post(&base, BODY).send().await.unwrap();
    assert_eq!(r.status(), 502);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("legacy endpoint unreachable")
    );
}
