//! `claw dlq list|retry|drop` through the real binary on SQLite files, with `claw runs
//! --status` and `claw status` figures read along the way.

#[path = "common/ops.rs"]
mod ops;

use ops::*;

// Long on purpose: one end-to-end scenario against a real `claw` process, whose steps
// read the state the previous ones left (database, receiver, server); split, each part
// would have to start its own server and rebuild that state.
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
    assert_eq!(kinds(&ev), SUCCEEDED_AT_ONCE);
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
