//! `claw compile`: exit codes, the files written (equal to golden/compile, which
//! claw-compile's own test keeps), a located error for a system that does not check, and the
//! drift test: the `/metrics` text of a real `claw run` on SQLite fed to `promtool test rules`
//! as input series, so a metric or label the rules read and the runtime no longer emits fails.

#[path = "common/ops.rs"]
mod ops;

use ops::*;
use std::path::Path;

fn root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn compiles_the_samples_as_the_golden_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rules");
    let samples = root().join("samples/systems");
    for (target, sub) in [
        ("prometheus", "prometheus"),
        ("alertmanager", "alertmanager"),
    ] {
        let json = cli_json(&[
            "compile",
            samples.to_str().unwrap(),
            "--target",
            target,
            "-o",
            out.to_str().unwrap(),
            "--format",
            "json",
        ]);
        assert_eq!(json["findings"], serde_json::json!([]));
        let files = json["files"].as_array().unwrap();
        assert!(!files.is_empty());
        for f in files {
            let p = Path::new(f.as_str().unwrap());
            let name = p.file_name().unwrap();
            let golden = root().join("golden/compile").join(sub).join(name);
            assert_eq!(
                std::fs::read_to_string(p).unwrap(),
                std::fs::read_to_string(&golden).unwrap(),
                "{} differs from {}",
                p.display(),
                golden.display()
            );
        }
    }
}

/// `claw compile INPUT --target prometheus -o OUT`.
fn to_prometheus(input: &str, out: &Path) -> Out {
    cli(&[
        "compile",
        input,
        "--target",
        "prometheus",
        "-o",
        out.to_str().unwrap(),
    ])
}

#[test]
fn exit_codes_and_a_located_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let bad = root().join("samples/broken/bad_expression-alert.claw");
    let o = to_prometheus(bad.to_str().unwrap(), &out);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr.contains("bad_expression-alert.claw:"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("nothing written"), "{}", o.stderr);
    assert!(!out.exists());
    let o = to_prometheus("/nonexistent.claw", &out);
    assert_eq!(o.code, 2, "{}", o.stderr);
    let o = cli(&["compile", "x.claw", "-o", out.to_str().unwrap()]);
    assert_eq!(o.code, 2, "--target is required: {}", o.stderr);
    // An alert PromQL cannot say: a located warning, the rest written, exit 1.
    let sys = format!(
        "system: dlq\nversion: 1.0.0\ntriggers:\n  - go:\n      source: webhook\ndecisions: []\nexecution:\n  - note:\n      on: go\n      action: log.info\n      with:\n        message: hi\n{}  alerts:\n    - on: running > 0\n      route: slack://ops\n",
        SLO_TAIL
    );
    let file = write(dir.path(), "dlq.claw", &sys);
    let o = to_prometheus(file.to_str().unwrap(), &out);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr.contains("claw::compile::untranslatable"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("dlq.claw:"), "located: {}", o.stderr);
    assert!(out.join("dlq.rules.yml").exists());
}

/// The drift system: `go` runs succeed, `bad` runs fail (their step posts to a closed port)
/// and leave a dead letter.
fn drift_system(closed: u16) -> String {
    format!(
        r#"system: drift
version: 1.0.0
triggers:
  - go:
      source: webhook
  - bad:
      source: webhook
decisions: []
execution:
  - note:
      on: go
      action: log.info
      with:
        message: ok
  - post:
      on: bad
      action: http.post
      with:
        url: "http://127.0.0.1:{closed}/x"
      retries: 0
      timeout: 1s
      dead_letter: queue://drift.dlq
{data}observability:
  slo:
    error_rate: <1%
    go_latency_p95: 5s
  alerts:
    - on: error_rate > 10%
      route: slack://ops
    - on: dlq_depth > 0
      route: slack://ops
  owner: ops
"#,
        data = claw_testkit::systems::DATA
    )
}

