//! The live mirror over real HTTP on 127.0.0.1: a local server stands in for the legacy
//! endpoint (e.g. a Zapier catch hook).

use axum::http::{HeaderMap, StatusCode};
use claw_shadow::mirror::{MirrorConfig, router};
use claw_shadow::store::Store;
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

async fn mirror(forward: String, store: Option<Store>) -> String {
    let cfg = MirrorConfig {
        system: "big-order-alert".into(),
        triggers: vec!["catch_order_webhook".into()],
        forward,
        store,
    };
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    let app = router(cfg).unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    base
}

const BODY: &str = "{\"order\":{\"id\":1001,\"customer\":\"Ana\",\"total\":\"250.00\"}}";

#[tokio::test]
async fn caller_gets_the_legacy_answer_and_the_payload_reaches_the_shadow_side() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.db")).await.unwrap();
    let (url, seen) = legacy().await;
    let base = mirror(url, Some(store.clone())).await;
    let c = reqwest::Client::new();
    let r = c
        .post(format!("{base}/hooks/big-order-alert/catch_order_webhook"))
        .header("content-type", "application/json")
        .header("x-shop-signature", "sha256=abc")
        .body(BODY)
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
    // The shadow side records after the answer: wait for it.
    let mut rows = Vec::new();
    for _ in 0..100 {
        rows = store.mirrored("big-order-alert").await.unwrap();
        if !rows.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].payload, BODY);
    assert_eq!(rows[0].legacy_status, Some(200));
    assert_eq!(rows[0].shadow_error, None);

    let r = c
        .post(format!("{base}/hooks/big-order-alert/nope"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn legacy_path_works_when_the_shadow_side_fails() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.db")).await.unwrap();
    // A closed store: every shadow-side write fails.
    store.clone().close().await;
    let (url, seen) = legacy().await;
    let base = mirror(url, Some(store)).await;
    let c = reqwest::Client::new();
    for body in [BODY, "not json at all"] {
        let r = c
            .post(format!("{base}/hooks/big-order-alert/catch_order_webhook"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("\"status\":\"success\""));
    }
    assert_eq!(seen.lock().unwrap().len(), 2);
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
    let r = reqwest::Client::new()
        .post(format!("{base}/hooks/big-order-alert/catch_order_webhook"))
        .body(BODY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "30");
    assert_eq!(r.text().await.unwrap(), "slow down");

    // Legacy unreachable: 502, said plainly.
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_url = format!("http://{}/x", dead.local_addr().unwrap());
    drop(dead);
    let base = mirror(dead_url, None).await;
    let r = reqwest::Client::new()
        .post(format!("{base}/hooks/big-order-alert/catch_order_webhook"))
        .body(BODY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("legacy endpoint unreachable")
    );
}
