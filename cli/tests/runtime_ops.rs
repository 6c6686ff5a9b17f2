//! Operating `claw run` through the real binary on SQLite files: the dead-letter queue
//! (`claw dlq list|retry|drop`), `claw fire` (through a running runtime and directly on the
//! database), `claw runs --status` and `claw status` figures, graceful drain on SIGINT and
//! SIGTERM (and what a too-short grace leaves for the next start), structured logs and
//! secrets, `/metrics`, and the loopback default bind.
//!
//! Every HTTP target is a real server on 127.0.0.1 started by the test.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

fn claw() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_claw"));
    // The default log level is part of what is tested.
    c.env_remove("RUST_LOG");
    c
}

/// What one CLI invocation printed.
struct Out {
    code: i32,
    json: Value,
    stdout: String,
    stderr: String,
}

fn cli(args: &[&str]) -> Out {
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
fn cli_json(args: &[&str]) -> Value {
    let o = cli(args);
    assert_eq!(o.code, 0, "claw {args:?}: {}{}", o.stdout, o.stderr);
    assert!(
        !o.json.is_null(),
        "claw {args:?} printed no JSON: {}",
        o.stdout
    );
    o.json
}

fn sqlite(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("claw.db").display())
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let end = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn runs(db: &str, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["runs", "--db", db, "--format", "json"];
    args.extend(extra);
    cli_json(&args).as_array().unwrap().clone()
}

fn events(db: &str, run_id: &str) -> Value {
    cli_json(&["events", run_id, "--db", db, "--format", "json"])
}

fn kinds(ev: &Value) -> Vec<String> {
    ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

/// Waits until the run has finished and returns its events.
fn finished(db: &str, run_id: &str) -> Value {
    wait_for(
        &format!("run {run_id} to finish"),
        Duration::from_secs(15),
        || {
            let ev = events(db, run_id);
            (ev["run"]["status"] != "running").then_some(ev)
        },
    )
}

/// A `claw run` child process with its stderr going to a file.
struct Server {
    child: Child,
    url: String,
    stderr: PathBuf,
    /// Collects the rest of stdout (taken when stopping).
    stdout: Option<std::thread::JoinHandle<String>>,
}

/// What a stopped server left behind.
struct Stopped {
    status: ExitStatus,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl Server {
    fn start(file: &Path, db: &str, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let mut args = vec![
            "run",
            file.to_str().unwrap(),
            "--db",
            db,
            "--listen",
            "127.0.0.1:0",
        ];
        args.extend(extra);
        Server::spawn(&args, env, &file.with_extension("stderr"))
    }

    fn spawn(args: &[&str], env: &[(&str, &str)], stderr: &Path) -> Server {
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

    fn stop(mut self, signal: i32) -> Stopped {
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

/// One blocking HTTP request from the test.
fn http(method: &str, url: &str, body: Option<&str>) -> (u16, String) {
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

fn hook(url: &str, system: &str, trigger: &str, body: Value) -> String {
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
struct Seen {
    path: String,
    key: String,
    headers: BTreeMap<String, String>,
}

/// How the receiver answers, by path.
#[derive(Default)]
struct Script {
    /// Path → answers 500 while set.
    down: BTreeSet<String>,
    /// Path → answers 500 to the first request of each idempotency key.
    flaky: BTreeSet<String>,
    /// Path → answers 400 (not retryable).
    reject: BTreeSet<String>,
    seen: Vec<Seen>,
}

/// A local HTTP target: records every request and echoes its credentials back, so a test
/// can prove what an adapter sent and that the echo is redacted.
#[derive(Clone)]
struct Receiver {
    base: String,
    state: Arc<Mutex<Script>>,
}

async fn receive(
    State(state): State<Arc<Mutex<Script>>>,
    uri: Uri,
    headers: HeaderMap,
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
    });
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
    fn start() -> Receiver {
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

    fn script(&self, f: impl FnOnce(&mut Script)) {
        f(&mut self.state.lock().unwrap());
    }

    fn seen(&self, path: &str) -> Vec<Seen> {
        let s = self.state.lock().unwrap();
        s.seen.iter().filter(|x| x.path == path).cloned().collect()
    }
}

/// Prometheus text as `name{labels}` → value.
fn parse_metrics(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (k, v) = l.rsplit_once(' ')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

fn metric(m: &BTreeMap<String, f64>, key: &str) -> f64 {
    *m.get(key)
        .unwrap_or_else(|| panic!("no metric `{key}` in {m:#?}"))
}

fn metrics(url: &str) -> BTreeMap<String, f64> {
    let (code, text) = http("GET", &format!("{url}/metrics"), None);
    assert_eq!(code, 200);
    parse_metrics(&text)
}

const TAIL: &str = "data:
  events:
    store: event-log
    retention: 30d
observability:
  slo:
    error_rate: <1%
  owner: ops
";

fn payments(recv: &Receiver) -> String {
    format!(
        r#"system: payments
version: 1.0.0
triggers:
  - paid:
      source: webhook
      idempotency: payment.id
decisions: []
execution:
  - notify:
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
{TAIL}"#,
        recv.base
    )
}

/// Nearest-rank percentile, as `claw status` computes it.
fn nearest_rank(sorted: &[i64], q: f64) -> i64 {
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn assert_status(db: &str, runs_: &[Value], dlq: u64) {
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

#[test]
fn dead_letters_are_listed_retried_and_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let recv = Receiver::start();
    recv.script(|s| {
        s.down.insert("/notify".into());
    });
    let file = write(dir.path(), "payments.claw", &payments(&recv));
    let db = sqlite(dir.path());
    let srv = Server::start(&file, &db, &[], &[]);
    let r1 = hook(
        &srv.url,
        "payments",
        "paid",
        json!({"payment": {"id": "P1"}}),
    );
    let r2 = hook(
        &srv.url,
        "payments",
        "paid",
        json!({"payment": {"id": "P2"}}),
    );
    for r in [&r1, &r2] {
        let ev = finished(&db, r);
        assert_eq!(ev["run"]["status"], "failed");
        let k = kinds(&ev);
        assert_eq!(
            k,
            [
                "trigger.received",
                "step.attempt_started",
                "step.attempt_failed",
                "step.retry_scheduled",
                "step.attempt_started",
                "step.attempt_failed",
                "step.dead_lettered",
                "step.failed",
                "run.finished"
            ],
            "{ev}"
        );
    }
    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);

    // Two attempts per run, each pair under one idempotency key.
    let seen = recv.seen("/notify");
    assert_eq!(seen.len(), 4);
    for r in [&r1, &r2] {
        let key = format!("{r}:notify");
        assert_eq!(seen.iter().filter(|s| s.key == key).count(), 2, "{seen:?}");
    }

    // The open dead letters, oldest first.
    let dl = cli_json(&["dlq", "list", "--db", &db, "--format", "json"]);
    let dl = dl.as_array().unwrap();
    assert_eq!(dl.len(), 2, "{dl:?}");
    for (d, r) in dl.iter().zip([&r1, &r2]) {
        assert_eq!(d["run_id"], r.as_str());
        assert_eq!(d["system"], "payments");
        assert_eq!(d["step"], "notify");
        assert_eq!(d["target"], "queue://payments.dlq");
        assert_eq!(d["state"], "open");
        let err = d["error"].as_str().unwrap();
        assert!(err.contains("HTTP 500"), "{err}");
    }
    let (id1, id2) = (dl[0]["id"].as_i64().unwrap(), dl[1]["id"].as_i64().unwrap());
    let text = cli(&["dlq", "list", "--db", &db]);
    assert_eq!(text.code, 0);
    assert_eq!(text.stdout.lines().count(), 2, "{}", text.stdout);
    assert!(text.stdout.contains(&r1) && text.stdout.contains("open"));

    // Inspection while the dead letters are open.
    let failed = runs(&db, &["--status", "failed"]);
    let mut ids: Vec<&str> = failed.iter().map(|r| r["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    let mut want = vec![r1.as_str(), r2.as_str()];
    want.sort_unstable();
    assert_eq!(ids, want);
    assert!(runs(&db, &["--status", "succeeded"]).is_empty());
    assert!(runs(&db, &["--status", "running"]).is_empty());
    assert_ne!(cli(&["runs", "--db", &db, "--status", "bogus"]).code, 0);
    assert_status(&db, &runs(&db, &[]), 2);

    // The receiver is back: retrying the first dead letter runs it again to success,
    // under the original step key, so the receiver can tell it is the same effect.
    recv.script(|s| {
        s.down.clear();
    });
    let id1s = id1.to_string();
    let retried = cli_json(&["dlq", "retry", &id1s, "--db", &db, "--format", "json"]);
    assert_eq!(retried["id"], id1);
    assert_eq!(retried["retried"], true);
    assert_eq!(retried["status"], "succeeded", "{retried}");
    let r3 = retried["run_id"].as_str().unwrap().to_string();
    assert_ne!(r3, r1);
    let seen = recv.seen("/notify");
    assert_eq!(seen.len(), 5);
    assert_eq!(seen[4].key, format!("{r1}:notify"));
    let ev = events(&db, &r3);
    assert_eq!(ev["run"]["status"], "succeeded");
    assert_eq!(ev["run"]["payload"], json!({"payment": {"id": "P1"}}));
    assert_eq!(
        ev["events"][0]["data"]["origin"]["dlq_retry_of"],
        r1.as_str()
    );
    assert_eq!(ev["events"][0]["data"]["origin"]["dead_letter"], id1);
    assert_eq!(
        kinds(&ev),
        [
            "trigger.received",
            "step.attempt_started",
            "step.succeeded",
            "run.finished"
        ]
    );
    // The failed run's log is not rewritten.
    assert_eq!(events(&db, &r1)["run"]["status"], "failed");

    // Dropping the second marks it handled without running anything.
    let id2s = id2.to_string();
    let dropped = cli_json(&["dlq", "drop", &id2s, "--db", &db, "--format", "json"]);
    assert_eq!(dropped, json!({"id": id2, "dropped": true}));
    assert_eq!(recv.seen("/notify").len(), 5);
    assert_eq!(
        cli_json(&["dlq", "list", "--db", &db, "--format", "json"]),
        json!([])
    );
    assert_eq!(
        cli(&["dlq", "list", "--db", &db]).stdout,
        "no dead letters\n"
    );
    let all = cli_json(&["dlq", "list", "--all", "--db", &db, "--format", "json"]);
    let states: Vec<(i64, &str)> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["id"].as_i64().unwrap(), d["state"].as_str().unwrap()))
        .collect();
    assert_eq!(states, vec![(id1, "retried"), (id2, "dropped")]);

    // Handled or unknown ids are refused with a reason and exit code 1.
    for (args, what) in [
        (vec!["dlq", "retry", &id1s], "retried"),
        (vec!["dlq", "retry", &id2s], "retried"),
        (vec!["dlq", "retry", "999"], "retried"),
        (vec!["dlq", "drop", &id1s], "dropped"),
        (vec!["dlq", "drop", "999"], "dropped"),
    ] {
        let mut a = args.clone();
        a.extend(["--db", &db, "--format", "json"]);
        let o = cli(&a);
        assert_eq!(o.code, 1, "{args:?}: {}{}", o.stdout, o.stderr);
        assert_eq!(o.json[what], false, "{args:?}: {}", o.stdout);
        assert_eq!(
            o.json["reason"], "no open dead letter with this id",
            "{args:?}: {}",
            o.stdout
        );
        assert!(
            o.stderr.contains("no open dead letter with id"),
            "{args:?}: {}",
            o.stderr
        );
    }
    assert_eq!(
        recv.seen("/notify").len(),
        5,
        "a refused retry runs nothing"
    );
    let o = cli(&["dlq", "retry", "x", "--db", &db]);
    assert_eq!(o.code, 2, "{}", o.stderr);

    // Afterwards: one retry succeeded, both originals failed, nothing is open.
    let after = runs(&db, &[]);
    assert_eq!(after.len(), 3);
    assert_eq!(
        runs(&db, &["--status", "succeeded"])
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec![r3.as_str()]
    );
    assert_eq!(runs(&db, &["--status", "failed"]).len(), 2);
    assert_eq!(
        runs(&db, &["--status", "failed", "--system", "other"]).len(),
        0
    );
    assert_status(&db, &after, 0);
    let text = cli(&["status", "--db", &db]);
    assert_eq!(text.code, 0);
    assert!(
        text.stdout.contains("open dead letters: 0")
            && text
                .stdout
                .contains("payments: 3 runs, 1 succeeded, 2 failed, 0 running, error rate 66.67%")
            && text
                .stdout
                .contains("  slo error_rate: objective <1%, measured 66.67%: BREACHED"),
        "{}",
        text.stdout
    );
}

const DESK: &str = r#"system: desk
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

fn assert_filed(db: &str, run_id: &str, title: &str) {
    let ev = finished(db, run_id);
    assert_eq!(ev["run"]["status"], "succeeded", "{ev}");
    assert_eq!(ev["run"]["trigger"], "ticket");
    let ok = ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "step.succeeded")
        .unwrap();
    assert_eq!(ok["step"], "file_it");
    assert_eq!(ok["data"]["output"]["stdout"], title);
    assert_eq!(kinds(&ev).last().unwrap(), "run.finished");
}

#[test]
fn fire_through_a_running_runtime_and_directly_on_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "desk.claw", &format!("{DESK}{TAIL}"));
    let db = sqlite(dir.path());
    let p = |name: &str, id: &str, title: &str| {
        let f = write(
            dir.path(),
            name,
            &json!({"ticket": {"id": id, "title": title}}).to_string(),
        );
        format!("@{}", f.display())
    };
    let (p1, p2, p3) = (
        p("t1.json", "T1", "printer on fire"),
        p("t2.json", "T2", "coffee machine empty"),
        p("t3.json", "T3", "window stuck"),
    );

    // Directly on a database no `claw run` has used: the system file is needed.
    let o = cli(&[
        "fire",
        "desk",
        "ticket",
        "--payload",
        &p1,
        "--direct",
        "--db",
        &db,
    ]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("never run against this database"),
        "{}",
        o.stderr
    );
    let fs = file.to_str().unwrap();
    let direct = [
        "fire",
        "desk",
        "ticket",
        "--payload",
        &p1,
        "--direct",
        "--file",
        fs,
        "--db",
        &db,
        "--format",
        "json",
    ];
    let d1 = cli_json(&direct);
    assert_eq!(d1["status"], "succeeded", "{d1}");
    let t1 = d1["run_id"].as_str().unwrap().to_string();
    assert_filed(&db, &t1, "printer on fire");
    // The same ticket again is the same run: nothing new is stored or executed.
    assert_eq!(cli_json(&direct), d1);
    let all = runs(&db, &[]);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["idempotency_key"], "T1");
    assert_eq!(
        all[0]["payload"],
        json!({"ticket": {"id": "T1", "title": "printer on fire"}})
    );

    // A direct fire killed (SIGKILL) while its step runs: the run was accepted in the
    // database before anything executed, so the next `claw run` completes it.
    let mut direct_batch = claw()
        .args(["fire", "desk", "batch", "--direct", "--db", &db])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let batch = wait_for("the batch step to start", Duration::from_secs(10), || {
        let r = runs(&db, &["--status", "running"]).into_iter().next()?;
        let id = r["id"].as_str()?.to_string();
        kinds(&events(&db, &id))
            .contains(&"step.attempt_started".to_string())
            .then_some(id)
    });
    direct_batch.kill().unwrap();
    assert!(!direct_batch.wait().unwrap().success());
    let ev = events(&db, &batch);
    assert_eq!(ev["run"]["status"], "running");
    assert_eq!(ev["run"]["trigger"], "batch");
    assert_eq!(kinds(&ev), ["trigger.received", "step.attempt_started"]);

    // Through a running `claw run`: accepted by its admin endpoint, executed by it.
    let srv = Server::start(&file, &db, &[], &[]);
    let ev = finished(&db, &batch);
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
    assert_eq!(ev["events"][3]["data"]["output"]["stdout"], "crunched\n");
    let fired = cli_json(&[
        "fire",
        "desk",
        "ticket",
        "--payload",
        &p2,
        "--url",
        &srv.url,
        "--format",
        "json",
    ]);
    let t2 = fired["run_id"].as_str().unwrap().to_string();
    assert!(fired.get("duplicate").is_none(), "{fired}");
    assert_filed(&db, &t2, "coffee machine empty");
    let again = cli_json(&[
        "fire",
        "desk",
        "ticket",
        "--payload",
        &p2,
        "--url",
        &srv.url,
        "--format",
        "json",
    ]);
    assert_eq!(again, json!({"run_id": t2, "duplicate": true}));
    let text = cli(&[
        "fire",
        "desk",
        "ticket",
        "--payload",
        &p2,
        "--url",
        &srv.url,
    ]);
    assert_eq!(text.code, 0);
    assert_eq!(text.stdout, format!("{t2} (duplicate: first run)\n"));
    // Refusals: unknown trigger (404 from the runtime), unreadable and malformed payloads.
    let o = cli(&["fire", "desk", "nope", "--url", &srv.url]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("answered 404") && o.stderr.contains("no trigger `nope`"),
        "{}",
        o.stderr
    );
    let missing = format!("@{}", dir.path().join("missing.json").display());
    let o = cli(&[
        "fire",
        "desk",
        "ticket",
        "--payload",
        &missing,
        "--url",
        &srv.url,
    ]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("cannot read"), "{}", o.stderr);
    let o = cli(&[
        "fire",
        "desk",
        "ticket",
        "--payload",
        "{bad",
        "--url",
        &srv.url,
    ]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("claw::runtime::bad_json: --payload:1:"),
        "{}",
        o.stderr
    );
    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
    // The system is stored in the database (by the first direct fire and by `claw run`):
    // --direct now needs no file.
    let d3 = cli_json(&[
        "fire",
        "desk",
        "ticket",
        "--payload",
        &p3,
        "--direct",
        "--db",
        &db,
        "--format",
        "json",
    ]);
    assert_eq!(d3["status"], "succeeded");
    assert_filed(&db, d3["run_id"].as_str().unwrap(), "window stuck");
    let o = cli(&[
        "fire", "desk", "nope", "--direct", "--db", &db, "--format", "json",
    ]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("no trigger `nope`"), "{}", o.stderr);
    assert_eq!(runs(&db, &["--status", "succeeded"]).len(), 4);
    assert_eq!(runs(&db, &[]).len(), 4);
}

fn slow_system(command: &str) -> String {
    format!(
        r#"system: slow
version: 1.0.0
triggers:
  - job:
      source: webhook
      idempotency: job.id
decisions: []
execution:
  - work:
      on: job
      action: shell.run
      with:
        command: '{command}'
      timeout: 10s
{TAIL}"#
    )
}

/// Waits until the run's attempt is committed as started (so it is in flight).
fn in_flight(db: &str, run_id: &str) {
    wait_for("the attempt to start", Duration::from_secs(10), || {
        kinds(&events(db, run_id))
            .iter()
            .any(|k| k == "step.attempt_started")
            .then_some(())
    });
}

fn drain_lets_the_step_finish(signal: i32) {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "slow.claw", &slow_system("sleep 1; echo done"));
    let db = sqlite(dir.path());
    let srv = Server::start(&file, &db, &["--grace", "10"], &[]);
    let url = srv.url.clone();
    let run = hook(&url, "slow", "job", json!({"job": {"id": "J1"}}));
    in_flight(&db, &run);
    let stopped = srv.stop(signal);
    assert!(stopped.status.success(), "{}", stopped.stderr);
    // It waited for the step (about a second), not for the whole grace period.
    assert!(stopped.took < Duration::from_secs(8), "{:?}", stopped.took);
    assert!(stopped.stderr.contains("draining"), "{}", stopped.stderr);
    assert!(
        stopped.stderr.contains("stopped clean=true left=0"),
        "{}",
        stopped.stderr
    );
    // Finished before the process exited: read back without any runtime.
    let ev = events(&db, &run);
    assert_eq!(ev["run"]["status"], "succeeded", "{ev}");
    assert_eq!(
        kinds(&ev),
        [
            "trigger.received",
            "step.attempt_started",
            "step.succeeded",
            "run.finished"
        ]
    );
    assert_eq!(ev["events"][2]["data"]["output"]["stdout"], "done\n");
    // Nothing listens any more.
    assert!(
        std::net::TcpStream::connect(url.trim_start_matches("http://")).is_err(),
        "the listener is closed"
    );
}

#[test]
fn sigint_drains_in_flight_work() {
    drain_lets_the_step_finish(SIGINT);
}

#[test]
fn sigterm_drains_in_flight_work() {
    drain_lets_the_step_finish(SIGTERM);
}

#[test]
fn a_grace_shorter_than_the_step_leaves_the_run_for_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.txt");
    let cmd = format!(
        "echo \"$CLAW_IDEMPOTENCY_KEY\" >> {}; sleep 3; echo done",
        keys.display()
    );
    let file = write(dir.path(), "slow.claw", &slow_system(&cmd));
    let db = sqlite(dir.path());
    let srv = Server::start(&file, &db, &["--grace", "1"], &[]);
    let run = hook(&srv.url, "slow", "job", json!({"job": {"id": "J2"}}));
    in_flight(&db, &run);
    wait_for("the command to start", Duration::from_secs(10), || {
        std::fs::read_to_string(&keys)
            .ok()
            .filter(|s| !s.is_empty())
    });
    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
    // It gave the step its grace period, then left without waiting for the step.
    assert!(
        stopped.took >= Duration::from_millis(900) && stopped.took < Duration::from_secs(5),
        "{:?}",
        stopped.took
    );
    assert!(
        stopped.stderr.contains("stopped clean=false left=1"),
        "{}",
        stopped.stderr
    );
    // Accepted and started, not finished: it is still a running run in the database.
    let ev = events(&db, &run);
    assert_eq!(ev["run"]["status"], "running");
    assert_eq!(kinds(&ev), ["trigger.received", "step.attempt_started"]);
    let running = runs(&db, &["--status", "running"]);
    assert_eq!(running.len(), 1);
    assert_eq!(running[0]["id"], run.as_str());

    // The next start resumes it and repeats the attempt under the same key.
    let srv = Server::start(&file, &db, &[], &[]);
    let ev = finished(&db, &run);
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
    let key = format!("{run}:work");
    let started: Vec<&Value> = ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "step.attempt_started")
        .collect();
    assert!(
        started
            .iter()
            .all(|e| e["data"]["idempotency_key"] == key.as_str())
    );
    let stopped = srv.stop(SIGINT);
    assert!(stopped.status.success());
    assert!(
        stopped.stderr.contains("resuming run") && stopped.stderr.contains(&run),
        "{}",
        stopped.stderr
    );
    let seen = std::fs::read_to_string(&keys).unwrap();
    assert_eq!(seen, format!("{key}\n{key}\n"));
    assert!(runs(&db, &["--status", "running"]).is_empty());
}

#[test]
fn logs_carry_run_and_step_and_never_a_secret() {
    const FILE_SECRET: &str = "s3cr3t-FILE-value-9f2c";
    const ENV_SECRET: &str = "env-S1GN-value-77ab";
    let dir = tempfile::tempdir().unwrap();
    let recv = Receiver::start();
    recv.script(|s| {
        s.reject.insert("/reject".into());
    });
    let system = format!(
        r#"system: vault
version: 1.0.0
triggers:
  - call:
      source: webhook
      idempotency: req.id
decisions:
  - wanted:
      when: req.id != ""
      emits: go
execution:
  - announce:
      on: go
      action: log.info
      with:
        message: "calling for {{{{ req.id }}}}"
  - tell:
      on: go
      action: log.warn
      with:
        message: "about to use {{{{ secrets.signing_key }}}} and {{{{ secrets.api_token }}}}"
  - send:
      on: announce.succeeded
      action: http.post
      with:
        url: "{base}/echo"
        headers:
          Authorization: "Bearer {{{{ secrets.api_token }}}}"
          X-Sig: "{{{{ secrets.signing_key }}}}"
        body:
          id: "{{{{ req.id }}}}"
      timeout: 5s
  - shout:
      on: send.succeeded
      action: shell.run
      with:
        command: 'echo "token=$TOKEN"; echo "err=$TOKEN" >&2'
        env:
          TOKEN: "{{{{ secrets.api_token }}}}"
      timeout: 5s
  - reject:
      on: shout.succeeded
      action: http.post
      with:
        url: "{base}/reject"
        headers:
          Authorization: "Bearer {{{{ secrets.api_token }}}}"
      timeout: 5s
{TAIL}"#,
        base = recv.base
    );
    let file = write(dir.path(), "vault.claw", &system);
    let secrets = write(
        dir.path(),
        "secrets.env",
        &format!("# test secrets\napi_token={FILE_SECRET}\n"),
    );
    let db = sqlite(dir.path());
    let srv = Server::start(
        &file,
        &db,
        &["--secrets", secrets.to_str().unwrap()],
        &[("CLAW_SECRET_SIGNING_KEY", ENV_SECRET)],
    );
    let run = hook(&srv.url, "vault", "call", json!({"req": {"id": "R1"}}));
    let ev = finished(&db, &run);
    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
    assert_eq!(ev["run"]["status"], "failed", "{ev}");

    // The adapters got the real values (from the file and from the environment)…
    let sent = recv.seen("/echo");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].headers["authorization"],
        format!("Bearer {FILE_SECRET}")
    );
    assert_eq!(sent[0].headers["x-sig"], ENV_SECRET);
    assert_eq!(
        recv.seen("/reject")[0].headers["authorization"],
        format!("Bearer {FILE_SECRET}")
    );
    let by_step = |kind: &str, step: &str| -> Value {
        ev["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == kind && e["step"] == step)
            .unwrap_or_else(|| panic!("no {kind} of {step}: {ev}"))
            .clone()
    };
    // …the log keeps references, and echoed values come back redacted.
    assert_eq!(
        by_step("step.attempt_started", "send")["data"]["params"]["headers"]["Authorization"],
        "Bearer secret://api_token"
    );
    let echoed = &by_step("step.succeeded", "send")["data"]["output"]["body"];
    assert_eq!(
        echoed,
        &json!({"authorization": "Bearer secret://api_token", "x-sig": "secret://signing_key"})
    );
    let shout = &by_step("step.succeeded", "shout")["data"]["output"];
    assert_eq!(shout["stdout"], "token=secret://api_token\n");
    assert_eq!(shout["stderr"], "err=secret://api_token\n");
    let err = by_step("step.failed", "reject")["data"]["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        err.contains("HTTP 400") && err.contains("Bearer secret://api_token"),
        "{err}"
    );

    // No value anywhere: the runtime's stdout and stderr, the inspection commands, the
    // database files.
    let mut places = vec![
        ("claw run stdout".to_string(), stopped.stdout.clone()),
        ("claw run stderr".to_string(), stopped.stderr.clone()),
    ];
    for args in [
        vec!["events", run.as_str(), "--format", "json"],
        vec!["events", run.as_str()],
        vec!["runs", "--format", "json"],
        vec!["runs"],
        vec!["status", "--format", "json"],
        vec!["dlq", "list", "--all", "--format", "json"],
    ] {
        let mut a = args.clone();
        a.extend(["--db", &db]);
        let o = cli(&a);
        assert_eq!(o.code, 0, "{args:?}: {}", o.stderr);
        places.push((
            format!("claw {args:?}"),
            format!("{}{}", o.stdout, o.stderr),
        ));
    }
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let p = entry.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("claw.db")
        {
            let bytes = std::fs::read(&p).unwrap();
            places.push((
                p.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
    for (place, text) in &places {
        for secret in [FILE_SECRET, ENV_SECRET] {
            assert!(
                !text.contains(secret),
                "{secret} leaked into {place}:\n{text}"
            );
        }
    }

    // Structured lines: every line about a step names the run and the step.
    let lines: Vec<&str> = stopped.stderr.lines().collect();
    let tagged = format!("run_id={run}");
    for step in ["wanted", "announce", "tell", "send", "shout", "reject"] {
        let tag = format!("step={step}");
        assert!(
            lines
                .iter()
                .any(|l| l.contains(&tagged) && l.split_whitespace().any(|w| w == tag)),
            "no line with {tagged} and {tag}:\n{}",
            stopped.stderr
        );
    }
    for l in &lines {
        if l.contains(" step=") {
            assert!(l.contains(&tagged), "a step line without its run: {l}");
        }
    }
    let line_of = |needle: &str| -> &str {
        lines
            .iter()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no `{needle}` line:\n{}", stopped.stderr))
    };
    let announce = line_of("calling for R1");
    assert!(announce.contains(" INFO "), "{announce}");
    assert!(announce.contains("step=announce") && announce.contains("system=vault"));
    // A `log.*` message that uses a secret shows the reference.
    let tell = line_of("about to use");
    assert!(
        tell.contains("about to use secret://signing_key and secret://api_token")
            && tell.contains(" WARN ")
            && tell.contains("step=tell"),
        "{tell}"
    );
    let failed = line_of("step failed");
    assert!(
        failed.contains(" ERROR ") && failed.contains("step=reject"),
        "{failed}"
    );
    let finished_line = line_of("run finished");
    assert!(
        finished_line.contains(&tagged) && finished_line.contains("status=\"failed\""),
        "{finished_line}"
    );
    // Plain text when stderr is not a terminal: no colour codes.
    assert!(!stopped.stderr.contains('\u{1b}'));
}

#[test]
fn metrics_count_runs_executions_retries_and_dead_letters() {
    let dir = tempfile::tempdir().unwrap();
    let recv = Receiver::start();
    recv.script(|s| {
        s.flaky.insert("/flaky".into());
        s.down.insert("/broken".into());
    });
    let system = format!(
        r#"system: mix
version: 1.0.0
triggers:
  - go:
      source: webhook
      idempotency: n
  - calm:
      source: webhook
decisions: []
execution:
  - note:
      on: go
      action: log.info
      with:
        message: "n={{{{ n }}}}"
  - flaky:
      on: note.succeeded
      action: http.post
      with:
        url: "{base}/flaky"
      retries: 2
      backoff: fixed 50ms
      timeout: 2s
  - broken:
      on: flaky.succeeded
      action: http.post
      with:
        url: "{base}/broken"
      retries: 1
      backoff: fixed 50ms
      timeout: 2s
      dead_letter: queue://mix.dlq
  - hush:
      on: calm
      action: log.debug
      with:
        message: calm
{TAIL}"#,
        base = recv.base
    );
    let file = write(dir.path(), "mix.claw", &system);
    let db = sqlite(dir.path());
    let srv = Server::start(&file, &db, &[], &[]);
    let m = metrics(&srv.url);
    assert_eq!(metric(&m, "claw_dlq_depth"), 0.0);
    let g1 = hook(&srv.url, "mix", "go", json!({"n": 1}));
    let g2 = hook(&srv.url, "mix", "go", json!({"n": 2}));
    let c1 = hook(&srv.url, "mix", "calm", json!({}));
    let (code, _) = http(
        "POST",
        &format!("{}/hooks/mix/go", srv.url),
        Some(r#"{"n": 1}"#),
    );
    assert_eq!(code, 200, "a duplicate");
    for r in [&g1, &g2] {
        assert_eq!(finished(&db, r)["run"]["status"], "failed");
    }
    assert_eq!(finished(&db, &c1)["run"]["status"], "succeeded");

    let m = metrics(&srv.url);
    let runs_ = |t: &str, o: &str| {
        metric(
            &m,
            &format!("claw_runs_total{{system=\"mix\",trigger=\"{t}\",outcome=\"{o}\"}}"),
        )
    };
    assert_eq!(runs_("go", "accepted"), 2.0);
    assert_eq!(runs_("go", "duplicate"), 1.0);
    assert_eq!(runs_("go", "failed"), 2.0);
    assert_eq!(runs_("calm", "accepted"), 1.0);
    assert_eq!(runs_("calm", "succeeded"), 1.0);
    assert!(
        !m.contains_key("claw_runs_total{system=\"mix\",trigger=\"go\",outcome=\"succeeded\"}")
    );
    let exec = |s: &str, o: &str| {
        m.get(&format!(
            "claw_executions_total{{system=\"mix\",step=\"{s}\",outcome=\"{o}\"}}"
        ))
        .copied()
        .unwrap_or(0.0)
    };
    let table: Vec<(&str, [f64; 5])> = ["note", "flaky", "broken", "hush"]
        .iter()
        .map(|s| {
            (
                *s,
                [
                    exec(s, "succeeded"),
                    exec(s, "attempt_failed"),
                    exec(s, "retried"),
                    exec(s, "dead_lettered"),
                    exec(s, "failed"),
                ],
            )
        })
        .collect();
    assert_eq!(
        table,
        vec![
            ("note", [2.0, 0.0, 0.0, 0.0, 0.0]),
            ("flaky", [2.0, 2.0, 2.0, 0.0, 0.0]),
            ("broken", [0.0, 4.0, 2.0, 2.0, 2.0]),
            ("hush", [1.0, 0.0, 0.0, 0.0, 0.0]),
        ],
        "succeeded, attempt_failed, retried, dead_lettered, failed"
    );
    assert_eq!(metric(&m, "claw_dlq_depth"), 2.0);
    // Latency histograms: one observation per finished run per trigger, one per attempt
    // per step; runs that waited for back-offs took at least those.
    let h = |family: &str, name: &str, part: &str| {
        metric(
            &m,
            &format!("claw_{family}_latency_seconds_{part}{{system=\"mix\",name=\"{name}\"}}"),
        )
    };
    assert_eq!(h("run", "go", "count"), 2.0);
    assert_eq!(h("run", "calm", "count"), 1.0);
    assert!(
        h("run", "go", "sum") >= 2.0 * 0.1,
        "two 50 ms back-offs per run"
    );
    assert_eq!(h("execution", "note", "count"), 2.0);
    assert_eq!(h("execution", "flaky", "count"), 4.0);
    assert_eq!(h("execution", "broken", "count"), 4.0);
    assert!(h("execution", "broken", "sum") > 0.0);
    assert_eq!(
        metric(
            &m,
            "claw_run_latency_seconds_bucket{le=\"+Inf\",system=\"mix\",name=\"go\"}"
        ),
        2.0
    );

    // Dropping a dead letter with the CLI while the runtime serves shows on the next scrape.
    let dl = cli_json(&["dlq", "list", "--db", &db, "--format", "json"]);
    let first = dl[0]["id"].as_i64().unwrap().to_string();
    cli_json(&["dlq", "drop", &first, "--db", &db, "--format", "json"]);
    assert_eq!(metric(&metrics(&srv.url), "claw_dlq_depth"), 1.0);
    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
}

/// A non-loopback IPv4 address of this machine, if it has one (no packet is sent: a UDP
/// connect only picks the route).
fn outward_address() -> Option<std::net::IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[test]
fn binds_loopback_by_default() {
    let help = cli(&["run", "--help"]);
    assert!(
        help.stdout.contains("[default: 127.0.0.1:8080]"),
        "{}",
        help.stdout
    );
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "desk.claw", &format!("{DESK}{TAIL}"));
    let db = sqlite(dir.path());
    let outward = outward_address();
    // Whether something else already answers on the outward address (then that check says
    // nothing about us and is skipped).
    let outward_taken = outward.is_some_and(|ip| {
        std::net::TcpStream::connect_timeout(&(ip, 8080).into(), Duration::from_secs(1)).is_ok()
    });
    let stderr = dir.path().join("default.stderr");
    let mut child = claw()
        .args(["run", file.to_str().unwrap(), "--db", &db])
        .stdout(Stdio::piped())
        .stderr(Stdio::from(std::fs::File::create(&stderr).unwrap()))
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    if line.is_empty() {
        // Port 8080 is taken on this machine: the refusal names the address it tried.
        let st = child.wait().unwrap();
        let err = std::fs::read_to_string(&stderr).unwrap();
        assert_eq!(st.code(), Some(2), "{err}");
        assert!(err.contains("cannot listen on 127.0.0.1:8080"), "{err}");
        return;
    }
    let server = Server {
        child,
        url: "http://127.0.0.1:8080".into(),
        stderr: stderr.clone(),
        stdout: Some(std::thread::spawn(move || {
            let mut rest = line;
            let _ = out.read_to_string(&mut rest);
            rest
        })),
    };
    let (code, body) = http("GET", "http://127.0.0.1:8080/healthz", None);
    assert_eq!((code, body.as_str()), (200, "ok\n"));
    if let (Some(ip), false) = (outward, outward_taken) {
        assert!(
            std::net::TcpStream::connect_timeout(&(ip, 8080).into(), Duration::from_secs(1))
                .is_err(),
            "claw run answered on {ip}:8080"
        );
    }
    let stopped = server.stop(SIGTERM);
    assert!(stopped.status.success());
    assert_eq!(
        stopped.stdout.lines().next(),
        Some("listening on http://127.0.0.1:8080")
    );
    assert!(
        stopped
            .stderr
            .contains("claw run is serving addr=127.0.0.1:8080"),
        "{}",
        stopped.stderr
    );
}

#[test]
fn json_logs_are_one_object_per_line_with_run_id_and_step() {
    let dir = tempfile::tempdir().unwrap();
    let system = format!(
        r#"system: jsonlog
version: 1.0.0
triggers:
  - call:
      source: webhook
      idempotency: req.id
decisions: []
execution:
  - announce:
      on: call
      action: log.info
      with:
        message: "hello {{{{ req.id }}}}"
{TAIL}"#
    );
    let file = write(dir.path(), "jsonlog.claw", &system);
    let db = sqlite(dir.path());
    let srv = Server::start(&file, &db, &["--log-format", "json"], &[]);
    let run = hook(&srv.url, "jsonlog", "call", json!({"req": {"id": "J1"}}));
    finished(&db, &run);
    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
    let lines: Vec<Value> = stopped
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(!lines.is_empty());
    assert!(
        lines
            .iter()
            .all(|l| l["level"].is_string() && l["timestamp"].is_string())
    );
    // The step's own line: its message, run id and step as fields.
    let step_line = lines
        .iter()
        .find(|l| l["fields"]["message"] == "hello J1")
        .unwrap_or_else(|| panic!("{}", stopped.stderr));
    assert_eq!(step_line["fields"]["run_id"], run.as_str(), "{step_line}");
    assert_eq!(step_line["fields"]["step"], "announce", "{step_line}");
    assert_eq!(step_line["level"], "INFO");
}

/// A durable delay across a real crash: the process is SIGKILLed while the step waits,
/// and the next `claw run` fires it once, not before its due time.
#[test]
fn a_delay_survives_a_sigkill_and_fires_once_after_the_restart() {
    const SIGKILL: i32 = 9;
    let dir = tempfile::tempdir().unwrap();
    let marks = dir.path().join("fired.txt");
    let system = format!(
        r#"system: later
version: 1.0.0
triggers:
  - call:
      source: webhook
      idempotency: req.id
decisions: []
execution:
  - remind:
      on: call
      delay: 2s
      action: shell.run
      with:
        command: 'echo "fired {{{{ req.id }}}}" >> "{marks}"'
      timeout: 5s
{TAIL}"#,
        marks = marks.display()
    );
    let file = write(dir.path(), "later.claw", &system);
    let db = sqlite(dir.path());
    let srv = Server::start(&file, &db, &[], &[]);
    let run = hook(&srv.url, "later", "call", json!({"req": {"id": "D1"}}));
    let scheduled = wait_for("the delay to be scheduled", Duration::from_secs(10), || {
        let ev = events(&db, &run);
        ev["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "step.delay_scheduled")
            .cloned()
    });
    let due = scheduled["data"]["due_at"].as_i64().unwrap();
    let killed = srv.stop(SIGKILL);
    assert!(!killed.status.success());
    assert!(!marks.exists(), "the step ran before its delay");

    let srv = Server::start(&file, &db, &[], &[]);
    let ev = finished(&db, &run);
    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
    assert_eq!(ev["run"]["status"], "succeeded", "{ev}");
    assert_eq!(std::fs::read_to_string(&marks).unwrap(), "fired D1\n");
    let at = |kind: &str| -> Vec<i64> {
        ev["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == kind)
            .map(|e| e["at"].as_i64().unwrap())
            .collect()
    };
    // Scheduled once (before the kill), fired once, at or after its due time.
    assert_eq!(at("step.delay_scheduled").len(), 1, "{ev}");
    let fired = at("step.delay_fired");
    assert_eq!(fired.len(), 1, "{ev}");
    assert!(fired[0] >= due, "fired at {} before due {due}", fired[0]);
    assert_eq!(at("step.succeeded").len(), 1, "{ev}");
}
