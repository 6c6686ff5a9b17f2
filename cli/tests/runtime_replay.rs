//! `claw backfill` and `claw replay` end to end through the real binary, on a SQLite file
//! and, when CLAW_TEST_POSTGRES_URL is set, on a fresh PostgreSQL database.

use claw_testkit::db as pg;

use pg::TestDb;
use serde_json::Value;
use std::process::Command;

const V1: &str = claw_testkit::with_tail!(
    r#"system: orders
version: 1.0.0
triggers:
  - order_created:
      source: webhook
      idempotency: order.id
decisions:
  - big:
      when: order.total > 100
      emits: big_order
execution:
  - note:
      on: big_order
      action: log.info
      with:
        message: "big order {{ order.id }}"
"#
);

fn v2() -> String {
    V1.replace("order.total > 100", "order.total > 10")
        .replace("version: 1.0.0", "version: 2.0.0")
        .replace(
            "data:\n",
            "  - ship:\n      on: note.succeeded\n      action: http.post\n      with:\n        url: https://erp.example.com/orders\n        body:\n          id: \"{{ order.id }}\"\ndata:\n",
        )
}

fn claw(args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_claw"))
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), json, stderr)
}

#[test]
fn backfill_then_replay_through_a_new_version() {
    for db in pg::databases_blocking() {
        backfill_then_replay(&db);
    }
}

