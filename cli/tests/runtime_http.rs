//! The real `claw run` over HTTP: webhook status codes, signatures, duplicates, the admin
//! endpoint through `claw fire`, metrics, health, the inspection commands, and concurrent
//! identical deliveries. Each test runs on a SQLite file and, when CLAW_TEST_POSTGRES_URL
//! is set, on a fresh PostgreSQL database.

#[path = "common/ops.rs"]
mod ops;

use claw_testkit::db as pg;

use hmac::{Hmac, Mac};
use ops::*;
use pg::TestDb;

const SYSTEM: &str = claw_testkit::with_slo_tail!(
    r#"system: shop
version: 1.0.0
triggers:
  - order_created:
      source: webhook
      idempotency: order.id
      auth:
        hmac_sha256: secret://shop_hook_key
  - open_hook:
      source: webhook
      path: /incoming/open
  - by_hand:
      source: manual
decisions: []
execution:
  - record:
      on: order_created
      action: log.info
      with:
        message: "order {{ order.id }}"
  - echo:
      on: by_hand
      action: shell.run
      with:
        command: "cat; echo \" $GREETING\""
        stdin: "{{ who }}"
        env:
          GREETING: hello
      timeout: 5s
  - note:
      on: open_hook
      action: log.info
      with:
        message: "open"
"#
);

/// `claw run` on `file` with a 2 KiB body limit and the shop's webhook key.
fn start(db: &str, file: &Path) -> Server {
    Server::start(
        file,
        db,
        &["--body-limit", "2048"],
        &[("CLAW_SECRET_SHOP_HOOK_KEY", "k3y-for-tests")],
    )
}