/// The scraped exposition as promtool input series: every sample becomes a counter growing by
/// its scraped value each minute, so ratios between series are those of the real run.
fn as_input_series(exposition: &str) -> String {
    let mut out = String::new();
    for (series, value) in parse_metrics(exposition) {
        out.push_str(&format!(
            "  - series: '{series}'\n    values: '0+{value}x300'\n"
        ));
    }
    out
}

// Long on purpose: one scenario against a real `claw` process (runs, scrape, compile, promtool);
// split, each part would need the same server and runs again.
#[test]
fn the_rules_read_the_metrics_a_real_run_emits() {
    let Some(promtool) =
        claw_testkit::tools::tool("promtool", "prometheus", "compile metrics drift")
    else {
        return;
    };
    assert_eq!(
        claw_compile::promql::LATENCY_BUCKETS,
        claw_runtime::metrics::LATENCY_BUCKETS,
        "the unit tests' synthetic buckets are the runtime's"
    );
    let dir = tempfile::tempdir().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let file = write(dir.path(), "drift.claw", &drift_system(port));
    let db = sqlite(dir.path());
    let srv = Server::start(&file, &db, &[], &[]);
    let ids: Vec<String> = [("go", 1), ("go", 2), ("go", 3), ("bad", 4)]
        .iter()
        .map(|(t, n)| hook(&srv.url, "drift", t, serde_json::json!({ "n": n })))
        .collect();
    for id in &ids {
        finished(&db, id);
    }
    let (code, exposition) = http("GET", &format!("{}/metrics", srv.url), None);
    assert_eq!(code, 200);
    let out = dir.path().join("rules");
    cli_json(&[
        "compile",
        file.to_str().unwrap(),
        "--target",
        "prometheus",
        "-o",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]);
    // One failed run in four finished: the recorded error ratio is 0.25, the p95 latency of
    // `go` exists, and the file's two alerts (error_rate > 10%, dlq_depth > 0: the failed run
    // left a dead letter) fire, all from the real names.
    let test = format!(
        r#"rule_files:
  - drift.rules.yml
evaluation_interval: 1m
tests:
- interval: 1m
  input_series:
{series}  promql_expr_test:
  - expr: claw:run_error_ratio:rate1h{{system="drift"}}
    eval_time: 2h
    exp_samples:
    - labels: 'claw:run_error_ratio:rate1h{{system="drift"}}'
      value: 0.25
  - expr: count(claw:run_latency_seconds:p95_rate1h{{system="drift",trigger="go"}} >= 0)
    eval_time: 2h
    exp_samples:
    - labels: '{{}}'
      value: 1
  - expr: count(ALERTS{{alertname="ClawAlert",system="drift",alertstate="firing"}})
    eval_time: 2h
    exp_samples:
    - labels: '{{}}'
      value: 2
"#,
        series = as_input_series(&exposition)
    );
    std::fs::write(out.join("drift.real.test.yml"), test).unwrap();
    let o = std::process::Command::new(promtool)
        .args(["test", "rules", "drift.real.test.yml"])
        .current_dir(&out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "promtool on the real exposition:\n{}{}\nexposition:\n{exposition}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn two_files_defining_one_system_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = root().join("samples/systems/dispatch.claw");
    let copy = dir.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    std::fs::copy(&a, copy.join("dispatch.claw")).unwrap();
    std::fs::create_dir(copy.join("policies")).unwrap();
    for p in std::fs::read_dir(root().join("samples/systems/policies")).unwrap() {
        let p = p.unwrap().path();
        std::fs::copy(&p, copy.join("policies").join(p.file_name().unwrap())).unwrap();
    }
    let out = dir.path().join("out");
    let o = cli(&[
        "compile",
        a.to_str().unwrap(),
        copy.to_str().unwrap(),
        "--target",
        "alertmanager",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr.contains("two files define system `dispatch`"),
        "{}",
        o.stderr
    );
    assert!(!out.exists());
}
