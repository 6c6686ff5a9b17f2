//! `digest.*` on SQLite and PostgreSQL: an append is applied once per idempotency key, a
//! `count` digest releases exactly once per count under concurrent appends (every entry in
//! exactly one batch, in append order), a manual release takes what is pending once, and
//! through the engine a run whose append releases nothing holds at that step.
//!
//! The Zapier behaviour encoded: Digest by Zapier's "Append Entry and Schedule Digest" with the
//! Threshold frequency releases the digest when it reaches the number of entries, and "Release
//! Existing Digest" releases it by hand (help.zapier.com, "Compile data in a digest in Zaps").

mod common;

use claw_runtime::engine::StartOptions;
use claw_runtime::store::digest::{DigestOp, DigestRequest};
use claw_runtime::{EventStore, SqlStore, UnixMillis};
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;

fn req(digest: &str, key: &str, op: DigestOp) -> DigestRequest {
    DigestRequest {
        system: "leads".into(),
        run_id: format!("run-{key}"),
        digest: digest.into(),
        idempotency_key: key.into(),
        op,
        separator: "\n".into(),
        now: UnixMillis(1),
    }
}

fn append(entry: &str, release_at: Option<u32>) -> DigestOp {
    DigestOp::Append {
        entry: json!(entry),
        release_at,
    }
}

#[tokio::test]
async fn a_repeated_append_adds_one_entry() {
    for db in common::databases().await {
        let store = SqlStore::connect(&db.url).await.unwrap();
        let first = store
            .apply_digest(&req("d", "r1:add", append("a", None)))
            .await
            .unwrap();
        let again = store
            .apply_digest(&req("d", "r1:add", append("a", None)))
            .await
            .unwrap();
        assert_eq!(first, again, "{}", db.label);
        assert_eq!(first, json!({"released": false, "name": "d", "pending": 1}));
        let out = store
            .apply_digest(&req("d", "r2:add", append("b", None)))
            .await
            .unwrap();
        assert_eq!(out["pending"], json!(2), "{}", db.label);
    }
}

/// 50 concurrent appends to a digest of 5: ten releases, each of five entries, every entry in
/// exactly one of them, each batch in append order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_release_every_entry_exactly_once() {
    for db in common::databases().await {
        let store = Arc::new(SqlStore::connect(&db.url).await.unwrap());
        let mut tasks = Vec::new();
        for i in 0..50 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let r = req(
                    "burst",
                    &format!("r{i}:add"),
                    append(&format!("e{i}"), Some(5)),
                );
                store.apply_digest(&r).await.unwrap()
            }));
        }
        let mut released = Vec::new();
        for t in tasks {
            let out = t.await.unwrap();
            if out["released"] == json!(true) {
                released.push(out);
            }
        }
        assert_eq!(released.len(), 10, "{}", db.label);
        let mut seen = BTreeSet::new();
        for out in &released {
            let entries = out["entries"].as_array().unwrap();
            assert_eq!(entries.len(), 5, "{}", db.label);
            assert_eq!(out["count"], json!(5));
            for e in entries {
                assert!(seen.insert(e.as_str().unwrap().to_string()), "{e} twice");
            }
        }
        assert_eq!(seen.len(), 50, "{}", db.label);
        // Nothing is left pending.
        let rest = store
            .apply_digest(&req("burst", "release", DigestOp::Release))
            .await
            .unwrap();
        assert_eq!(rest["released"], json!(false), "{}", db.label);
    }
}

#[tokio::test]
async fn a_manual_release_takes_what_is_pending_once() {
    for db in common::databases().await {
        let store = SqlStore::connect(&db.url).await.unwrap();
        for (i, e) in ["Ada", "Grace", "Alan"].iter().enumerate() {
            let out = store
                .apply_digest(&req("m", &format!("r{i}:add"), append(e, None)))
                .await
                .unwrap();
            assert_eq!(out["released"], json!(false));
        }
        let first = store
            .apply_digest(&req("m", "rel1", DigestOp::Release))
            .await
            .unwrap();
        assert_eq!(first["digest"], json!("Ada\nGrace\nAlan"), "{}", db.label);
        assert_eq!(first["entries"], json!(["Ada", "Grace", "Alan"]));
        // The same release step again (a retry) gets the same batch; another release, nothing.
        let retried = store
            .apply_digest(&req("m", "rel1", DigestOp::Release))
            .await
            .unwrap();
        assert_eq!(first, retried, "{}", db.label);
        let second = store
            .apply_digest(&req("m", "rel2", DigestOp::Release))
            .await
            .unwrap();
        assert_eq!(second["released"], json!(false), "{}", db.label);
        // Other digests are untouched by the release.
        let other = store
            .apply_digest(&req("other", "o1:add", append("x", None)))
            .await
            .unwrap();
        assert_eq!(other["pending"], json!(1), "{}", db.label);
    }
}

