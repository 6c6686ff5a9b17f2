//! Helpers for the `claw run` and runtime-command tests through the real binary: running
//! the cli, a `claw run` child process, blocking HTTP, a recording receiver, Prometheus
//! text, and the `claw status` check. Included with `#[path = "common/ops.rs"] mod ops;`.
#![allow(dead_code)]

pub use axum::extract::State;
pub use axum::http::{HeaderMap, StatusCode, Uri};
pub use serde_json::{Value, json};
pub use std::collections::{BTreeMap, BTreeSet};
pub use std::io::{BufRead, BufReader, Read};
pub use std::path::{Path, PathBuf};
pub use std::process::{Child, Command, ExitStatus, Stdio};
pub use std::sync::{Arc, Mutex};
pub use std::time::{Duration, Instant};

pub const SIGINT: i32 = 2;
pub const SIGKILL: i32 = 9;
pub const SIGTERM: i32 = 15;

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

pub fn claw() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_claw"));
    // The default log level is part of what is tested.
    c.env_remove("RUST_LOG");
    c
}

/// What one CLI invocation printed.
pub struct Out {
    pub code: i32,
    pub json: Value,
    pub stdout: String,
    pub stderr: String,
}

pub fn cli(args: &[&str]) -> Out {
    let out = claw().args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    Out {
        code: out.status.code().unwrap_or(-1),
        json: serde_json::from_str(&stdout).unwrap_or(Value::Null),
        stdout,
        stderr: String::from_utf8_lossy(&out.stderr).to_string(),
    }
}

/// `cli` that must succeed and print JSON.
pub fn cli_json(args: &[&str]) -> Value {
    let o = cli(args);
    assert_eq!(o.code, 0, "claw {args:?}: {}{}", o.stdout, o.stderr);
    assert!(
        !o.json.is_null(),
        "claw {args:?} printed no JSON: {}",
        o.stdout
    );
    o.json
}

pub fn sqlite(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("claw.db").display())
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let end = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn runs(db: &str, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["runs", "--db", db, "--format", "json"];
    args.extend(extra);
    cli_json(&args).as_array().unwrap().clone()
}

pub fn events(db: &str, run_id: &str) -> Value {
    cli_json(&["events", run_id, "--db", db, "--format", "json"])
}

