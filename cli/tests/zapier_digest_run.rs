//! An imported Digest by Zapier pair of Zaps runs for real: `samples/zapier/digest-new-leads.json`
//! (Zap "Collect Leads": each lead is appended to the digest "New Leads", released at 3
//! entries and POSTed; Zap "Release Leads": releases the same digest by hand and POSTs it) is
//! imported with `claw import zapier --accept`, checked with `claw check`, then both systems run
//! in one `claw run` on SQLite against a loopback receiver.
//!
//! The Zapier behaviour encoded (help.zapier.com, "Compile data in a digest in Zaps"): "Append
//! Entry and Schedule Digest" adds the entry and the Zap stops there until the digest is
//! released; with the Threshold frequency the digest is released when it reaches the number of
//! entries, and the steps after it run once with the whole digest; "Release Existing Digest",
//! in another Zap, releases a digest by its title. The receiver therefore gets exactly one POST
//! per release, with the entries in the order they were appended, and none for a release of an
//! empty digest.

#[path = "common/ops.rs"]
mod ops;
#[path = "common/zapier_run.rs"]
mod zapier_run;

use ops::*;
use zapier_run::{import_and_check, redirect, step_event};

const FROM: &str = "https://sales.example.com/digest";

fn lead(i: usize) -> Value {
    json!({"name": format!("Lead {i}"), "email": format!("lead{i}@example.com")})
}

fn entry(i: usize) -> String {
    format!("Lead {i} <lead{i}@example.com>")
}

/// The JSON bodies the receiver got at `/digest`, in arrival order.
fn batches(recv: &Receiver) -> Vec<Value> {
    recv.seen("/digest")
        .iter()
        .map(|s| serde_json::from_str(&s.body).unwrap())
        .collect()
}

#[test]
fn imported_digest_zaps_release_each_batch_once_under_claw_run() {
    let recv = Receiver::start();
    let dir = tempfile::tempdir().unwrap();
    let collect = import_and_check("digest-new-leads.json", dir.path(), "collect-leads");
    let release = collect.with_file_name("release-leads.claw");
    let checked = cli(&["check", release.to_str().unwrap()]);
    assert_eq!(checked.code, 0, "{}{}", checked.stdout, checked.stderr);
    let to = format!("{}/digest", recv.base);
    redirect(&collect, FROM, &to);
    redirect(&release, FROM, &to);
    let db = sqlite(dir.path());
    let systems = dir.path().join("systems");
    let srv = Server::spawn(
        &run_args(&systems, &db),
        &[],
        &dir.path().join("run.stderr"),
    );

    // Two leads: each run holds at the digest step; nothing is sent.
    for i in 1..=2 {
        let ev = finished(&db, &hook(&srv.url, "collect-leads", "new_lead", lead(i)));
        assert_eq!(ev["run"]["status"], "succeeded", "{ev}");
        let held = step_event(&ev, "step.held", "add_lead_to_digest");
        assert_eq!(held["data"]["output"]["pending"], json!(i), "{ev}");
        assert!(!kinds(&ev).iter().any(|k| k == "step.succeeded"), "{ev}");
    }
    assert!(batches(&recv).is_empty());

    // The third reaches the threshold: its run sends the three entries, in order.
    let ev = finished(&db, &hook(&srv.url, "collect-leads", "new_lead", lead(3)));
    assert_eq!(ev["run"]["status"], "succeeded", "{ev}");
    step_event(&ev, "step.succeeded", "send_digest_to_sales");
    let sent = batches(&recv);
    assert_eq!(sent.len(), 1, "{sent:?}");
    let want = [entry(1), entry(2), entry(3)].join("\n");
    assert_eq!(sent[0]["digest"], json!(want));
    assert_eq!(sent[0]["count"], json!(3));
    assert_eq!(sent[0]["via"], json!("threshold"));

    // Two more are held, then released by hand from the other Zap's system.
    for i in 4..=5 {
        let ev = finished(&db, &hook(&srv.url, "collect-leads", "new_lead", lead(i)));
        step_event(&ev, "step.held", "add_lead_to_digest");
    }
    let ev = finished(
        &db,
        &hook(&srv.url, "release-leads", "release_now", json!({})),
    );
    assert_eq!(ev["run"]["status"], "succeeded", "{ev}");
    step_event(&ev, "step.succeeded", "send_released_digest");
    let sent = batches(&recv);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[1]["digest"], json!([entry(4), entry(5)].join("\n")));
    assert_eq!(sent[1]["count"], json!(2));
    assert_eq!(sent[1]["via"], json!("manual"));

    // Releasing the now empty digest holds: nothing more is sent.
    let ev = finished(
        &db,
        &hook(&srv.url, "release-leads", "release_now", json!({})),
    );
    assert_eq!(ev["run"]["status"], "succeeded", "{ev}");
    step_event(&ev, "step.held", "release_leads_digest");
    assert_eq!(batches(&recv).len(), 2);

    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
}
