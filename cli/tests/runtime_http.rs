//! The real `claw run` over HTTP: webhook status codes, signatures, duplicates, the admin
//! endpoint through `claw fire`, metrics, health, and the inspection commands.

use hmac::{Hmac, Mac};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const SYSTEM: &str = r#"system: shop
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
data:
  events:
    store: event-log
    retention: 30d
observability:
  slo:
    error_rate: <1%
  owner: ops
"#;

fn claw() -> Command {
    Command::new(env!("CARGO_BIN_EXE_claw"))
}

fn start(db: &str, file: &std::path::Path) -> (Child, String) {
    let mut child = claw()
        .args([
            "run",
            file.to_str().unwrap(),
            "--db",
            db,
            "--listen",
            "127.0.0.1:0",
            "--body-limit",
            "2048",
        ])
        .env("CLAW_SECRET_SHOP_HOOK_KEY", "k3y-for-tests")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (
        child,
        line.trim()
            .strip_prefix("listening on ")
            .unwrap()
            .to_string(),
    )
}

fn sign(body: &str) -> String {
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(b"k3y-for-tests").unwrap();
    m.update(body.as_bytes());
    format!("sha256={}", hex::encode(m.finalize().into_bytes()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_fire_metrics_and_inspection() {
    claw_runtime::install_crypto();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shop.claw");
    std::fs::write(&file, SYSTEM).unwrap();
    let db = format!("sqlite://{}", dir.path().join("claw.db").display());
    let (mut child, url) = tokio::task::block_in_place(|| start(&db, &file));
    let c = reqwest::Client::new();
    let hook = format!("{url}/hooks/shop/order_created");
    let body = r#"{"order":{"id":"X1"}}"#;
    let post = |u: String, b: String, ct: &'static str, sig: Option<String>| {
        let mut r = c.post(u).header("Content-Type", ct).body(b);
        if let Some(s) = sig {
            r = r.header("X-Claw-Signature", s);
        }
        r.send()
    };
    let r = post(
        hook.clone(),
        body.into(),
        "application/json",
        Some(sign(body)),
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let first: serde_json::Value = r.json().await.unwrap();
    let r = post(
        hook.clone(),
        body.into(),
        "application/json",
        Some(sign(body)),
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 200, "duplicate");
    let dup: serde_json::Value = r.json().await.unwrap();
    assert_eq!(dup["run_id"], first["run_id"]);
    assert_eq!(
        post(
            hook.clone(),
            body.into(),
            "application/json",
            Some(sign("other"))
        )
        .await
        .unwrap()
        .status()
        .as_u16(),
        401
    );
    assert_eq!(
        post(hook.clone(), body.into(), "application/json", None)
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    assert_eq!(
        post(hook.clone(), body.into(), "text/plain", Some(sign(body)))
            .await
            .unwrap()
            .status()
            .as_u16(),
        415
    );
    let big = format!("{{\"order\":{{\"id\":\"{}\"}}}}", "x".repeat(4096));
    assert_eq!(
        post(
            hook.clone(),
            big.clone(),
            "application/json",
            Some(sign(&big))
        )
        .await
        .unwrap()
        .status()
        .as_u16(),
        413
    );
    assert_eq!(
        post(
            format!("{url}/hooks/shop/nope"),
            "{}".into(),
            "application/json",
            None
        )
        .await
        .unwrap()
        .status()
        .as_u16(),
        404
    );
    assert_eq!(
        post(
            format!("{url}/hooks/other/x"),
            "{}".into(),
            "application/json",
            None
        )
        .await
        .unwrap()
        .status()
        .as_u16(),
        404
    );
    let nokey = r#"{"order":{}}"#;
    assert_eq!(
        post(
            hook.clone(),
            nokey.into(),
            "application/json",
            Some(sign(nokey))
        )
        .await
        .unwrap()
        .status()
        .as_u16(),
        422
    );
    assert_eq!(
        post(
            format!("{url}/hooks/shop/incoming/open"),
            "{}".into(),
            "application/json",
            None
        )
        .await
        .unwrap()
        .status()
        .as_u16(),
        202
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
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fired: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let fired_id = fired["run_id"].as_str().unwrap().to_string();

    let health = c.get(format!("{url}/healthz")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
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
        "{metrics}"
    );
    assert!(
        metrics.contains("claw_run_latency_seconds_bucket"),
        "{metrics}"
    );

    unsafe { libc_kill(child.id() as i32, 15) };
    let st = child.wait().unwrap();
    assert!(st.success(), "graceful stop on SIGTERM");

    // Inspection commands read the same database.
    let out = claw()
        .args(["events", &fired_id, "--db", &db, "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ev: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ev["run"]["status"], "succeeded");
    let ok = ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "step.succeeded")
        .unwrap();
    assert_eq!(ok["data"]["output"]["stdout"], "ops hello\n");
    assert_eq!(ok["data"]["output"]["exit_code"], 0);
    let out = claw()
        .args(["runs", "--db", &db, "--system", "shop", "--format", "json"])
        .output()
        .unwrap();
    let runs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(runs.as_array().unwrap().len(), 3);
    let out = claw()
        .args(["status", "--db", &db, "--format", "json"])
        .output()
        .unwrap();
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["systems"]["shop"]["succeeded"], 3);
    assert_eq!(status["dlq_depth"], 0);
}

#[test]
fn invalid_systems_are_refused_with_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.claw");
    std::fs::write(&file, "system: bad\nversion: 1.0.0\ntriggers: [\n").unwrap();
    let out = claw()
        .args([
            "run",
            file.to_str().unwrap(),
            "--db",
            &format!("sqlite://{}", dir.path().join("x.db").display()),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.claw"), "{err}");
}

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}