pub fn kinds(ev: &Value) -> Vec<String> {
    ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

/// Waits until the run has finished and returns its events.
pub fn finished(db: &str, run_id: &str) -> Value {
    wait_for(
        &format!("run {run_id} to finish"),
        Duration::from_secs(15),
        || {
            let ev = events(db, run_id);
            (ev["run"]["status"] != "running").then_some(ev)
        },
    )
}

/// The events of a run whose one step succeeded on its first attempt.
pub const SUCCEEDED_AT_ONCE: [&str; 4] = [
    "trigger.received",
    "step.attempt_started",
    "step.succeeded",
    "run.finished",
];

/// Waits until a run whose first attempt was cut off (its runtime stopped or died) has finished,
/// checks that it succeeded on a second attempt, and returns its events.
pub fn finished_on_a_second_attempt(db: &str, run_id: &str) -> Value {
    let ev = finished(db, run_id);
    assert_eq!(ev["run"]["status"], "succeeded", "{ev}");
    assert_eq!(
        kinds(&ev),
        [
            "trigger.received",
            "step.attempt_started",
            "step.attempt_started",
            "step.succeeded",
            "run.finished"
        ]
    );
    ev
}

/// A `claw run` child process with its stderr going to a file.
pub struct Server {
    pub child: Child,
    pub url: String,
    pub stderr: PathBuf,
    /// Collects the rest of stdout (taken when stopping).
    pub stdout: Option<std::thread::JoinHandle<String>>,
}

/// What a stopped server left behind.
pub struct Stopped {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub took: Duration,
}

/// `claw run FILE --db DB` on a free loopback port.
pub fn run_args<'a>(file: &'a Path, db: &'a str) -> Vec<&'a str> {
    vec![
        "run",
        file.to_str().unwrap(),
        "--db",
        db,
        "--listen",
        "127.0.0.1:0",
    ]
}

impl Server {
    pub fn start(file: &Path, db: &str, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let mut args = run_args(file, db);
        args.extend(extra);
        Server::spawn(&args, env, &file.with_extension("stderr"))
    }

    pub fn spawn(args: &[&str], env: &[(&str, &str)], stderr: &Path) -> Server {
        // A fresh file per start: each start's lines are checked on their own.
        let err = std::fs::File::create(stderr).unwrap();
        let mut cmd = claw();
        cmd.args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(err));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let Some(url) = line.trim().strip_prefix("listening on ") else {
            let _ = child.wait();
            panic!(
                "claw run did not start: {line}{}",
                std::fs::read_to_string(stderr).unwrap_or_default()
            );
        };
        let url = url.to_string();
        let stdout = std::thread::spawn(move || {
            let mut rest = line;
            let _ = out.read_to_string(&mut rest);
            rest
        });
        Server {
            child,
            url,
            stderr: stderr.to_path_buf(),
            stdout: Some(stdout),
        }
    }

    pub fn stop(mut self, signal: i32) -> Stopped {
        let t = Instant::now();
        // SAFETY: kill(2) on the pid of a child this test started and has not reaped.
        assert_eq!(unsafe { libc_kill(self.child.id() as i32, signal) }, 0);
        let status = self.child.wait().unwrap();
        let took = t.elapsed();
        let stdout = self.stdout.take().unwrap().join().unwrap();
        Stopped {
            status,
            stdout,
            stderr: std::fs::read_to_string(&self.stderr).unwrap(),
            took,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Only after a failed assertion: never leave a server behind.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `case` on every test database (SQLite, then PostgreSQL when configured) and says on
/// stderr how long each took, as "`what` test on LABEL: TIME".
pub async fn on_every_database<Fut>(what: &str, case: impl Fn(claw_testkit::db::TestDb) -> Fut)
where
    Fut: std::future::Future<Output = ()>,
{
    claw_runtime::install_crypto();
    for db in claw_testkit::db::databases().await {
        let (label, t) = (db.label, Instant::now());
        case(db).await;
        eprintln!("{what} test on {label}: {:.1?}", t.elapsed());
    }
}

/// POSTs one JSON webhook to `system`/`trigger` of the `claw run` at `url` and returns the
/// accepted run's id (the async form of [`hook`], for the tests on a tokio runtime).
pub async fn hook_async(
    client: &reqwest::Client,
    url: &str,
    system: &str,
    trigger: &str,
    body: &Value,
) -> String {
    let resp = client
        .post(format!("{url}/hooks/{system}/{trigger}"))
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 202, "{system}/{trigger}");
    let v: Value = resp.json().await.unwrap();
    v["run_id"].as_str().unwrap().to_string()
}

/// Waits (30 s at most) until `store` holds no unfinished run: the end of the crash tests'
/// restart, whose resumed runs must all finish.
pub async fn all_finished(store: &dyn claw_runtime::EventStore, label: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !store.unfinished_runs().await.unwrap().is_empty() {
        assert!(Instant::now() < deadline, "{label}: runs left unfinished");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Serves `app` on a free loopback port from the current tokio runtime; returns `http://ADDR/`.
pub async fn serve_locally(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

/// A request's `Idempotency-Key` header, or "<none>" without one.
pub fn idempotency_key(headers: &HeaderMap) -> String {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("<none>")
        .to_string()
}

/// One blocking HTTP request from the test.
pub fn http(method: &str, url: &str, body: Option<&str>) -> (u16, String) {
    claw_runtime::install_crypto();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = reqwest::Client::new();
        let mut r = match method {
            "GET" => c.get(url),
            _ => c.post(url),
        };
        if let Some(b) = body {
            r = r
                .header("Content-Type", "application/json")
                .body(b.to_string());
        }
        let resp = r.send().await.unwrap();
        let code = resp.status().as_u16();
        (code, resp.text().await.unwrap())
    })
}

/// One blocking POST with the given headers and body, as a sender other than JSON would send.
pub fn post_with(url: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    claw_runtime::install_crypto();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut r = reqwest::Client::new().post(url).body(body.to_string());
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        let resp = r.send().await.unwrap();
        let code = resp.status().as_u16();
        (code, resp.text().await.unwrap())
    })
}

pub fn hook(url: &str, system: &str, trigger: &str, body: Value) -> String {
    let (code, text) = http(
        "POST",
        &format!("{url}/hooks/{system}/{trigger}"),
        Some(&body.to_string()),
    );
    assert_eq!(code, 202, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    v["run_id"].as_str().unwrap().to_string()
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub key: String,
    pub headers: BTreeMap<String, String>,
    /// The query string, if any.
    pub query: Option<String>,
    /// The request body as text.
    pub body: String,
}

/// How the receiver answers, by path.
#[derive(Default)]
pub struct Script {
    /// Path → answers 500 while set.
    pub down: BTreeSet<String>,
    /// Path → answers 500 to the first request of each idempotency key.
    pub flaky: BTreeSet<String>,
    /// Path → answers 400 (not retryable).
    pub reject: BTreeSet<String>,
    /// Path → answers 200 with this body (a feed, a document) instead of the echo.
    pub serve: BTreeMap<String, String>,
    pub seen: Vec<Seen>,
}

/// A local HTTP target: records every request and echoes its credentials back, so a test
/// can prove what an adapter sent and that the echo is redacted.
#[derive(Clone)]
pub struct Receiver {
    pub base: String,
    pub state: Arc<Mutex<Script>>,
}

pub async fn receive(
    State(state): State<Arc<Mutex<Script>>>,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, String) {
    let h: BTreeMap<String, String> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let path = uri.path().to_string();
    let key = h.get("idempotency-key").cloned().unwrap_or_default();
    let mut s = state.lock().unwrap();
    let first_of_key = !s.seen.iter().any(|x| x.path == path && x.key == key);
    s.seen.push(Seen {
        path: path.clone(),
        key,
        headers: h.clone(),
        query: uri.query().map(str::to_string),
        body,
    });
    if let Some(doc) = s.serve.get(&path) {
        return (StatusCode::OK, doc.clone());
    }
    let echo = json!({
        "authorization": h.get("authorization"),
        "x-sig": h.get("x-sig"),
    })
    .to_string();
    if s.reject.contains(&path) {
        (StatusCode::BAD_REQUEST, format!("refused {echo}"))
    } else if s.down.contains(&path) || (s.flaky.contains(&path) && first_of_key) {
        (StatusCode::INTERNAL_SERVER_ERROR, format!("down {echo}"))
    } else {
        (StatusCode::OK, echo)
    }
}

impl Receiver {
    pub fn start() -> Receiver {
        let state = Arc::new(Mutex::new(Script::default()));
        let (tx, rx) = std::sync::mpsc::channel();
        let st = state.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(l.local_addr().unwrap()).unwrap();
                let app = axum::Router::new().fallback(receive).with_state(st);
                axum::serve(l, app).await.unwrap();
            });
        });
        Receiver {
            base: format!("http://{}", rx.recv().unwrap()),
            state,
        }
    }

    pub fn script(&self, f: impl FnOnce(&mut Script)) {
        f(&mut self.state.lock().unwrap());
    }

    pub fn seen(&self, path: &str) -> Vec<Seen> {
        let s = self.state.lock().unwrap();
        s.seen.iter().filter(|x| x.path == path).cloned().collect()
    }
}

