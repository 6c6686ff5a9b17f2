//! `claw fire`, through a running runtime and directly on the database.

#[path = "common/ops.rs"]
mod ops;

use ops::*;

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

/// `claw fire desk ticket --payload PAYLOAD`, then `rest`.
fn ticket<'a>(payload: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["fire", "desk", "ticket", "--payload", payload];
    args.extend(rest);
    args
}

// Long on purpose: one end-to-end scenario against a real `claw` process, whose steps
// read the state the previous ones left (database, receiver, server); split, each part
// would have to start its own server and rebuild that state.
#[test]
fn fire_through_a_running_runtime_and_directly_on_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "desk.claw", &format!("{DESK}{SLO_TAIL}"));
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
    let o = cli(&ticket(&p1, &["--direct", "--db", &db]));
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("never run against this database"),
        "{}",
        o.stderr
    );
    let fs = file.to_str().unwrap();
    let direct = ticket(
        &p1,
        &["--direct", "--file", fs, "--db", &db, "--format", "json"],
    );
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
    let ev = finished_on_a_second_attempt(&db, &batch);
    assert_eq!(ev["events"][3]["data"]["output"]["stdout"], "crunched\n");
    let fired = cli_json(&ticket(&p2, &["--url", &srv.url, "--format", "json"]));
    let t2 = fired["run_id"].as_str().unwrap().to_string();
    assert!(fired.get("duplicate").is_none(), "{fired}");
    assert_filed(&db, &t2, "coffee machine empty");
    let again = cli_json(&ticket(&p2, &["--url", &srv.url, "--format", "json"]));
    assert_eq!(again, json!({"run_id": t2, "duplicate": true}));
    let text = cli(&ticket(&p2, &["--url", &srv.url]));
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
    let o = cli(&ticket(&missing, &["--url", &srv.url]));
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("cannot read"), "{}", o.stderr);
    let o = cli(&ticket("{bad", &["--url", &srv.url]));
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
    let d3 = cli_json(&ticket(&p3, &["--direct", "--db", &db, "--format", "json"]));
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
