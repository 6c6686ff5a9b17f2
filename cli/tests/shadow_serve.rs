//! `claw shadow serve` as a separate process, with a local HTTP server on 127.0.0.1
//! standing in for the legacy endpoint (a Zapier catch hook): the caller gets the legacy's
//! exact answer whatever happens on the shadow side, and the shadow outcomes `serve`
//! records are what `claw shadow compare --mirrored` reports on.

#[path = "common/shadow.rs"]
mod shadow;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use shadow::{sample, shadow};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ACCEPTED: &str =
    "{\"attempt\":\"5f1b\",\"id\":\"0b6f\",\"request_id\":\"5f1b\",\"status\":\"success\"}";
const REJECTED: &str = "{\"status\":\"error\",\"message\":\"body is not JSON\"}";

type Seen = Arc<Mutex<Vec<Vec<u8>>>>;

/// The legacy endpoint: 200 and a catch-hook body for JSON, 422 for anything else.
fn legacy(rt: &tokio::runtime::Runtime) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let s2 = seen.clone();
    let app = axum::Router::new().route(
        "/hooks/catch/123/abc/",
        axum::routing::post(move |_h: HeaderMap, body: Bytes| {
            let s = s2.clone();
            async move {
                s.lock().unwrap().push(body.to_vec());
                if serde_json::from_slice::<Value>(&body).is_ok() {
                    (
                        StatusCode::OK,
                        [("content-type", "application/json"), ("x-legacy", "zapier")],
                        ACCEPTED,
                    )
                } else {
                    (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        [("content-type", "application/json"), ("x-legacy", "zapier")],
                        REJECTED,
                    )
                }
            }
        }),
    );
    let l = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}/hooks/catch/123/abc/", l.local_addr().unwrap());
    rt.spawn(async move { axum::serve(l, app).await.unwrap() });
    (url, seen)
}

/// A running `claw shadow serve`, its stderr collected as it comes.
struct Serve {
    child: Option<Child>,
    base: String,
    lines: mpsc::Receiver<String>,
    log: Vec<String>,
}

