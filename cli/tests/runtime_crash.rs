//! Crash test: SIGKILL the real `claw run` in the middle of a burst of webhooks whose
//! execution calls a slow local receiver, restart it, and check that every accepted run
//! reached the receiver and that repeats carried the same Idempotency-Key. Runs on a
//! SQLite file and, when CLAW_TEST_POSTGRES_URL is set, on a fresh PostgreSQL database.

#[path = "common/ops.rs"]
mod ops;

use axum::Router;
use axum::routing::post;
use claw_runtime::store::RunFilter;
use claw_runtime::{EventStore, SqlStore};
use claw_testkit::db::TestDb;
use ops::*;

/// Retried for longer than the crash takes, so that no accepted run is dead-lettered.
const POLICY: &str = "      retries: 5
      backoff: exponential 50ms..500ms
      timeout: 10s
      dead_letter: queue://crashy.dlq
";

/// Bodies per Idempotency-Key ("<none>" without the header).
type Calls = Arc<Mutex<BTreeMap<String, Vec<String>>>>;

async fn slow_receive(State(seen): State<Calls>, headers: HeaderMap, body: String) -> &'static str {
    let key = idempotency_key(&headers);
    seen.lock().unwrap().entry(key).or_default().push(body);
    // Slow: many calls are in flight when the runtime is killed.
    tokio::time::sleep(Duration::from_millis(300)).await;
    "{\"ok\":true}"
}

/// `claw run` on the crash system in `dir`, quiet but for warnings.
fn start(db: &str, dir: &Path) -> Server {
    Server::start(&dir.join("crashy.claw"), db, &[], &[("RUST_LOG", "warn")])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_burst_loses_nothing_and_repeats_carry_the_same_key() {
    on_every_database("crash", crash_case).await;
}

// Long on purpose: one end-to-end scenario against a real `claw` process, whose steps
// read the state the previous ones left (database, receiver, server); split, each part
// would have to start its own server and rebuild that state.
async fn crash_case(tdb: TestDb) {
    let l = tdb.label;
    let db = tdb.url.as_str();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "crashy.claw",
        &notifier("crashy", POLICY, SLO_TAIL),
    );

    let seen: Calls = Arc::default();
    let app = Router::new()
        .route("/", post(slow_receive))
        .with_state(seen.clone());
    let target = serve_locally(app).await;

    let server = tokio::task::block_in_place(|| start(db, dir.path()));
    let url = server.url.clone();
    let client = reqwest::Client::new();

    // Runs that finish before the crash: the restart must not touch them.
    let mut finished_before: BTreeMap<String, usize> = BTreeMap::new();
    for i in 0..10 {
        let body = serde_json::json!({"order": {"id": format!("early-{i}")}, "target": target});
        let resp = client
            .post(format!("{url}/hooks/crashy/order_created"))
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 202, "{l}");
        let v: serde_json::Value = resp.json().await.unwrap();
        finished_before.insert(v["run_id"].as_str().unwrap().to_string(), 0);
    }
    {
        let store = SqlStore::connect(db).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mut all = true;
            for id in finished_before.keys() {
                let r = store.run(id).await.unwrap();
                all &= r.is_some_and(|r| r.status == "succeeded");
            }
            if all {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{l}: the early runs did not finish"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for (id, n) in finished_before.iter_mut() {
            *n = store.events(id).await.unwrap().len();
        }
    }
    let accepted: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let (client, url, target, accepted) = (
            client.clone(),
            url.clone(),
            target.clone(),
            accepted.clone(),
        );
        tasks.push(tokio::spawn(async move {
            for i in 0..40 {
                let id = format!("o{worker}-{i}");
                let body = serde_json::json!({"order": {"id": id}, "target": target});
                let r = client
                    .post(format!("{url}/hooks/crashy/order_created"))
                    .header("Content-Type", "application/json")
                    .body(body.to_string())
                    .send()
                    .await;
                match r {
                    Ok(resp) if resp.status().as_u16() == 202 => {
                        let v: serde_json::Value = resp.json().await.unwrap();
                        accepted
                            .lock()
                            .unwrap()
                            .insert(id, v["run_id"].as_str().unwrap().to_string());
                    }
                    _ => break, // the runtime is gone
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }));
    }
    // Kill mid-burst, once a good share is accepted and calls are in flight.
    for _ in 0..500 {
        if accepted.lock().unwrap().len() >= 100 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.stop(SIGKILL);
    for t in tasks {
        t.await.unwrap();
    }
    let accepted = accepted.lock().unwrap().clone();
    assert!(
        accepted.len() >= 100,
        "{l}: only {} accepted before the kill",
        accepted.len()
    );

    let store = SqlStore::connect(db).await.unwrap();
    let unfinished = store.unfinished_runs().await.unwrap().len();
    assert!(
        unfinished > 0,
        "{l}: the kill should leave runs unfinished (mid-burst)"
    );
    drop(store);

    let restarted = tokio::task::block_in_place(|| start(db, dir.path()));
    let store = SqlStore::connect(db).await.unwrap();
    let mut done = false;
    for _ in 0..600 {
        if store.unfinished_runs().await.unwrap().is_empty() {
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Graceful stop of the restarted runtime.
    restarted.stop(SIGTERM);
    assert!(done, "{l}: runs left unfinished after the restart");

    let runs = store
        .runs(&RunFilter {
            system: Some("crashy".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let stored: BTreeSet<String> = runs.iter().map(|r| r.id.clone()).collect();
    let not_ok: Vec<_> = runs
        .iter()
        .filter(|r| r.status != "succeeded")
        .map(|r| (&r.id, &r.status))
        .collect();
    assert!(
        not_ok.is_empty(),
        "{l}: runs that did not succeed: {not_ok:?}"
    );
    let seen = seen.lock().unwrap().clone();
    // Every accepted run reached the receiver, under its stable key.
    for (order, run_id) in &accepted {
        assert!(
            stored.contains(run_id),
            "{l}: accepted run {run_id} for {order} is not stored"
        );
        let key = format!("{run_id}:notify");
        let calls = seen.get(&key).unwrap_or_else(|| {
            panic!("{l}: accepted run {run_id} ({order}) never reached the receiver")
        });
        // Repeats (an attempt in flight at the kill) carry the same key and body.
        assert!(
            calls.iter().all(|b| b == &calls[0]),
            "{l}: a repeat changed its body"
        );
    }
    assert!(
        !seen.contains_key("<none>"),
        "{l}: a call without Idempotency-Key"
    );
    // Nothing reached the receiver that is not a stored run.
    for key in seen.keys() {
        let run = key
            .strip_suffix(":notify")
            .unwrap_or_else(|| panic!("{l}: unexpected key {key}"));
        assert!(stored.contains(run), "{l}: call for unknown run {run}");
    }
    // Finished before the kill: called once, and the restart added no event to them.
    for (id, events_before) in &finished_before {
        assert_eq!(
            seen.get(&format!("{id}:notify")).map(Vec::len),
            Some(1),
            "{l}: finished run {id} was repeated"
        );
        assert_eq!(
            store.events(id).await.unwrap().len(),
            *events_before,
            "{l}: the restart wrote to finished run {id}"
        );
    }
    let repeats: usize = seen.values().map(|v| v.len() - 1).sum();
    eprintln!(
        "crash test ({l}): {} accepted, {} stored, {} unfinished at kill, {} distinct keys, {} repeated calls (same key)",
        accepted.len(),
        stored.len(),
        unfinished,
        seen.len(),
        repeats
    );
}
