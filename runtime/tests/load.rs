//! The runtime under sustained load (issue 11), one regression test per cause found:
//! a caller dropped after the commit, a lost driver, the WAL under concurrent readers,
//! and the run statistics the SLO figures read instead of the runs. SQLite files, and
//! PostgreSQL when CLAW_TEST_POSTGRES_URL is set.

mod common;

use chrono::Utc;
use claw_runtime::slo::histogram::WindowStats;
use claw_runtime::store::{
    Accepted, DeadLetterRecord, EventRecord, NewEvent, NewRun, QueueMessage, RunFilter, RunRecord,
    StoreError, Write,
};
use claw_runtime::watchdog::Watchdog;
use claw_runtime::{EventStore, LoadedSystem, Runtime, SqlStore, StartOptions, UnixMillis};
use common::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

const SYSTEM: &str = claw_testkit::with_slo_tail!(
    r#"system: orders
version: 1.0.0
triggers:
  - order:
      source: webhook
      idempotency: id
decisions: []
execution:
  - note:
      on: order
      action: log.debug
      with:
        message: "order {{ id }}"
"#
);

async fn runtime_over(store: Arc<dyn EventStore>, text: &str) -> (tempfile::TempDir, Runtime) {
    let dir = tempfile::tempdir().unwrap();
    let p = write_system(dir.path(), "orders", text);
    let rt = Runtime::builder(store)
        .system(LoadedSystem::load(&p).unwrap())
        .build()
        .await
        .unwrap();
    (dir, rt)
}

async fn running(store: &dyn EventStore) -> usize {
    store.flush().await.unwrap();
    store.unfinished_runs().await.unwrap().len()
}

/// A store whose acceptances are durable at once but answered late: the window in which
/// an HTTP handler whose client went away used to be dropped, after the commit and before
/// the run's driver started.
struct SlowAnswers(SqlStore);