// Long on purpose: one end-to-end scenario against a real `claw` process, whose steps
// read the state the previous ones left (database, receiver, server); split, each part
// would have to start its own server and rebuild that state.
fn backfill_then_replay(tdb: &TestDb) {
    let l = tdb.label;
    let db = tdb.url.as_str();
    let dir = tempfile::tempdir().unwrap();
    let v1 = dir.path().join("orders.claw");
    std::fs::write(&v1, V1).unwrap();
    let v2p = dir.path().join("orders-v2.claw");
    std::fs::write(&v2p, v2()).unwrap();
    let input = dir.path().join("history.jsonl");
    std::fs::write(
        &input,
        "{\"order\": {\"id\": \"A\", \"total\": 50}}\n{\"order\": {\"id\": \"B\", \"total\": 150}}\n{\"order\": \n\n{\"order\": {\"id\": \"C\", \"total\": 500}}\n",
    )
    .unwrap();
    let (v1s, inputs) = (v1.to_str().unwrap(), input.to_str().unwrap());
    let window = ["--from", "2000-01-01", "--to", "2100-01-01"];
    let run_ids = |v: &Value| -> Vec<String> {
        v["runs"]
            .as_array()
            .unwrap_or_else(|| panic!("{l}: no runs in {v}"))
            .iter()
            .map(|r| r["run_id"].as_str().unwrap().to_string())
            .collect()
    };
    let count_runs = || -> usize {
        let (code, runs, err) =
            claw(&["runs", "--system", "orders", "--db", db, "--format", "json"]);
        assert_eq!(code, 0, "{l}: claw runs: {err}");
        runs.as_array()
            .unwrap_or_else(|| panic!("{l}: claw runs printed {runs}"))
            .len()
    };

    // A dry-run backfill writes nothing and shows what would be done.
    let (code, out, err) = claw(&[
        "backfill",
        "orders",
        "--input",
        inputs,
        "--file",
        v1s,
        "--dry-run",
        "--db",
        db,
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{l}: {err}");
    assert_eq!(out["fed"], 3, "{l}: {out}");
    let calls: Vec<_> = out["runs"]
        .as_array()
        .unwrap_or_else(|| panic!("{l}: {out}"))
        .iter()
        .map(|r| r["calls"].as_array().unwrap().len())
        .collect();
    assert_eq!(calls, vec![0, 1, 1], "{l}");

    // The real backfill: three runs; the bad line is reported with its position.
    let (code, first, err) = claw(&[
        "backfill", "orders", "--input", inputs, "--file", v1s, "--db", db, "--format", "json",
    ]);
    assert_eq!(code, 1, "{l}: a bad line makes the exit code 1: {err}");
    assert_eq!(first["fed"], 3, "{l}: {first}");
    let bad = first["bad_lines"][0]
        .as_str()
        .unwrap_or_else(|| panic!("{l}: {first}"));
    assert!(
        bad.starts_with("claw::runtime::bad_json:") && bad.contains("history.jsonl:3:"),
        "{l}: {bad}"
    );
    assert!(err.contains("history.jsonl:3:"), "{l}: {err}");
    let ids = run_ids(&first);
    assert!(
        first["runs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "succeeded"),
        "{l}: {first}"
    );
    // Feeding the same file again starts nothing: the idempotency keys are taken.
    let (_, again, _) = claw(&[
        "backfill", "orders", "--input", inputs, "--file", v1s, "--db", db, "--format", "json",
    ]);
    assert_eq!(ids, run_ids(&again), "{l}: the second backfill's run ids");
    assert_eq!(count_runs(), 3, "{l}: runs after two backfills");

    // Replay through v2 as a dry run: recorded decisions are reused (A stays small)…
    let mut args = vec!["replay", "orders"];
    args.extend(window);
    args.extend([
        "--with",
        v2p.to_str().unwrap(),
        "--dry-run",
        "--db",
        db,
        "--format",
        "json",
    ]);
    let (code, dry, err) = claw(&args);
    assert_eq!(code, 0, "{l}: {err}");
    assert_eq!(dry["replayed"], 3, "{l}: {dry}");
    assert_eq!(dry["dry_run"], true, "{l}: {dry}");
    let by_original = |v: &Value, id: &str| -> Value {
        v["runs"]
            .as_array()
            .unwrap_or_else(|| panic!("{l}: {v}"))
            .iter()
            .find(|r| r["original"] == id)
            .unwrap_or_else(|| panic!("{l}: no replay of {id} in {v}"))
            .clone()
    };
    let a = by_original(&dry, &ids[0]);
    assert_eq!(a["decisions"][0]["continue"], false, "{l}: {a}");
    assert!(a["calls"].as_array().unwrap().is_empty(), "{l}: {a}");
    let b = by_original(&dry, &ids[1]);
    let actions: Vec<_> = b["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actions,
        vec!["log.info", "http.post"],
        "{l}: v2's new step is recorded, not called"
    );
    assert_eq!(
        b["calls"][1]["params"]["url"], "https://erp.example.com/orders",
        "{l}: {b}"
    );
    // …and with --redecide v2's lower threshold takes A too.
    let mut args2 = args.clone();
    args2.push("--redecide");
    let (_, redecided, _) = claw(&args2);
    let a = by_original(&redecided, &ids[0]);
    assert_eq!(a["decisions"][0]["continue"], true, "{l}: {a}");
    assert_eq!(a["calls"].as_array().unwrap().len(), 2, "{l}: {a}");
    // A dry run wrote nothing.
    assert_eq!(count_runs(), 3, "{l}: runs after the dry-run replays");

    // A real replay through the stored version: three new runs naming their originals.
    let mut args = vec!["replay", "orders"];
    args.extend(window);
    args.extend(["--db", db, "--format", "json"]);
    let (code, live, err) = claw(&args);
    assert_eq!(code, 0, "{l}: {err}");
    assert_eq!(live["dry_run"], false, "{l}: {live}");
    let replayed: Vec<(String, String)> = live["runs"]
        .as_array()
        .unwrap_or_else(|| panic!("{l}: {live}"))
        .iter()
        .map(|r| {
            (
                r["original"].as_str().unwrap().to_string(),
                r["run_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(replayed.len(), 3, "{l}: {live}");
    for (orig, new) in &replayed {
        assert_ne!(orig, new, "{l}");
        let (code, ev, err) = claw(&["events", new, "--db", db, "--format", "json"]);
        assert_eq!(code, 0, "{l}: claw events {new}: {err}");
        assert_eq!(
            ev["events"][0]["data"]["origin"]["replay_of"],
            orig.as_str(),
            "{l}: {ev}"
        );
        assert_eq!(ev["run"]["status"], "succeeded", "{l}: {ev}");
        let reused = ev["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "decision.made" && e["data"]["reused"] == true);
        assert!(reused, "{l}: the replay reused the recorded decision");
    }
    assert_eq!(count_runs(), 6, "{l}: runs after the real replay");
}

#[test]
fn replay_refuses_a_backwards_window_and_an_unknown_system() {
    for db in pg::databases_blocking() {
        replay_refuses(&db);
    }
}

fn replay_refuses(tdb: &TestDb) {
    let l = tdb.label;
    let db = tdb.url.as_str();
    let (code, _, err) = claw(&[
        "replay",
        "orders",
        "--from",
        "2026-02-01",
        "--to",
        "2026-01-01",
        "--db",
        db,
    ]);
    assert_ne!(code, 0, "{l}");
    assert!(err.contains("--to must be after --from"), "{l}: {err}");
    let (code, _, err) = claw(&[
        "replay",
        "nobody",
        "--from",
        "2026-01-01",
        "--to",
        "2026-02-01",
        "--db",
        db,
    ]);
    assert_ne!(code, 0, "{l}");
    assert!(
        err.contains("never run against this database"),
        "{l}: {err}"
    );
}