impl Serve {
    fn start(system: &str, forward: &str, store: &Path) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_claw"))
            .args(["shadow", "serve", system, "--forward", forward])
            .args(["--listen", "127.0.0.1:0", "--store"])
            .arg(store)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let err = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        let mut s = Serve {
            child: Some(child),
            base: String::new(),
            lines,
            log: Vec::new(),
        };
        let line = s.wait_for("mirroring");
        let addr = line
            .split(" on http://")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .unwrap_or_else(|| panic!("no address in `{line}`"));
        s.base = format!("http://{addr}");
        s
    }

    /// The first stderr line (from now) containing `text`.
    fn wait_for(&mut self, text: &str) -> String {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(60)) {
                Ok(l) => {
                    self.log.push(l.clone());
                    if l.contains(text) {
                        return l;
                    }
                }
                Err(e) => panic!(
                    "serve never said `{text}` ({e}); stderr so far:\n{:#?}",
                    self.log
                ),
            }
        }
    }

    fn hook(&self) -> String {
        format!("{}/hooks/big-order-alert/catch_order_webhook", self.base)
    }

    /// SIGTERM, as a service manager stops it; returns the exit code and the whole stderr.
    fn stop(mut self) -> (Option<i32>, String) {
        let mut child = self.child.take().unwrap();
        let killed = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = child.wait().unwrap();
        self.log.extend(self.lines.iter());
        (status.code(), self.log.join("\n"))
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

struct Answer {
    status: u16,
    content_type: String,
    legacy_header: String,
    body: String,
}

fn post(rt: &tokio::runtime::Runtime, url: &str, body: &str) -> Answer {
    rt.block_on(async {
        let r = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let h = |n: &str| {
            r.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        Answer {
            status: r.status().as_u16(),
            content_type: h("content-type"),
            legacy_header: h("x-legacy"),
            body: r.text().await.unwrap(),
        }
    })
}

fn status(rt: &tokio::runtime::Runtime, base: &str) -> Value {
    rt.block_on(async {
        reqwest::get(format!("{base}/shadow/status"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    })
}

/// Polls `GET /shadow/status` until `done` holds (the shadow side works after the answer).
fn status_when(rt: &tokio::runtime::Runtime, base: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut s = status(rt, base);
    for _ in 0..500 {
        if done(&s) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
        s = status(rt, base);
    }
    s
}

fn runtime() -> tokio::runtime::Runtime {
    claw_runtime::install_crypto();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn order(id: u32, customer: &str, total: &str) -> String {
    format!("{{\"order\":{{\"id\":{id},\"customer\":\"{customer}\",\"total\":\"{total}\"}}}}")
}

#[test]
fn caller_gets_the_legacy_answer_2xx_and_4xx() {
    let rt = runtime();
    let (url, seen) = legacy(&rt);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("shadow.db");
    let serve = Serve::start(&sample("big-order-alert.claw"), &url, &store);

    let body = order(1001, "Ana", "250.00");
    let a = post(&rt, &serve.hook(), &body);
    assert_eq!(
        (
            a.status,
            a.content_type.as_str(),
            a.legacy_header.as_str(),
            a.body.as_str()
        ),
        (200, "application/json", "zapier", ACCEPTED)
    );
    let a = post(&rt, &serve.hook(), "order=1001");
    assert_eq!(
        (
            a.status,
            a.content_type.as_str(),
            a.legacy_header.as_str(),
            a.body.as_str()
        ),
        (422, "application/json", "zapier", REJECTED)
    );
    assert_eq!(
        *seen.lock().unwrap(),
        vec![body.as_bytes().to_vec(), b"order=1001".to_vec()],
        "forwarded unchanged"
    );
    // The JSON one is shadowed; the other one is a counted shadow failure.
    let s = status_when(&rt, &serve.base, |s| s["recorded"] == 1 && s["failed"] == 1);
    assert_eq!(
        s,
        serde_json::json!({"enabled": true, "received": 2, "recorded": 1, "failed": 1, "dropped": 0})
    );
    let (code, log) = serve.stop();
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("payload is not JSON"), "{log}");
    assert!(
        log.contains("2 request(s) mirrored, 1 shadow outcome(s) recorded, 1 failed, 0 dropped"),
        "{log}"
    );
}

// Long on purpose: one scenario end to end, whose steps depend on the ones before; split,
// each part would need the same set-up again and the sequence would be harder to follow.
#[test]
fn legacy_path_works_when_the_store_is_unwritable() {
    let rt = runtime();
    let (url, seen) = legacy(&rt);
    let dir = tempfile::tempdir().unwrap();
    // A store under a regular file cannot be created, whoever runs the test.
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "x").unwrap();
    let serve = Serve::start(
        &sample("big-order-alert.claw"),
        &url,
        &blocker.join("shadow.db"),
    );
    assert!(
        serve.log.iter().any(|l| l.contains("shadow side disabled")),
        "{:#?}",
        serve.log
    );
    for body in [order(1001, "Ana", "250.00"), "order=1001".to_string()] {
        let a = post(&rt, &serve.hook(), &body);
        let want = if body.starts_with('{') {
            (200, ACCEPTED)
        } else {
            (422, REJECTED)
        };
        assert_eq!((a.status, a.body.as_str()), want);
    }
    assert_eq!(seen.lock().unwrap().len(), 2);
    assert_eq!(status(&rt, &serve.base)["enabled"], false);
    let (code, log) = serve.stop();
    assert_eq!(code, Some(0), "{log}");
}

#[test]
fn legacy_path_works_when_the_system_errors() {
    let rt = runtime();
    let (url, seen) = legacy(&rt);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("shadow.db");
    let mut serve = Serve::start(&sample("big-order-alert.claw"), &url, &store);
    // Valid JSON, but without the `order.id` the system keys its runs on: the
    // record-only run is refused.
    let a = post(&rt, &serve.hook(), "{\"hello\":\"world\"}");
    assert_eq!((a.status, a.body.as_str()), (200, ACCEPTED));
    let line = serve.wait_for("shadow side failed");
    assert!(line.contains("order.id"), "{line}");
    let s = status_when(&rt, &serve.base, |s| s["failed"] == 1);
    assert_eq!(s["recorded"], 0);
    assert_eq!(seen.lock().unwrap().len(), 1);
    let (code, _) = serve.stop();
    assert_eq!(code, Some(0));
}

/// The whole route: the shop's webhooks go through `serve`, which forwards them to
/// Zapier and records the imported system's record-only outcome for each; then
/// `compare --mirrored` sets those against the Zap's run history. The history has the
/// planted divergences of `shadow_zapier.rs`; order 1006 reached the mirror but has no
/// run in the history (an extra run), and the run whose payload the history lost has
/// no mirrored request either (a missing run).
#[test]
fn mirrored_requests_are_compared_with_the_history() {
    let rt = runtime();
    let (url, _seen) = legacy(&rt);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("shadow.db");
    let serve = Serve::start(&sample("big-order-alert.claw"), &url, &store);
    let sent = [
        order(1001, "Ana", "250.00"),
        order(1002, "Ben", "1,200.00"),
        order(1003, "Chloe", "40.00"),
        order(1004, "Dana", "310.00"),
        order(1006, "Fatou", "480.00"),
    ];
    for body in &sent {
        assert_eq!(post(&rt, &serve.hook(), body).status, 200);
    }
    let s = status_when(&rt, &serve.base, |s| s["recorded"] == 5);
    assert_eq!(s["recorded"], 5, "{s}");
    let (code, log) = serve.stop();
    assert_eq!(code, Some(0), "{log}");

    let out = shadow("compare", &["--system", &sample("big-order-alert.claw")])
        .args(["--zapier-json", &sample("zapier/zap-runs-page-1.json")])
        .args(["--mirrored", "--store"])
        .arg(&store)
        .args(["--format", "json", "--gate", "99.5"])
        .output()
        .unwrap();
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "the gate fails");
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let runs = r["runs"].as_array().unwrap();
    let got: Vec<(String, String, String)> = runs
        .iter()
        .map(|x| {
            (
                x["correlation"].as_str().unwrap().to_string(),
                x["class"].as_str().unwrap().to_string(),
                x["shadow"]["source"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect();
    // Every shadow run is a recorded one (mirror:N, the row in the store), none a replay
    // of the history; row ids follow the order the webhooks were sent in.
    let m = |id: u32| format!("mirror:{id} (record-only)");
    let missing = got.iter().find(|g| g.1 == "missing").unwrap().0.clone();
    assert!(missing.starts_with("payload "), "{missing}");
    let mut want = vec![
        ("key 1001".to_string(), "noise".to_string(), m(1)), // only the run time differs
        ("key 1001".into(), "duplicate".into(), "-".into()), // Zapier replayed the same input
        ("key 1002".into(), "branch".into(), m(2)),          // filter translated differently
        ("key 1003".into(), "match".into(), m(3)),           // filtered on both sides
        ("key 1004".into(), "params".into(), m(4)),          // changed message template
        (missing, "missing".into(), "-".into()),             // no mirrored request
        ("key 1006".into(), "extra".into(), m(5)),           // no run in the history
    ];
    // The extra run is dated when the mirror received it (the test's clock): compare
    // without relying on where that falls among the history's dates.
    let mut got = got;
    got.sort();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(
        (r["compared"].as_u64(), r["at_parity"].as_u64()),
        (Some(6), Some(2))
    );
    assert_eq!(r["shadow_runs"], 5);
    assert_eq!(r["gate"]["passed"], false);
    let noise = r["noise"].as_array().unwrap();
    assert_eq!(noise.len(), 1);
    assert_eq!(noise[0]["path"], "steps.log_order_row.with.COL$C");
    // Recorded against this very system: nothing had to be replayed.
    let notes: Vec<&str> = r["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(notes.iter().all(|n| !n.contains("replayed")), "{notes:?}");
    let params = runs.iter().find(|x| x["class"] == "params").unwrap();
    assert_eq!(
        params["shadow"]["steps"][0]["params"]["text"],
        "New order 1004 from Dana: 310.00"
    );
}