/// A system `name` whose manual trigger `lead` appends `name` to the digest `digest` (declared
/// with the `policy` lines), and whose `report` step logs the released digest.
fn collecting(name: &str, digest: &str, policy: &str) -> String {
    format!(
        "system: {name}
version: 1.0.0
triggers:
  - lead:
      source: manual
decisions: []
execution:
  - collect:
      on: lead
      action: digest.append
      with:
        digest: {digest}
        entry: \"{{{{ name }}}}\"
  - report:
      on: collect.succeeded
      action: log.info
      with:
        message: \"{{{{ steps.collect.output.digest }}}}\"
data:
  events:
    store: event-log
    retention: 30d
  digests:
    - {digest}:
{policy}observability:
  owner: ops
"
    )
}

/// Through the engine: the first run holds at `collect` (succeeded, `report` not run); the
/// second releases both names to `report`.
#[tokio::test]
async fn a_run_that_releases_nothing_holds_at_the_digest_step() {
    for db in common::databases().await {
        let dir = tempfile::tempdir().unwrap();
        let system = collecting(
            "leads",
            "batch",
            "        release: count\n        count: 2\n        separator: \", \"\n",
        );
        let rt = common::test_runtime(&db.url, dir.path(), &[("leads", system.as_str())], "").await;
        let mut runs = Vec::new();
        for name in ["Ada", "Grace"] {
            let run = rt
                .run_to_end(
                    "leads",
                    "lead",
                    json!({ "name": name }),
                    StartOptions::default(),
                )
                .await
                .unwrap();
            assert_eq!(run.status, "succeeded", "{}", db.label);
            runs.push(rt.store().events(&run.id).await.unwrap());
        }
        let kinds = |events: &[claw_runtime::store::EventRecord], step: &str| -> Vec<String> {
            events
                .iter()
                .filter(|e| e.step.as_deref() == Some(step))
                .map(|e| e.kind.clone())
                .collect()
        };
        assert!(kinds(&runs[0], "collect").contains(&"step.held".to_string()));
        assert!(kinds(&runs[0], "report").is_empty(), "{}", db.label);
        let started = runs[1]
            .iter()
            .find(|e| e.kind == "step.attempt_started" && e.step.as_deref() == Some("report"))
            .unwrap();
        assert_eq!(
            started.data["params"]["message"],
            json!("Ada, Grace"),
            "{}",
            db.label
        );
    }
}

fn scheduled() -> String {
    collecting(
        "daily",
        "today",
        "        release: schedule\n        schedule: \"0 9 * * *\"\n",
    )
}

/// Digest by Zapier's daily frequency: entries appended during the day are held, and at the
/// release time the Zap goes on from the Digest step once, with all of them
/// (help.zapier.com, "Compile data in a digest in Zaps"). A fire time is released once.
#[tokio::test]
async fn a_scheduled_digest_releases_into_a_run_that_goes_on_from_the_append_step() {
    use chrono::TimeZone;
    use claw_runtime::scheduler::Scheduler;
    for db in common::databases().await {
        let dir = tempfile::tempdir().unwrap();
        let rt =
            common::test_runtime(&db.url, dir.path(), &[("daily", scheduled().as_str())], "").await;
        let s = Scheduler::new(rt.clone()).unwrap();
        let at = |h, m| chrono::Utc.with_ymd_and_hms(2026, 1, 5, h, m, 0).unwrap();
        assert!(s.tick(at(8, 0)).await.unwrap().is_empty(), "{}", db.label);
        for name in ["Ada", "Grace"] {
            let run = rt
                .run_to_end(
                    "daily",
                    "lead",
                    json!({ "name": name }),
                    StartOptions::default(),
                )
                .await
                .unwrap();
            let events = rt.store().events(&run.id).await.unwrap();
            assert!(events.iter().any(|e| e.kind == "step.held"), "{}", db.label);
        }
        let started = s.tick(at(9, 0)).await.unwrap();
        assert_eq!(started.len(), 1, "{}", db.label);
        assert_eq!(common::wait_finished(&rt, &started[0]).await, "succeeded");
        let events = rt.store().events(&started[0]).await.unwrap();
        let report = events
            .iter()
            .find(|e| e.kind == "step.attempt_started" && e.step.as_deref() == Some("report"))
            .unwrap();
        assert_eq!(
            report.data["params"]["message"],
            json!("Ada\nGrace"),
            "{}",
            db.label
        );
        // The same fire time again (a restart before the mark moved) starts nothing new, and
        // the next day's release, with nothing pending, starts no run.
        let again = rt
            .release_digest("daily", "collect", at(9, 0))
            .await
            .unwrap();
        assert_eq!(again, None, "{}", db.label);
        let next_day = chrono::Utc.with_ymd_and_hms(2026, 1, 6, 9, 0, 0).unwrap();
        assert!(s.tick(next_day).await.unwrap().is_empty(), "{}", db.label);
    }
}

