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

use ops::*;
use serde_json::{Value, json};

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../samples/zapier/storage-count-signups.json"
);

/// The output of step `name` in the run's events.
fn output(ev: &Value, name: &str) -> Value {
    ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "step.succeeded" && e["step"] == name)
        .map(|e| e["data"]["output"].clone())
        .unwrap_or_else(|| panic!("no output of `{name}` in {ev}"))
}

/// The rendered `data` the POST step sent.
fn posted(ev: &Value) -> Value {
    ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "step.attempt_started" && e["step"] == "notify_team")
        .map(|e| e["data"]["params"]["data"].clone())
        .unwrap_or_else(|| panic!("no notify_team attempt in {ev}"))
}

fn signup(i: usize) -> Value {
    json!({"name": format!("user{i}"), "email": format!("user{i}@example.com")})
}

// Long on purpose: one scenario against a real `claw` process (import, check, run, deliver
// in order then all at once, read the events); split, each part would import and start again.
#[test]
fn imported_storage_zap_runs_under_claw_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("systems");
    let imported = cli(&[
        "import",
        "zapier",
        SAMPLE,
        "--accept",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(imported.code, 0, "{}{}", imported.stdout, imported.stderr);
    let file = out.join("count-signups.claw");
    let checked = cli(&["check", file.to_str().unwrap()]);
    assert_eq!(checked.code, 0, "{}{}", checked.stdout, checked.stderr);

    let recv = Receiver::start();
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "https://team.example.com/signups",
        &format!("{}/signups", recv.base),
    );
    std::fs::write(&file, text).unwrap();
    let db = sqlite(dir.path());
    let srv = Server::start(&file, &db, &[], &[]);

    // In order: each run sees what the previous ones stored.
    let mut evs = Vec::new();
    for i in 1..=3 {
        let run = hook(&srv.url, "count-signups", "new_signup", signup(i));
        let ev = finished(&db, &run);
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
        posted(&evs[2]),
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
            let ev = finished(&db, id);
            assert_eq!(ev["run"]["status"], "succeeded", "{ev}");
            output(&ev, "count_signups")["value"].as_i64().unwrap()
        })
        .collect();
    counts.sort_unstable();
    assert_eq!(counts, (4..=33).collect::<Vec<i64>>());
    assert_eq!(recv.seen("/signups").len(), 33);

    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
}
