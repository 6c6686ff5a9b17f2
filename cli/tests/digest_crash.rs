//! Exactly-once digests across a SIGKILL of the real `claw run`, on a SQLite file and, when
//! CLAW_TEST_POSTGRES_URL is set, on PostgreSQL.
//!
//! A burst of 40 webhooks each appends one entry to a digest released every 5 entries (after
//! a 2 s step delay), and a released batch is POSTed to a loopback receiver. While the runs
//! wait, the test applies the append of every fourth run itself, under the key its step will
//! carry (`<run id>:collect`): what the store holds when a process dies after the digest write
//! and before the step's completion event (some of those appends release a batch). The runtime
//! is killed once the first runs have finished, mid-burst, and restarted. Every accepted run
//! must finish, and every entry must be released exactly once: the batches the runs got hold
//! the 40 entries once each, 5 per batch, and nothing is left pending.

#[path = "common/ops.rs"]
mod ops;

use claw_runtime::store::digest::{DigestOp, DigestRequest};
use claw_runtime::{EventStore, SqlStore, UnixMillis};
use claw_testkit::db::TestDb;
use ops::*;
use std::collections::BTreeSet;

const SYSTEM: &str = "system: batcher
version: 1.0.0
triggers:
  - lead:
      source: webhook
      idempotency: lead.id
decisions: []
execution:
  - collect:
      on: lead
      action: digest.append
      with:
        digest: leads
        entry: \"{{ lead.id }}\"
      delay: 2s
      retries: 5
      backoff: exponential 50ms..500ms
      timeout: 10s
      dead_letter: queue://batcher.dlq
  - send:
      on: collect.succeeded
      action: http.post
      with:
        url: RECEIVER
        body:
          entries: \"{{ steps.collect.output.entries }}\"
      retries: 5
      backoff: exponential 50ms..500ms
      timeout: 10s
      dead_letter: queue://batcher.dlq
data:
  events:
    store: event-log
    retention: 30d
  digests:
    - leads:
        release: count
        count: 5
observability:
  owner: ops
";

fn append(run_id: &str, entry: &str) -> DigestRequest {
    DigestRequest {
        system: "batcher".into(),
        run_id: run_id.into(),
        digest: "leads".into(),
        idempotency_key: format!("{run_id}:collect"),
        op: DigestOp::Append {
            entry: json!(entry),
            release_at: Some(5),
        },
        separator: "\n".into(),
        now: UnixMillis::now(),
    }
}

fn start(db: &str, file: &Path) -> Server {
    Server::start(file, db, &[], &[("RUST_LOG", "warn")])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_never_loses_or_repeats_a_digest_entry() {
    on_every_database("digest crash", crash_case).await;
}

// Long on purpose: one scenario against a real `claw` process (burst, pre-applied appends,
// kill, restart, the final batches); split, each part would have to rebuild the others' state.
async fn crash_case(tdb: TestDb) {
    let l = tdb.label;
    let db = tdb.url.as_str();
    let recv = tokio::task::block_in_place(Receiver::start);
    let dir = tempfile::tempdir().unwrap();
    let text = SYSTEM.replace("RECEIVER", &format!("{}/batches", recv.base));
    let file = write(dir.path(), "batcher.claw", &text);
    let server = tokio::task::block_in_place(|| start(db, &file));
    let client = reqwest::Client::new();
    let mut accepted = Vec::new();
    for i in 0..40 {
        let body = json!({"lead": {"id": format!("l{i}")}});
        let id = hook_async(&client, &server.url, "batcher", "lead", &body).await;
        accepted.push((id, format!("l{i}")));
    }
    // The write a dying process left behind, for every fourth run, before its step ran.
    let store = SqlStore::connect(db).await.unwrap();
    for (id, entry) in accepted.iter().step_by(4) {
        store.apply_digest(&append(id, entry)).await.unwrap();
    }
    // Kill mid-burst: once the first runs are done (or after a while, whichever comes first).
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let unfinished = store.unfinished_runs().await.unwrap().len();
        if unfinished < accepted.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let left = store.unfinished_runs().await.unwrap().len();
    eprintln!(
        "{l}: killed with {left} of {} runs unfinished",
        accepted.len()
    );
    server.stop(SIGKILL);

    let restarted = tokio::task::block_in_place(|| start(db, &file));
    all_finished(&store, l).await;
    restarted.stop(SIGTERM);

    let mut released = Vec::new();
    for (id, _) in &accepted {
        let r = store.run(id).await.unwrap().unwrap();
        assert_eq!(r.status, "succeeded", "{l}: run {id}");
        let events = store.events(id).await.unwrap();
        let done = events
            .iter()
            .find(|e| {
                e.step.as_deref() == Some("collect")
                    && (e.kind == "step.succeeded" || e.kind == "step.held")
            })
            .unwrap_or_else(|| panic!("{l}: run {id} has no collect outcome"));
        if done.kind == "step.succeeded" {
            released.push(done.data["output"]["entries"].clone());
        }
    }
    assert_eq!(released.len(), 8, "{l}: 40 entries in batches of 5");
    let mut seen = BTreeSet::new();
    for batch in &released {
        let batch = batch.as_array().unwrap();
        assert_eq!(batch.len(), 5, "{l}: {batch:?}");
        for e in batch {
            assert!(
                seen.insert(e.as_str().unwrap().to_string()),
                "{l}: {e} twice"
            );
        }
    }
    assert_eq!(seen.len(), 40, "{l}: every entry released");
    let rest = DigestRequest {
        op: DigestOp::Release,
        ..append("final", "")
    };
    let rest = store.apply_digest(&rest).await.unwrap();
    assert_eq!(
        rest["released"],
        json!(false),
        "{l}: nothing left pending: {rest}"
    );
    // One POST per release (a retry after the kill repeats its idempotency key).
    let keys: BTreeSet<String> = recv.seen("/batches").into_iter().map(|s| s.key).collect();
    assert_eq!(keys.len(), 8, "{l}: {keys:?}");
}
