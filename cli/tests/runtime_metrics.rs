//! `claw run` `/metrics`: runs, executions, retries and dead letters counted.

#[path = "common/ops.rs"]
mod ops;

use ops::*;

// Long on purpose: one end-to-end scenario against a real `claw` process, whose steps
// read the state the previous ones left (database, receiver, server); split, each part
// would have to start its own server and rebuild that state.
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
{SLO_TAIL}"#,
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
    assert_eq!(metric(&m, "claw_system_dlq_depth{system=\"mix\"}"), 2.0);
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
