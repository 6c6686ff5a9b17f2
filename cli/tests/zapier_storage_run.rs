//! An imported Storage by Zapier Zap runs for real: `samples/zapier/storage-count-signups.json`
//! is imported with `claw import zapier --accept`, checked with `claw check`, then run by
//! `claw run` on SQLite. Each webhook delivery increments a counter, pushes the email onto a
//! list, reads the previous signup's name and saves its own, then POSTs to a loopback receiver.
//!
//! The Zapier behaviour encoded (help.zapier.com, "Store data from code steps with
//! StoreClient", the storage Storage by Zapier shares): values persist between runs of a Zap;
//! an increment is safe when several runs touch the same key at once (`increment_by`); a list
//! grows by push; reading a key that was never set gives nothing (here the step's `default`).

#[path = "common/ops.rs"]
mod ops;
#[path = "common/zapier_run.rs"]
mod zapier_run;

use ops::*;
use zapier_run::{import_and_run, output, sent};

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../samples/zapier/storage-count-signups.json"
);

fn signup(i: usize) -> Value {
    json!({"name": format!("user{i}"), "email": format!("user{i}@example.com")})
}

#[test]
fn imported_storage_zap_runs_under_claw_run() {
    let recv = Receiver::start();
    let run = import_and_run(
        SAMPLE,
        "count-signups.claw",
        "https://team.example.com/signups",
        &format!("{}/signups", recv.base),
    );
    let (db, srv) = (&run.db, &run.server);

    // In order: each run sees what the previous ones stored.
    let mut evs = Vec::new();
    for i in 1..=3 {
        let id = hook(&srv.url, "count-signups", "new_signup", signup(i));
        let ev = finished(db, &id);
        assert_eq!(ev["run"]["status"], "succeeded", "{ev}");
        evs.push(ev);
    }
    // The first run: the counter starts at 0, nothing was saved before.
    assert_eq!(output(&evs[0], "count_signups")["value"], json!(1));
    assert_eq!(
        output(&evs[0], "previous_signup"),
        json!({"key": "last_name", "value": "nobody", "found": false})
    );
    // The third: two increments and two names before it.
    assert_eq!(output(&evs[2], "count_signups")["value"], json!(3));
    assert_eq!(output(&evs[2], "remember_email")["length"], json!(3));
    assert_eq!(
        output(&evs[2], "remember_email")["list"],
        json!([
            "user1@example.com",
            "user2@example.com",
            "user3@example.com"
        ])
    );
    assert_eq!(output(&evs[2], "previous_signup")["value"], json!("user2"));
    assert_eq!(
        sent(&evs[2], "notify_team")["body"],
        json!({"name": "user3", "count": 3, "emails": 3, "previous": "user2"})
    );

    // All at once: every increment counts, and each run got a different value.
    let hooks: Vec<_> = (4..=33)
        .map(|i| {
            let url = srv.url.clone();
            std::thread::spawn(move || hook(&url, "count-signups", "new_signup", signup(i)))
        })
        .collect();
    let ids: Vec<String> = hooks.into_iter().map(|h| h.join().unwrap()).collect();
    let mut counts: Vec<i64> = ids
        .iter()
        .map(|id| {
            let ev = finished(db, id);
            assert_eq!(ev["run"]["status"], "succeeded", "{ev}");
            output(&ev, "count_signups")["value"].as_i64().unwrap()
        })
        .collect();
    counts.sort_unstable();
    assert_eq!(counts, (4..=33).collect::<Vec<i64>>());
    assert_eq!(recv.seen("/signups").len(), 33);

    let stopped = run.server.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
}
