//! Looping by Zapier runs for real: `samples/zapier/loop-order-lines.json` is imported with
//! `claw import zapier --accept`, checked with `claw check`, then run by `claw run` on SQLite;
//! a webhook delivery with three order lines makes the Looping step build three iterations and
//! the Webhooks by Zapier POST after it call a loopback receiver once per line, in order.
//! A second test SIGKILLs `claw run` in the middle of a loop and checks that the restarted one
//! finishes the remaining items and repeats no finished one.
//!
//! The Zapier behaviour encoded (Zapier help, "Loop your Zap actions" and "Create a loop from
//! line items", help.zapier.com/hc/en-us/articles/8496106701453): "Create Loop From Line
//! Items" pairs the line-item fields by position, one iteration per position; with "Trim
//! Whitespace" each value is trimmed; every iteration has the fields `loop_iteration` (from 1)
//! and `loop_iteration_is_last`; the actions after the loop run once per iteration, in order;
//! a loop runs at most 500 iterations.

#[path = "common/ops.rs"]
mod ops;

use axum::Router;
use claw_testkit::db::TestDb;
use ops::*;

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../samples/zapier/loop-order-lines.json"
);

/// The events of kind `kind` of step `step`, in order.
fn of_kind<'a>(ev: &'a Value, kind: &str, step: &str) -> Vec<&'a Value> {
    ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind && e["step"] == step)
        .collect()
}

#[test]
fn imported_loop_zap_calls_once_per_line_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("systems");
    let file = import_and_check(SAMPLE, &out, "reserve-order-lines");

    // The Webhooks by Zapier POST goes to the loopback receiver instead of the warehouse.
    let recv = Receiver::start();
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "https://warehouse.example.com/reserve",
        &format!("{}/reserve", recv.base),
    );
    std::fs::write(&file, text).unwrap();

    let db = sqlite(dir.path());
    let srv = Server::start(&file, &db, &[], &[]);
    // Line items as Zapier serialises them: a list, and comma-separated text with spaces.
    let run = hook(
        &srv.url,
        "reserve-order-lines",
        "new_order",
        json!({"order": "A-17", "skus": ["SKU-1", "SKU-2", "SKU-3"], "quantities": "1, 2 ,5"}),
    );
    let ev = finished(&db, &run);
    assert_eq!(ev["run"]["status"], "succeeded", "{ev}");

    // One request per line, in order, each with its own idempotency key (the step's + index).
    let seen: Vec<(String, String)> = recv
        .state
        .lock()
        .unwrap()
        .seen
        .iter()
        .map(|s| (s.path.clone(), s.key.clone()))
        .collect();
    let paths: Vec<&str> = seen.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        ["/reserve/SKU-1", "/reserve/SKU-2", "/reserve/SKU-3"]
    );
    for (i, (_, key)) in seen.iter().enumerate() {
        assert!(key.ends_with(&format!(":reserve_stock#{i}")), "{key}");
    }

    // What each call carried: the paired, trimmed fields and Zapier's iteration fields.
    let started = of_kind(&ev, "step.attempt_started", "reserve_stock");
    let bodies: Vec<&Value> = started
        .iter()
        .map(|e| &e["data"]["params"]["body"])
        .collect();
    assert_eq!(
        bodies,
        [
            &json!({"order": "A-17", "sku": "SKU-1", "qty": "1", "line": 1, "last": false}),
            &json!({"order": "A-17", "sku": "SKU-2", "qty": "2", "line": 2, "last": false}),
            &json!({"order": "A-17", "sku": "SKU-3", "qty": "5", "line": 3, "last": true}),
        ]
    );
    let indexes: Vec<&Value> = of_kind(&ev, "step.item_succeeded", "reserve_stock")
        .iter()
        .map(|e| &e["data"]["index"])
        .collect();
    assert_eq!(indexes, [&json!(0), &json!(1), &json!(2)]);
    let done = of_kind(&ev, "step.succeeded", "reserve_stock");
    assert_eq!(done.len(), 1, "{ev}");
    assert_eq!(done[0]["data"]["output"]["count"], 3);
    assert_eq!(done[0]["data"]["output"]["failed"], json!([]));

    // `claw events` names each item's events by the item.
    let text = cli(&["events", &run, "--db", &db]);
    let item_lines = text
        .stdout
        .lines()
        .filter(|l| l.contains("step.item_succeeded") && l.contains(" reserve_stock[2] #1"));
    assert_eq!(item_lines.count(), 1, "{}", text.stdout);

    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
}

