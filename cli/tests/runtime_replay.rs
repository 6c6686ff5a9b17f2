//! `claw backfill` and `claw replay` end to end through the real binary, on a SQLite file.

use serde_json::Value;
use std::process::Command;

const V1: &str = r#"system: orders
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
data:
  events:
    store: event-log
    retention: 30d
observability:
  owner: ops
"#;

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
    let db = format!("sqlite://{}", dir.path().join("claw.db").display());
    let (v1s, inputs) = (v1.to_str().unwrap(), input.to_str().unwrap());
    let window = ["--from", "2000-01-01", "--to", "2100-01-01"];

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
        &db,
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(out["fed"], 3);
    let calls: Vec<_> = out["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["calls"].as_array().unwrap().len())
        .collect();
    assert_eq!(calls, vec![0, 1, 1]);

    // The real backfill: three runs; the bad line is reported with its position.
    let (code, first, err) = claw(&[
        "backfill", "orders", "--input", inputs, "--file", v1s, "--db", &db, "--format", "json",
    ]);
    assert_eq!(code, 1, "a bad line makes the exit code 1: {err}");
    assert_eq!(first["fed"], 3);
    let bad = first["bad_lines"][0].as_str().unwrap();
    assert!(
        bad.starts_with("claw::runtime::bad_json:") && bad.contains("history.jsonl:3:"),
        "{bad}"
    );
    assert!(err.contains("history.jsonl:3:"), "{err}");
    let ids: Vec<String> = first["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run_id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        first["runs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "succeeded")
    );
    // Feeding the same file again starts nothing: the idempotency keys are taken.
    let (_, again, _) = claw(&[
        "backfill", "orders", "--input", inputs, "--file", v1s, "--db", &db, "--format", "json",
    ]);
    let again_ids: Vec<String> = again["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, again_ids);
    let (code, runs, _) = claw(&[
        "runs", "--system", "orders", "--db", &db, "--format", "json",
    ]);
    assert_eq!(code, 0);
    assert_eq!(runs.as_array().unwrap().len(), 3);

    // Replay through v2 as a dry run: recorded decisions are reused (A stays small)…
    let mut args = vec!["replay", "orders"];
    args.extend(window);
    args.extend([
        "--with",
        v2p.to_str().unwrap(),
        "--dry-run",
        "--db",
        &db,
        "--format",
        "json",
    ]);
    let (code, dry, err) = claw(&args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(dry["replayed"], 3);
    assert_eq!(dry["dry_run"], true);
    let by_original = |v: &Value, id: &str| -> Value {
        v["runs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["original"] == id)
            .unwrap()
            .clone()
    };
    let a = by_original(&dry, &ids[0]);
    assert_eq!(a["decisions"][0]["continue"], false);
    assert!(a["calls"].as_array().unwrap().is_empty());
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
        "v2's new step is recorded, not called"
    );
    assert_eq!(
        b["calls"][1]["params"]["url"],
        "https://erp.example.com/orders"
    );
    // …and with --redecide v2's lower threshold takes A too.
    let mut args2 = args.clone();
    args2.push("--redecide");
    let (_, redecided, _) = claw(&args2);
    let a = by_original(&redecided, &ids[0]);
    assert_eq!(a["decisions"][0]["continue"], true);
    assert_eq!(a["calls"].as_array().unwrap().len(), 2);
    // A dry run wrote nothing.
    let (_, runs, _) = claw(&[
        "runs", "--system", "orders", "--db", &db, "--format", "json",
    ]);
    assert_eq!(runs.as_array().unwrap().len(), 3);

    // A real replay through the stored version: three new runs naming their originals.
    let mut args = vec!["replay", "orders"];
    args.extend(window);
    args.extend(["--db", &db, "--format", "json"]);
    let (code, live, err) = claw(&args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(live["dry_run"], false);
    let replayed: Vec<(String, String)> = live["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["original"].as_str().unwrap().to_string(),
                r["run_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(replayed.len(), 3);
    for (orig, new) in &replayed {
        assert_ne!(orig, new);
        let (code, ev, _) = claw(&["events", new, "--db", &db, "--format", "json"]);
        assert_eq!(code, 0);
        assert_eq!(
            ev["events"][0]["data"]["origin"]["replay_of"],
            orig.as_str()
        );
        assert_eq!(ev["run"]["status"], "succeeded");
        let reused = ev["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "decision.made" && e["data"]["reused"] == true);
        assert!(reused, "the replay reused the recorded decision");
    }
    let (_, runs, _) = claw(&[
        "runs", "--system", "orders", "--db", &db, "--format", "json",
    ]);
    assert_eq!(runs.as_array().unwrap().len(), 6);
}

#[test]
fn replay_refuses_a_backwards_window_and_an_unknown_system() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("claw.db").display());
    let (code, _, err) = claw(&[
        "replay",
        "orders",
        "--from",
        "2026-02-01",
        "--to",
        "2026-01-01",
        "--db",
        &db,
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("--to must be after --from"), "{err}");
    let (code, _, err) = claw(&[
        "replay",
        "nobody",
        "--from",
        "2026-01-01",
        "--to",
        "2026-02-01",
        "--db",
        &db,
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("never run against this database"), "{err}");
}