/// Retention deletes released entries older than its horizon and keeps pending ones, however
/// old: an entry not yet delivered is never lost to pruning.
#[tokio::test]
async fn retention_prunes_released_entries_and_keeps_pending_ones() {
    for db in common::databases().await {
        let store = SqlStore::connect(&db.url).await.unwrap();
        for i in 0..3 {
            store
                .apply_digest(&req("old", &format!("r{i}:add"), append("e", Some(2))))
                .await
                .unwrap();
        }
        store.prune("leads", UnixMillis(1_000)).await.unwrap();
        // The one entry left pending survives; a release gives it alone.
        let out = store
            .apply_digest(&req("old", "rel", DigestOp::Release))
            .await
            .unwrap();
        assert_eq!(out["count"], json!(1), "{}", db.label);
        if db.label == "sqlite" {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM digest_entries")
                .fetch_one(&pool)
                .await
                .unwrap();
            assert_eq!(
                left, 1,
                "the two entries released before the horizon are gone"
            );
        }
    }
}

/// A dry run (record-only) never takes entries from a real digest, even at a release time.
#[tokio::test]
async fn record_only_releases_nothing_on_schedule() {
    use chrono::TimeZone;
    for db in common::databases().await {
        let dir = tempfile::tempdir().unwrap();
        let rt = common::test_runtime_with(
            &db.url,
            dir.path(),
            &[("daily", scheduled().as_str())],
            "",
            |b| b.mode(claw_runtime::engine::Mode::RecordOnly),
        )
        .await;
        let store = SqlStore::connect(&db.url).await.unwrap();
        let mut r = req("today", "r1:collect", append("Ada", None));
        r.system = "daily".into();
        store.apply_digest(&r).await.unwrap();
        let fire = chrono::Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
        let out = rt.release_digest("daily", "collect", fire).await.unwrap();
        assert_eq!(out, None, "{}", db.label);
        let rest = store
            .apply_digest(&req("today", "real", DigestOp::Release))
            .await
            .unwrap();
        assert_eq!(rest["entries"], json!(["Ada"]), "{}", db.label);
    }
}

/// Record-only over its own in-memory store (shadow mode's runtime): the digest is simulated
/// there, so the run that fills it releases it and the steps after it are recorded, as the
/// legacy's releasing task did; the runs that only append hold and record nothing after.
#[tokio::test]
async fn record_only_on_a_scratch_store_releases_where_a_live_run_would() {
    let dir = tempfile::tempdir().unwrap();
    let system = collecting(
        "leads",
        "batch",
        "        release: count\n        count: 2\n        separator: \", \"\n",
    );
    let path = common::write_system(dir.path(), "leads", &system);
    let rt =
        claw_runtime::Runtime::record_only(vec![claw_runtime::LoadedSystem::load(&path).unwrap()])
            .await
            .unwrap();
    let mut recorded = Vec::new();
    for name in ["Ada", "Grace", "Linus"] {
        let sim = rt
            .simulate(
                "leads",
                "lead",
                json!({ "name": name }),
                StartOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(sim.status, "succeeded");
        recorded.push(
            sim.calls
                .iter()
                .map(|c| (c.step.clone(), c.params["message"].clone()))
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(recorded[0], [("collect".to_string(), json!(null))]);
    assert_eq!(
        recorded[1],
        [
            ("collect".to_string(), json!(null)),
            ("report".to_string(), json!("Ada, Grace"))
        ]
    );
    assert_eq!(recorded[2], [("collect".to_string(), json!(null))]);
}