/// Requests per path, each as its Idempotency-Key.
type Calls = Arc<Mutex<Vec<(String, String)>>>;

async fn slow_receive(State(seen): State<Calls>, uri: Uri, headers: HeaderMap) -> &'static str {
    seen.lock()
        .unwrap()
        .push((uri.path().to_string(), idempotency_key(&headers)));
    // Slow: the kill lands while an item's call is in flight.
    tokio::time::sleep(Duration::from_millis(250)).await;
    "{\"ok\":true}"
}

/// A system whose one step posts each item of the payload's `lines` to `target`.
fn looper(target: &str) -> String {
    let steps = format!(
        r#"  - reserve:
      on: order
      action: http.post
      for_each: lines
      with:
        url: "{target}item/{{{{ each.index }}}}"
        body:
          line: "{{{{ each.item }}}}"
      retries: 5
      backoff: exponential 50ms..500ms
      timeout: 10s
      dead_letter: queue://looper.dlq
"#
    );
    webhook_system("looper", "order", "id", &steps, TAIL)
}

/// Starts `claw run` again after a SIGKILL. PostgreSQL notices the killed runtime's lock
/// connection is gone a moment later (its advisory lock is released then), so a start refused
/// with `claw::runtime::db_in_use` is tried again for up to 10 s.
fn restart(file: &Path, db: &str) -> Server {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let tried = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Server::start(file, db, &[], &[("RUST_LOG", "warn")])
        }));
        match tried {
            Ok(server) => return server,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            Err(e) => std::panic::resume_unwind(e),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_loop_finishes_the_rest_and_repeats_no_finished_item() {
    on_every_database("loop crash", loop_crash_case).await;
}

// Long on purpose: one scenario against a real `claw` process killed and restarted, whose
// steps read the state the previous ones left (database, receiver).
async fn loop_crash_case(tdb: TestDb) {
    let l = tdb.label;
    let db = tdb.url.as_str();
    let dir = tempfile::tempdir().unwrap();
    let seen: Calls = Arc::default();
    let app = Router::new()
        .fallback(slow_receive)
        .with_state(seen.clone());
    let target = serve_locally(app).await;
    let file = write(dir.path(), "looper.claw", &looper(&target));
    const N: usize = 8;

    let server =
        tokio::task::block_in_place(|| Server::start(&file, db, &[], &[("RUST_LOG", "warn")]));
    let lines: Vec<String> = (0..N).map(|i| format!("line-{i}")).collect();
    let run = tokio::task::block_in_place(|| {
        hook(
            &server.url,
            "looper",
            "order",
            json!({"id": "o-1", "lines": lines}),
        )
    });
    // Kill once a few items are done and the next one is in flight.
    for _ in 0..400 {
        if seen.lock().unwrap().len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.stop(SIGKILL);
    let before = seen.lock().unwrap().len();
    assert!(
        (3..N).contains(&before),
        "{l}: {before} items reached before the kill"
    );

    let restarted = tokio::task::block_in_place(|| restart(&file, db));
    let ev = tokio::task::block_in_place(|| finished(db, &run));
    restarted.stop(SIGTERM);
    assert_eq!(ev["run"]["status"], "succeeded", "{l}: {ev}");

    // Every item reached the receiver, in order, under its own stable key; only the item in
    // flight at the kill may have been sent twice, and then with the same key.
    let seen = seen.lock().unwrap().clone();
    let mut per_item: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut order = Vec::new();
    for (path, key) in &seen {
        let i: usize = path.trim_start_matches("/item/").parse().unwrap();
        if order.last() != Some(&i) {
            order.push(i);
        }
        per_item.entry(i).or_default().push(key.clone());
    }
    assert_eq!(order, (0..N).collect::<Vec<_>>(), "{l}: {seen:?}");
    let repeated: Vec<_> = per_item.iter().filter(|(_, k)| k.len() > 1).collect();
    assert!(
        repeated.len() <= 1,
        "{l}: finished items repeated: {seen:?}"
    );
    for (i, keys) in &per_item {
        assert!(
            keys.iter().all(|k| k == &keys[0]),
            "{l}: item {i}: {keys:?}"
        );
        assert!(keys[0].ends_with(&format!("#{i}")), "{l}: {keys:?}");
    }
    // One durable end per item in the log.
    let ended: Vec<&Value> = of_kind(&ev, "step.item_succeeded", "reserve")
        .iter()
        .map(|e| &e["data"]["index"])
        .collect();
    assert_eq!(ended.len(), N, "{l}: {ev}");
}