/// Prometheus text as `name{labels}` → value.
pub fn parse_metrics(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (k, v) = l.rsplit_once(' ')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

pub fn metric(m: &BTreeMap<String, f64>, key: &str) -> f64 {
    *m.get(key)
        .unwrap_or_else(|| panic!("no metric `{key}` in {m:#?}"))
}

pub fn metrics(url: &str) -> BTreeMap<String, f64> {
    let (code, text) = http("GET", &format!("{url}/metrics"), None);
    assert_eq!(code, 200);
    parse_metrics(&text)
}

/// The closing sections of the systems these tests write: event log, then `error_rate: <1%` and
/// the owner (`SLO_TAIL`) or the owner alone (`TAIL`).
#[allow(unused_imports)] // TAIL: only some of the test binaries that include this use it
pub use claw_testkit::systems::{SLO_TAIL, TAIL};

pub fn payments(recv: &Receiver) -> String {
    let steps = format!(
        r#"  - notify:
      on: paid
      action: http.post
      with:
        url: "{}/notify"
        body:
          id: "{{{{ payment.id }}}}"
      retries: 1
      backoff: fixed 50ms
      timeout: 2s
      dead_letter: queue://payments.dlq
"#,
        recv.base
    );
    webhook_system("payments", "paid", "payment.id", &steps, SLO_TAIL)
}

/// Nearest-rank percentile, as `claw status` computes it.
pub fn nearest_rank(sorted: &[i64], q: f64) -> i64 {
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

pub fn assert_status(db: &str, runs_: &[Value], dlq: u64) {
    let st = cli_json(&["status", "--db", db, "--format", "json"]);
    let s = &st["systems"]["payments"];
    let count = |status: &str| runs_.iter().filter(|r| r["status"] == status).count() as u64;
    let (ok, failed) = (count("succeeded"), count("failed"));
    assert_eq!(st["window_hours"], 24);
    assert_eq!(st["dlq_depth"], dlq, "{st}");
    assert_eq!(s["dlq_depth"], dlq, "{st}");
    assert_eq!(s["runs"], runs_.len() as u64, "{st}");
    assert_eq!(s["succeeded"], ok, "{st}");
    assert_eq!(s["failed"], failed, "{st}");
    assert_eq!(s["running"], 0, "{st}");
    let rate = s["error_rate"].as_f64().unwrap();
    assert!(
        (rate - failed as f64 / (ok + failed) as f64).abs() < 1e-9,
        "{st}"
    );
    let mut lat: Vec<i64> = runs_
        .iter()
        .map(|r| r["finished_at"].as_i64().unwrap() - r["received_at"].as_i64().unwrap())
        .collect();
    lat.sort_unstable();
    assert_eq!(s["latency_p50_ms"], nearest_rank(&lat, 0.50), "{st}");
    assert_eq!(s["latency_p95_ms"], nearest_rank(&lat, 0.95), "{st}");
    assert_eq!(s["latency_p99_ms"], nearest_rank(&lat, 0.99), "{st}");
    // Retries with a 50 ms back-off make every failed run take at least that long.
    assert!(lat[lat.len() - 1] >= 50, "{lat:?}");
    // The declared objective (`error_rate: <1%`) against the measured rate.
    let slo = s["slo"].as_array().unwrap();
    assert_eq!(slo.len(), 1, "{st}");
    assert_eq!(slo[0]["name"], "error_rate");
    assert_eq!(slo[0]["objective"], "<1%");
    assert!(
        (slo[0]["value"].as_f64().unwrap() - rate).abs() < 1e-9,
        "{st}"
    );
    assert_eq!(slo[0]["met"], rate < 0.01, "{st}");
}

/// A system `name` with one webhook trigger, `trigger`, deduplicated by the payload field `key`,
/// no decisions, the execution `steps` (YAML lines under `execution:`) and the closing `tail`.
pub fn webhook_system(name: &str, trigger: &str, key: &str, steps: &str, tail: &str) -> String {
    format!(
        "system: {name}\nversion: 1.0.0\ntriggers:\n  - {trigger}:\n      source: webhook\n      \
         idempotency: {key}\ndecisions: []\nexecution:\n{steps}{tail}"
    )
}

/// A system `name` whose webhook `order_created` (keyed by `order.id`) runs one step, `notify`,
/// posting the order id to the payload's `target`, with the step's `policy` lines (retries,
/// back-off, timeout, dead letter) and the closing sections `tail`.
pub fn notifier(name: &str, policy: &str, tail: &str) -> String {
    let steps = format!(
        r#"  - notify:
      on: order_created
      action: http.post
      with:
        url: "{{{{ target }}}}"
        body:
          order: "{{{{ order.id }}}}"
{policy}"#
    );
    webhook_system(name, "order_created", "order.id", &steps, tail)
}

/// A system that files a ticket over HTTP (fire and bind tests).
pub const DESK: &str = r#"system: desk
version: 1.0.0
triggers:
  - ticket:
      source: manual
      idempotency: ticket.id
  - batch:
      source: manual
decisions: []
execution:
  - file_it:
      on: ticket
      action: shell.run
      with:
        command: 'printf "%s" "$TITLE"'
        env:
          TITLE: "{{ ticket.title }}"
      timeout: 5s
  - crunch:
      on: batch
      action: shell.run
      with:
        command: "sleep 1; echo crunched"
      timeout: 5s
"#;

/// Imports the Zapier export `sample` into `out` with `claw import zapier --accept`, checks the
/// system `name` with `claw check`, and returns its file: the start of every test that runs an
/// imported sample.
pub fn import_and_check(sample: &str, out: &Path, name: &str) -> PathBuf {
    let imported = cli(&[
        "import",
        "zapier",
        sample,
        "--accept",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(imported.code, 0, "{}{}", imported.stdout, imported.stderr);
    let file = out.join(format!("{name}.claw"));
    let checked = cli(&["check", file.to_str().unwrap()]);
    assert_eq!(checked.code, 0, "{}{}", checked.stdout, checked.stderr);
    file
}
