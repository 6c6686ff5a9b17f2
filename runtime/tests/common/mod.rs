//! Shared test helpers: databases (from claw-testkit: SQLite files, PostgreSQL when
//! CLAW_TEST_POSTGRES_URL is set) and a local HTTP receiver that counts calls per
//! Idempotency-Key.
#![allow(dead_code)]

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::routing::{any, post};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub mod adapter_systems;

#[allow(unused_imports)]
pub use claw_testkit::db::{TestDb, databases, postgres, sqlite};

/// What the receiver saw.
#[derive(Default)]
pub struct Seen {
    /// Calls per Idempotency-Key.
    pub per_key: BTreeMap<String, u32>,
    /// Bodies in arrival order.
    pub bodies: Vec<serde_json::Value>,
    /// Calls without the header.
    pub missing_key: u32,
    /// Every request in arrival order, with its method.
    pub requests: Vec<Request>,
}

/// One request as the receiver saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// HTTP method, e.g. `PUT`.
    pub method: String,
    /// Query string, if any.
    pub query: Option<String>,
    /// `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// `Idempotency-Key` header, if any.
    pub key: Option<String>,
    /// Body, parsed as JSON when it is JSON, else as a string (empty body: `""`).
    pub body: serde_json::Value,
}

/// Behaviour of the receiver.
#[derive(Clone, Copy)]
pub struct ReceiverOpts {
    /// Answer 503 to the first N calls of each key.
    pub fail_first: u32,
    /// Status of the failures.
    pub fail_status: u16,
    /// Delay before answering.
    pub delay: Duration,
    /// Apply `delay` only to the first N calls of each key (0: to every call).
    pub slow_first: u32,
}

impl Default for ReceiverOpts {
    fn default() -> Self {
        ReceiverOpts {
            fail_first: 0,
            fail_status: 503,
            delay: Duration::ZERO,
            slow_first: 0,
        }
    }
}

/// A running receiver.
pub struct Receiver {
    pub url: String,
    pub seen: Arc<Mutex<Seen>>,
}

#[derive(Clone)]
struct RState {
    seen: Arc<Mutex<Seen>>,
    opts: ReceiverOpts,
}

async fn receive(
    State(s): State<RState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, String) {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let n = {
        let mut seen = s.seen.lock().unwrap();
        let parsed = serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body));
        seen.requests.push(Request {
            method: method.to_string(),
            query: uri.query().map(str::to_string),
            content_type: headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            key: key.clone(),
            body: parsed.clone(),
        });
        seen.bodies.push(parsed);
        match &key {
            Some(k) => {
                let e = seen.per_key.entry(k.clone()).or_insert(0);
                *e += 1;
                *e
            }
            None => {
                seen.missing_key += 1;
                0
            }
        }
    };
    if s.opts.slow_first == 0 || n <= s.opts.slow_first {
        tokio::time::sleep(s.opts.delay).await;
    }
    if n <= s.opts.fail_first {
        return (
            StatusCode::from_u16(s.opts.fail_status).unwrap(),
            "try later".into(),
        );
    }
    (StatusCode::OK, "{\"ok\":true}".into())
}

/// Starts a receiver on 127.0.0.1 (POST only).
pub async fn receiver(opts: ReceiverOpts) -> Receiver {
    serve_receiver(Router::new().route("/", post(receive)), opts).await
}

/// Starts a receiver that refuses every call with 400 (not retryable): a target that never works.
pub async fn refusing_receiver() -> Receiver {
    receiver(ReceiverOpts {
        fail_first: u32::MAX,
        fail_status: 400,
        ..Default::default()
    })
    .await
}

/// Starts a receiver on 127.0.0.1 that answers every method (see [`Seen::requests`]).
pub async fn receiver_any_method(opts: ReceiverOpts) -> Receiver {
    serve_receiver(Router::new().route("/", any(receive)), opts).await
}

async fn serve_receiver(router: Router<RState>, opts: ReceiverOpts) -> Receiver {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let app = router.with_state(RState {
        seen: seen.clone(),
        opts,
    });
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    Receiver {
        url: format!("http://{addr}/"),
        seen,
    }
}

/// Writes a system file into `dir` and returns its path.
pub fn write_system(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(format!("{name}.claw"));
    std::fs::write(&p, text).unwrap();
    p
}

/// A runtime over the database at `url` with `systems` (name, text) written to `dir` and
/// loaded: the setup the engine, adapter, trigger and alert tests share. `secrets` are the
/// lines of a secrets file (empty: the environment only); `configure` adds what a test
/// needs beyond that (a clock, adapters, record-only mode).
pub async fn test_runtime_with(
    url: &str,
    dir: &std::path::Path,
    systems: &[(&str, &str)],
    secrets: &str,
    configure: impl FnOnce(claw_runtime::engine::RuntimeBuilder) -> claw_runtime::engine::RuntimeBuilder,
) -> claw_runtime::Runtime {
    let store = claw_runtime::SqlStore::connect(url).await.unwrap();
    let mut b = claw_runtime::Runtime::builder(Arc::new(store));
    if !secrets.is_empty() {
        let file = dir.join("secrets");
        std::fs::write(&file, secrets).unwrap();
        b = b.secrets(claw_runtime::secrets::Secrets::with_file(&file).unwrap());
    }
    for (name, text) in systems {
        let p = write_system(dir, name, text);
        b = b.system(claw_runtime::LoadedSystem::load(&p).unwrap());
    }
    configure(b).build().await.unwrap()
}

/// [`test_runtime_with`] with nothing more to configure.
pub async fn test_runtime(
    url: &str,
    dir: &std::path::Path,
    systems: &[(&str, &str)],
    secrets: &str,
) -> claw_runtime::Runtime {
    test_runtime_with(url, dir, systems, secrets, |b| b).await
}

/// Waits (up to 20 s) until the run has finished; returns its status.
pub async fn wait_finished(rt: &claw_runtime::Runtime, run_id: &str) -> String {
    let end = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        rt.store().flush().await.unwrap();
        let r = rt.store().run(run_id).await.unwrap().unwrap();
        if r.status != "running" {
            return r.status;
        }
        assert!(
            tokio::time::Instant::now() < end,
            "run {run_id} did not finish"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls until `f` holds or the timeout passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut f: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let end = tokio::time::Instant::now() + timeout;
    while tokio::time::Instant::now() < end {
        if f().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    f().await
}

/// Polls (up to `seconds`) until the run `run_id` has an event of `kind`, flushing the writer
/// before each look so that an event still in the group-commit queue counts.
pub async fn event_logged(
    rt: &claw_runtime::Runtime,
    run_id: &str,
    kind: &str,
    seconds: u64,
) -> bool {
    let store = rt.store();
    eventually(Duration::from_secs(seconds), || async move {
        store.flush().await.unwrap();
        store
            .events(run_id)
            .await
            .unwrap()
            .iter()
            .any(|e| e.kind == kind)
    })
    .await
}
