//! Exactly-once `state.increment` across a SIGKILL of the real `claw run`, on a SQLite file and,
//! when CLAW_TEST_POSTGRES_URL is set, on PostgreSQL.
//!
//! A burst of webhooks each increments one counter after a 2 s step delay. While the runs wait,
//! the test applies the increment of some of them itself, under the key their step will carry
//! (`<run id>:count`): exactly what the store holds when a process dies after the state write
//! and before the step's completion event. Then the runtime is killed mid-burst and restarted.
//! Every accepted run must count once: the counter equals the number of accepted runs, and a
//! pre-applied run's step returns the remembered output instead of adding again.

#[path = "common/ops.rs"]
mod ops;

use claw_runtime::store::state::{StateOp, StateRequest};
use claw_runtime::{EventStore, SqlStore, UnixMillis};
use claw_testkit::db::TestDb;
use ops::*;

const SYSTEM: &str = "system: tally
version: 1.0.0
triggers:
  - signup:
      source: webhook
      idempotency: signup.id
decisions: []
execution:
  - count:
      on: signup
      action: state.increment
      with:
        store: counters
        key: signups
      delay: 2s
      retries: 5
      backoff: exponential 50ms..500ms
      timeout: 10s
      dead_letter: queue://tally.dlq
data:
  events:
    store: event-log
    retention: 30d
  state:
    - counters:
        description: Signup totals.
observability:
  owner: ops
";

fn request(run_id: &str, op: StateOp) -> StateRequest {
    StateRequest {
        system: "tally".into(),
        store: "counters".into(),
        idempotency_key: format!("{run_id}:count"),
        op,
        ttl: None,
        now: UnixMillis::now(),
    }
}

fn start(db: &str, file: &Path) -> Server {
    Server::start(file, db, &[], &[("RUST_LOG", "warn")])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_never_counts_a_run_twice() {
    on_every_database("state crash", crash_case).await;
}

// Long on purpose: one scenario against a real `claw` process (burst, pre-applied writes,
// kill, restart, the final count); split, each part would have to rebuild the others' state.
async fn crash_case(tdb: TestDb) {
    let l = tdb.label;
    let db = tdb.url.as_str();
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "tally.claw", SYSTEM);
    let server = tokio::task::block_in_place(|| start(db, &file));
    let client = reqwest::Client::new();
    let mut accepted = Vec::new();
    for i in 0..40 {
        let body = json!({"signup": {"id": format!("s{i}")}});
        accepted.push(hook_async(&client, &server.url, "tally", "signup", &body).await);
    }
    // The write a dying process left behind, for every fourth run, before its step ran.
    let store = SqlStore::connect(db).await.unwrap();
    let pre: Vec<&String> = accepted.iter().step_by(4).collect();
    for id in &pre {
        let inc = StateOp::Increment {
            key: "signups".into(),
            amount: 1.0,
        };
        store.apply_state(&request(id, inc)).await.unwrap();
    }
    let unfinished = store.unfinished_runs().await.unwrap().len();
    assert!(unfinished > 0, "{l}: the kill should leave runs waiting");
    server.stop(SIGKILL);

    let restarted = tokio::task::block_in_place(|| start(db, &file));
    all_finished(&store, l).await;
    restarted.stop(SIGTERM);

    for id in &accepted {
        let r = store.run(id).await.unwrap().unwrap();
        assert_eq!(r.status, "succeeded", "{l}: run {id}");
    }
    let get = StateOp::Get {
        key: "signups".into(),
        default: Value::Null,
    };
    let total = store.apply_state(&request("final", get)).await.unwrap();
    assert_eq!(
        total["value"],
        json!(accepted.len()),
        "{l}: each accepted run counts once"
    );
    // A pre-applied run's step gave the remembered output: the value it got when applied.
    let first = pre[0];
    let ev = store.events(first).await.unwrap();
    let out = ev
        .iter()
        .find(|e| e.kind == "step.succeeded")
        .map(|e| e.data["output"].clone())
        .unwrap_or_else(|| panic!("{l}: no step output for {first}"));
    assert_eq!(out["value"], json!(1), "{l}: {out}");
}