#[async_trait::async_trait]
impl EventStore for SlowAnswers {
    async fn commit(&self, ops: Vec<Write>) -> Result<Vec<Accepted>, StoreError> {
        let accept = ops.iter().any(|w| matches!(w, Write::Accept(..)));
        let r = self.0.commit(ops).await;
        if accept {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        r
    }
    async fn run(&self, id: &str) -> Result<Option<RunRecord>, StoreError> {
        self.0.run(id).await
    }
    async fn runs(&self, f: &RunFilter) -> Result<Vec<RunRecord>, StoreError> {
        self.0.runs(f).await
    }
    async fn unfinished_runs(&self) -> Result<Vec<RunRecord>, StoreError> {
        self.0.unfinished_runs().await
    }
    async fn events(&self, run_id: &str) -> Result<Vec<EventRecord>, StoreError> {
        self.0.events(run_id).await
    }
    async fn dead_letters(&self, s: Option<&str>) -> Result<Vec<DeadLetterRecord>, StoreError> {
        self.0.dead_letters(s).await
    }
    async fn set_dead_letter_state(&self, id: i64, f: &str, t: &str) -> Result<bool, StoreError> {
        self.0.set_dead_letter_state(id, f, t).await
    }
    async fn queue_messages(&self, q: &str) -> Result<Vec<QueueMessage>, StoreError> {
        self.0.queue_messages(q).await
    }
    async fn schedule_mark(&self, s: &str, t: &str) -> Result<Option<i64>, StoreError> {
        self.0.schedule_mark(s, t).await
    }
    async fn take_queue_slot(
        &self,
        scope: &str,
        queue: &str,
        now: claw_runtime::UnixMillis,
        spacing: claw_runtime::Millis,
    ) -> Result<claw_runtime::UnixMillis, StoreError> {
        self.0.take_queue_slot(scope, queue, now, spacing).await
    }
    async fn save_source(
        &self,
        s: &str,
        p: &str,
        src: &str,
        at: UnixMillis,
    ) -> Result<(), StoreError> {
        self.0.save_source(s, p, src, at).await
    }
    async fn latest_source(&self, s: &str) -> Result<Option<(String, String)>, StoreError> {
        self.0.latest_source(s).await
    }
    async fn run_stats(
        &self,
        s: Option<&str>,
        from: UnixMillis,
        to: UnixMillis,
    ) -> Result<Vec<claw_runtime::slo::histogram::StatsRow>, StoreError> {
        self.0.run_stats(s, from, to).await
    }
    async fn open_dead_letter_counts(&self) -> Result<BTreeMap<String, u64>, StoreError> {
        self.0.open_dead_letter_counts().await
    }
    async fn running_before(&self, b: UnixMillis, l: i64) -> Result<Vec<RunRecord>, StoreError> {
        self.0.running_before(b, l).await
    }
    async fn prune(&self, s: &str, before: UnixMillis) -> Result<u64, StoreError> {
        self.0.prune(s, before).await
    }
    async fn flush(&self) -> Result<(), StoreError> {
        self.0.flush().await
    }
}

#[tokio::test]
async fn a_caller_dropped_after_the_commit_still_gets_its_run_driven() {
    for db in databases().await {
        let store = SlowAnswers(SqlStore::connect(&db.url).await.unwrap());
        let (_dir, rt) = runtime_over(Arc::new(store), SYSTEM).await;
        for i in 0..5 {
            // The caller gives up while the commit is durable but not yet answered.
            let gave_up = tokio::time::timeout(
                Duration::from_millis(50),
                rt.accept("orders", "order", json!({"id": i}), StartOptions::default()),
            )
            .await;
            assert!(gave_up.is_err(), "{}: the answer came early", db.label);
        }
        let store = rt.store().clone();
        let done = eventually(Duration::from_secs(20), || {
            let store = store.clone();
            async move {
                let all = store.runs(&RunFilter::default()).await.unwrap();
                all.len() == 5 && all.iter().all(|r| r.status == "succeeded")
            }
        })
        .await;
        assert!(
            done,
            "{}: accepted runs were left without a driver",
            db.label
        );
        rt.drain(Duration::from_secs(5)).await.unwrap();
    }
}

#[tokio::test]
async fn a_client_that_disconnects_right_after_sending_gets_its_run_finished() {
    for db in databases().await {
        let store = SqlStore::connect(&db.url).await.unwrap();
        let (_dir, rt) = runtime_over(Arc::new(store), SYSTEM).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(claw_runtime::server::serve(
            listener,
            rt.clone(),
            1 << 20,
            std::future::pending(),
        ));
        for i in 0..20 {
            let body = format!("{{\"id\": \"d{i}\"}}");
            let req = format!(
                "POST /hooks/orders/order HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.write_all(req.as_bytes()).await.unwrap();
            // Gone before any answer: both directions closed.
            drop(s);
        }
        let store = rt.store().clone();
        // Every delivery that was stored reaches a final state without a restart.
        let settled = eventually(Duration::from_secs(20), || {
            let store = store.clone();
            async move { running(store.as_ref()).await == 0 }
        })
        .await;
        assert!(settled, "{}: runs stayed `running`", db.label);
        rt.drain(Duration::from_secs(5)).await.unwrap();
    }
}

/// Stores a run the way an acceptance does, but starts no driver (a lost driver).
async fn orphan(store: &dyn EventStore, id: &str, at: i64) {
    store
        .commit(vec![Write::Accept(
            NewRun {
                id: id.to_string(),
                system: "orders".into(),
                trigger: "order".into(),
                idempotency_key: id.to_string(),
                payload: json!({"id": id}),
                received_at: UnixMillis(at),
                scheduled_at: None,
            },
            NewEvent {
                run_id: id.to_string(),
                system: "orders".into(),
                at: UnixMillis(at),
                kind: "trigger.received".into(),
                step: None,
                attempt: None,
                data: json!({"trigger": "order", "event": "order", "idempotency_key": id, "origin": Value::Null}),
            },
        )])
        .await
        .unwrap();
}

#[tokio::test]
async fn a_run_whose_driver_is_lost_is_detected_and_finished() {
    for db in databases().await {
        let store = SqlStore::connect(&db.url).await.unwrap();
        let (_dir, rt) = runtime_over(Arc::new(store), SYSTEM).await;
        let now = Utc::now();
        let id = uuid::Uuid::now_v7().to_string();
        orphan(rt.store().as_ref(), &id, now.timestamp_millis()).await;
        let dog = Watchdog::new(rt.clone()).grace(Duration::from_secs(30));
        // Within what its steps allow: not a finding yet.
        assert_eq!(dog.pass(now).await.unwrap(), Default::default());
        let later = now + chrono::Duration::minutes(1);
        let found = dog.pass(later).await.unwrap();
        assert_eq!(found.lost, vec![id.clone()], "{}", db.label);
        assert!(found.stalled.is_empty());
        assert!(rt.drain_idle(Duration::from_secs(20)).await.unwrap());
        let run = rt.store().run(&id).await.unwrap().unwrap();
        assert_eq!(run.status, "succeeded", "{}", db.label);
        assert!(
            rt.metrics()
                .render()
                .contains("claw_watchdog_runs_total{system=\"orders\",kind=\"lost\"} 1"),
            "{}",
            rt.metrics().render()
        );
        // Finished: nothing more to find.
        assert_eq!(dog.pass(later).await.unwrap(), Default::default());
        rt.drain(Duration::from_secs(5)).await.unwrap();
    }
}

#[tokio::test]
async fn a_driven_run_past_its_allowance_is_reported_once_not_driven_twice() {
    let text = SYSTEM.replace(
        "      action: log.debug\n",
        "      action: log.debug\n      delay: 1h\n",
    );
    let db = sqlite();
    let store = SqlStore::connect(&db.url).await.unwrap();
    let (_dir, rt) = runtime_over(Arc::new(store), &text).await;
    let acc = rt
        .accept(
            "orders",
            "order",
            json!({"id": "slow"}),
            StartOptions::default(),
        )
        .await
        .unwrap();
    // The delay is scheduled (durably) before the run waits on it.
    assert!(event_logged(&rt, &acc.run_id, "step.delay_scheduled", 10).await);
    let dog = Watchdog::new(rt.clone());
    // Waiting on its 1 h delay is progress as planned.
    let in_time = Utc::now() + chrono::Duration::minutes(30);
    assert_eq!(dog.pass(in_time).await.unwrap(), Default::default());
    let overdue = Utc::now() + chrono::Duration::hours(2);
    let found = dog.pass(overdue).await.unwrap();
    assert_eq!(found.stalled, vec![acc.run_id.clone()]);
    assert!(found.lost.is_empty());
    assert_eq!(rt.inflight(), 1, "a driven run is not driven twice");
    // Reported once.
    assert_eq!(dog.pass(overdue).await.unwrap(), Default::default());
    assert!(
        rt.metrics()
            .render()
            .contains("claw_watchdog_runs_total{system=\"orders\",kind=\"stalled\"} 1")
    );
    rt.drain(Duration::from_secs(1)).await.unwrap();
}

#[tokio::test]
async fn the_wal_is_truncated_by_a_checkpoint_under_concurrent_readers() {
    let db = sqlite();
    let wal = std::path::PathBuf::from(format!("{}-wal", db.url.trim_start_matches("sqlite://")));
    let store = SqlStore::connect(&db.url).await.unwrap();
    let (_dir, rt) = runtime_over(Arc::new(store), SYSTEM).await;
    let stop = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for _ in 0..3 {
        let (store, stop) = (rt.store().clone(), stop.clone());
        readers.push(tokio::spawn(async move {
            let mut reads = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let filter = RunFilter {
                    limit: Some(10),
                    ..Default::default()
                };
                store.runs(&filter).await.unwrap();
                store
                    .run_stats(None, UnixMillis(0), UnixMillis(i64::MAX))
                    .await
                    .unwrap();
                reads += 1;
                tokio::task::yield_now().await;
            }
            reads
        }));
    }
    for chunk in 0..10 {
        let mut accepts = Vec::new();
        for i in 0..100 {
            let rt = rt.clone();
            accepts.push(tokio::spawn(async move {
                rt.accept(
                    "orders",
                    "order",
                    json!({"id": format!("w{chunk}-{i}")}),
                    StartOptions::default(),
                )
                .await
                .unwrap()
            }));
        }
        for a in accepts {
            a.await.unwrap();
        }
    }
    assert!(rt.drain_idle(Duration::from_secs(60)).await.unwrap());
    let before = std::fs::metadata(&wal).unwrap().len();
    assert!(before > 0, "the writes went through the WAL");
    // Readers still running: the checkpoint waits for none of them for long, and a
    // checkpoint that could not finish is caught up by the next one.
    let mut after = before;
    for _ in 0..3 {
        rt.store().checkpoint().await.unwrap();
        after = std::fs::metadata(&wal).unwrap().len();
        if after == 0 {
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.await.unwrap() > 0);
    }
    assert_eq!(after, 0, "WAL of {before} bytes not truncated");
    rt.drain(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test]
async fn run_statistics_count_what_the_runs_say() {
    let failing = SYSTEM.replace(
        "      action: log.debug\n      with:\n        message: \"order {{ id }}\"\n",
        "      action: http.post\n      with:\n        url: \"{{ target }}\"\n      timeout: 2s\n",
    );
    for db in databases().await {
        let store = SqlStore::connect(&db.url).await.unwrap();
        let (_dir, rt) = runtime_over(Arc::new(store), &failing).await;
        let ok = receiver(ReceiverOpts::default()).await;
        let bad = refusing_receiver().await;
        for i in 0..12 {
            let target = if i % 3 == 0 { &bad.url } else { &ok.url };
            rt.run_to_end(
                "orders",
                "order",
                json!({"id": i, "target": target}),
                StartOptions::default(),
            )
            .await
            .unwrap();
        }
        // A duplicate is not a run; an unfinished one counts as running.
        rt.run_to_end(
            "orders",
            "order",
            json!({"id": 1, "target": ok.url}),
            StartOptions::default(),
        )
        .await
        .unwrap();
        orphan(rt.store().as_ref(), "left", Utc::now().timestamp_millis()).await;
        rt.store().flush().await.unwrap();
        let runs = rt.store().runs(&RunFilter::default()).await.unwrap();
        let expected = WindowStats::from_runs(&runs);
        let got = claw_runtime::slo::window_stats(
            rt.store().as_ref(),
            None,
            UnixMillis(0),
            UnixMillis(i64::MAX),
        )
        .await
        .unwrap();
        assert_eq!(got.get("orders"), Some(&expected), "{}", db.label);
        let t = expected.total();
        assert_eq!((t.runs, t.succeeded, t.failed, t.running()), (13, 8, 4, 1));
        rt.drain(Duration::from_secs(5)).await.unwrap();
    }
}