fn sign(body: &str) -> String {
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(b"k3y-for-tests").unwrap();
    m.update(body.as_bytes());
    format!("sha256={}", hex::encode(m.finalize().into_bytes()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_fire_metrics_and_inspection() {
    on_every_database("webhooks", webhooks_case).await;
}

// Long on purpose: one end-to-end scenario against a real `claw` process, whose steps
// read the state the previous ones left (database, receiver, server); split, each part
// would have to start its own server and rebuild that state.
async fn webhooks_case(tdb: TestDb) {
    let l = tdb.label;
    let db = tdb.url.as_str();
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "shop.claw", SYSTEM);
    let server = tokio::task::block_in_place(|| start(db, &file));
    let url = server.url.clone();
    let c = reqwest::Client::new();
    let hook = format!("{url}/hooks/shop/order_created");
    let body = r#"{"order":{"id":"X1"}}"#;
    let post = |u: &str, b: &str, ct: &'static str, sig: Option<String>| {
        let mut r = c
            .post(u.to_string())
            .header("Content-Type", ct)
            .body(b.to_string());
        if let Some(s) = sig {
            r = r.header("X-Claw-Signature", s);
        }
        r.send()
    };
    let status = |u: &str, b: &str, ct: &'static str, sig: Option<String>| {
        let r = post(u, b, ct, sig);
        async move { r.await.unwrap().status().as_u16() }
    };
    let r = post(&hook, body, "application/json", Some(sign(body)))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202, "{l}: first delivery");
    let first: serde_json::Value = r.json().await.unwrap();
    let r = post(&hook, body, "application/json", Some(sign(body)))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{l}: duplicate");
    let dup: serde_json::Value = r.json().await.unwrap();
    assert_eq!(dup["run_id"], first["run_id"], "{l}: duplicate's run id");
    assert_eq!(
        status(&hook, body, "application/json", Some(sign("other"))).await,
        401,
        "{l}: wrong signature"
    );
    assert_eq!(
        status(&hook, body, "application/json", None).await,
        401,
        "{l}: no signature"
    );
    assert_eq!(
        status(&hook, body, "text/plain", Some(sign(body))).await,
        415,
        "{l}: wrong content type"
    );
    let big = format!("{{\"order\":{{\"id\":\"{}\"}}}}", "x".repeat(4096));
    assert_eq!(
        status(&hook, &big, "application/json", Some(sign(&big))).await,
        413,
        "{l}: body over the limit"
    );
    assert_eq!(
        status(
            &format!("{url}/hooks/shop/nope"),
            "{}",
            "application/json",
            None
        )
        .await,
        404,
        "{l}: unknown trigger"
    );
    assert_eq!(
        status(
            &format!("{url}/hooks/other/x"),
            "{}",
            "application/json",
            None
        )
        .await,
        404,
        "{l}: unknown system"
    );
    let nokey = r#"{"order":{}}"#;
    assert_eq!(
        status(&hook, nokey, "application/json", Some(sign(nokey))).await,
        422,
        "{l}: no idempotency key in the payload"
    );
    assert_eq!(
        status(
            &format!("{url}/hooks/shop/incoming/open"),
            "{}",
            "application/json",
            None
        )
        .await,
        202,
        "{l}: custom path"
    );

    // claw fire through the admin endpoint.
    let out = claw()
        .args([
            "fire",
            "shop",
            "by_hand",
            "--payload",
            r#"{"who":"ops"}"#,
            "--url",
            &url,
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{l}: claw fire: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fired: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let fired_id = fired["run_id"].as_str().unwrap().to_string();

    let health = c.get(format!("{url}/healthz")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200, "{l}: /healthz");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let metrics = c
        .get(format!("{url}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            "claw_runs_total{system=\"shop\",trigger=\"order_created\",outcome=\"duplicate\"} 1"
        ),
        "{l}: {metrics}"
    );
    assert!(
        metrics.contains("claw_run_latency_seconds_bucket"),
        "{l}: {metrics}"
    );

    let stopped = server.stop(SIGTERM);
    assert!(stopped.status.success(), "{l}: graceful stop on SIGTERM");

    // Inspection commands read the same database.
    let ev = claw_json(l, &["events", &fired_id, "--db", db, "--format", "json"]);
    assert_eq!(ev["run"]["status"], "succeeded", "{l}: {ev}");
    let ok = ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "step.succeeded")
        .unwrap_or_else(|| panic!("{l}: no step.succeeded in {ev}"));
    assert_eq!(ok["data"]["output"]["stdout"], "ops hello\n", "{l}: {ok}");
    assert_eq!(ok["data"]["output"]["exit_code"], 0, "{l}: {ok}");
    let runs = claw_json(
        l,
        &["runs", "--db", db, "--system", "shop", "--format", "json"],
    );
    assert_eq!(runs.as_array().unwrap().len(), 3, "{l}: {runs}");
    let status = claw_json(l, &["status", "--db", db, "--format", "json"]);
    assert_eq!(status["systems"]["shop"]["succeeded"], 3, "{l}: {status}");
    assert_eq!(status["dlq_depth"], 0, "{l}: {status}");
}

/// Runs an inspection command that must succeed and print JSON.
fn claw_json(label: &str, args: &[&str]) -> serde_json::Value {
    let out = claw().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{label}: claw {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{label}: claw {} printed no JSON ({e}): {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[test]
fn invalid_systems_are_refused_with_diagnostics() {
    for db in pg::databases_blocking() {
        let l = db.label;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.claw");
        std::fs::write(&file, "system: bad\nversion: 1.0.0\ntriggers: [\n").unwrap();
        let out = claw()
            .args(["run", file.to_str().unwrap(), "--db", &db.url])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{l}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("bad.claw"), "{l}: {err}");
    }
}

/// Calls per Idempotency-Key ("<none>" without the header).
type Calls = Arc<Mutex<BTreeMap<String, u32>>>;

async fn count_call(State(calls): State<Calls>, headers: HeaderMap) -> &'static str {
    let key = idempotency_key(&headers);
    *calls.lock().unwrap().entry(key).or_default() += 1;
    "{\"ok\":true}"
}

/// How many identical deliveries race each other.
const DELIVERIES: usize = 32;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_identical_deliveries_start_one_run() {
    on_every_database("concurrent duplicates", concurrent_duplicates_case).await;
}

// Long on purpose: one end-to-end scenario against a real `claw` process, whose steps
// read the state the previous ones left (database, receiver, server); split, each part
// would have to start its own server and rebuild that state.
async fn concurrent_duplicates_case(tdb: TestDb) {
    let l = tdb.label;
    let db = tdb.url.as_str();
    let dir = tempfile::tempdir().unwrap();
    // One step that calls a local receiver, so the test can count executions.
    let policy = "      retries: 3\n      backoff: exponential 50ms..200ms\n      timeout: 5s\n";
    let file = write(dir.path(), "dedup.claw", &notifier("dedup", policy, TAIL));

    let calls: Calls = Arc::default();
    let app = axum::Router::new()
        .route("/", axum::routing::post(count_call))
        .with_state(calls.clone());
    let target = serve_locally(app).await;

    let server = tokio::task::block_in_place(|| start(db, &file));
    let url = server.url.clone();
    let hook = format!("{url}/hooks/dedup/order_created");
    let body = serde_json::json!({"order": {"id": "same-1"}, "target": target}).to_string();
    // One client (one connection) per delivery, each connected before the barrier, so the
    // POSTs leave together rather than queueing behind connection setup.
    let gate = Arc::new(tokio::sync::Barrier::new(DELIVERIES));
    let mut tasks = Vec::new();
    for _ in 0..DELIVERIES {
        let (gate, hook, body, url) = (gate.clone(), hook.clone(), body.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let c = reqwest::Client::new();
            let warm = c.get(format!("{url}/healthz")).send().await.unwrap();
            assert_eq!(warm.status().as_u16(), 200);
            gate.wait().await;
            let r = c
                .post(hook)
                .header("Content-Type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let code = r.status().as_u16();
            let v: serde_json::Value = r.json().await.unwrap_or(serde_json::Value::Null);
            (code, v)
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let accepted: Vec<_> = answers.iter().filter(|(c, _)| *c == 202).collect();
    let duplicates: Vec<_> = answers.iter().filter(|(c, _)| *c == 200).collect();
    assert_eq!(
        accepted.len(),
        1,
        "{l}: exactly one delivery is accepted: {answers:?}"
    );
    assert_eq!(
        duplicates.len(),
        DELIVERIES - 1,
        "{l}: every other delivery is a duplicate: {answers:?}"
    );
    let run_id = accepted[0].1["run_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{l}: no run id in {:?}", accepted[0]))
        .to_string();
    for (_, v) in &duplicates {
        assert_eq!(v["run_id"], run_id.as_str(), "{l}: a duplicate's run id");
        assert_eq!(v["duplicate"], true, "{l}: {v}");
    }

    // The one run executes its step once: wait for the call, then give a second one time
    // to show up before stopping the runtime.
    let key = format!("{run_id}:notify");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !calls.lock().unwrap().contains_key(&key) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let metrics = reqwest::get(format!("{url}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        server.stop(SIGTERM).status.success(),
        "{l}: graceful stop on SIGTERM"
    );
    let expected: BTreeMap<String, u32> = [(key, 1)].into();
    assert_eq!(
        *calls.lock().unwrap(),
        expected,
        "{l}: the step ran once, under the run's key"
    );
    for line in [
        "claw_runs_total{system=\"dedup\",trigger=\"order_created\",outcome=\"accepted\"} 1"
            .to_string(),
        format!(
            "claw_runs_total{{system=\"dedup\",trigger=\"order_created\",outcome=\"duplicate\"}} {}",
            DELIVERIES - 1
        ),
    ] {
        assert!(metrics.contains(&line), "{l}: no `{line}` in {metrics}");
    }
    let runs = claw_json(
        l,
        &["runs", "--db", db, "--system", "dedup", "--format", "json"],
    );
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 1, "{l}: one run stored: {runs:?}");
    assert_eq!(runs[0]["status"], "succeeded", "{l}: {runs:?}");
    let ev = claw_json(l, &["events", &run_id, "--db", db, "--format", "json"]);
    let kinds: Vec<&str> = ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "step.succeeded").count(),
        1,
        "{l}: {kinds:?}"
    );
}
