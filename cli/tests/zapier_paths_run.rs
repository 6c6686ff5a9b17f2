//! An imported Zap made of Zapier's core built-ins runs for real:
//! `samples/zapier/triage-tickets.json` (Catch Hook → Filter → Code by Zapier (JavaScript,
//! with `fetch`) → Paths (Urgent / Fallback) → Delay For → Webhooks POST, and Webhooks POST
//! on the fallback path) is imported with `claw import zapier --accept`, checked with
//! `claw check`, then run by `claw run` on SQLite against a loopback server playing the
//! CRM, the pager and the helpdesk.
//!
//! Zapier behaviour encoded (Zapier's help pages "Add conditions to Zaps with filters", "Add
//! branching logic to Zaps with Paths", "Use JavaScript code in Zaps", "Add delays to Zaps"
//! and "Send webhooks in Zaps"):
//! - a Filter whose condition fails stops the run: nothing after it happens;
//! - the Code step's returned object is the step's output, read by later steps; its `fetch`
//!   reaches the network;
//! - every path whose rules hold runs; the Fallback path runs only when no other path's
//!   rules hold;
//! - Delay For holds the run for the given time before the next step;
//! - Webhooks POST sends `data` as JSON with `payload_type: json`, as a form by default.

#[path = "common/ops.rs"]
mod ops;
#[path = "common/zapier_run.rs"]
mod zapier_run;

use ops::*;
use zapier_run::redirect;

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../samples/zapier/triage-tickets.json"
);

// Long on purpose: one scenario against real `claw` processes (import, check, three
// deliveries through the three outcomes); split, each part would repeat the import and servers.
#[test]
fn imported_filter_code_paths_delay_zap_runs_under_claw_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = import_and_check(SAMPLE, &dir.path().join("systems"), "triage-tickets");
    let recv = Receiver::start();
    recv.script(|s| {
        s.serve.insert("/tier".into(), r#"{"tier": "gold"}"#.into());
    });
    for host in [
        "https://crm.example.com",
        "https://pager.example.com",
        "https://helpdesk.example.com",
    ] {
        redirect(&file, host, &recv.base);
    }
    let db = sqlite(dir.path());
    let srv = Server::start(&file, &db, &[], &[]);

    let urgent = hook(
        &srv.url,
        "triage-tickets",
        "new_ticket",
        json!({"id": "T-1", "status": "Open", "email": "ada@example.com", "subject": "URGENT: checkout down"}),
    );
    let normal = hook(
        &srv.url,
        "triage-tickets",
        "new_ticket",
        json!({"id": "T-2", "status": "open", "email": "bo@example.com", "subject": "Invoice copy"}),
    );
    let closed = hook(
        &srv.url,
        "triage-tickets",
        "new_ticket",
        json!({"id": "T-3", "status": "closed", "email": "cy@example.com", "subject": "urgent"}),
    );

    // The closed ticket stops at the filter: no lookup, no post.
    let ev = finished(&db, &closed);
    assert_eq!(ev["run"]["status"], "succeeded", "{ev}");
    assert!(!kinds(&ev).iter().any(|k| k.starts_with("step.")), "{ev}");

    // The normal ticket takes the Fallback path: a form post to the helpdesk.
    let ev = finished(&db, &normal);
    assert_eq!(ev["run"]["status"], "succeeded", "{ev}");
    let queued = recv.seen("/queue");
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0].body, "ticket=T-2&tier=gold");
    assert!(recv.seen("/page").iter().all(|p| !p.body.contains("T-2")));

    // The urgent one waits out the delay, then pages with JSON.
    let ev = finished(&db, &urgent);
    assert_eq!(ev["run"]["status"], "succeeded", "{ev}");
    let waited = zapier_run::step_event(&ev, "step.succeeded", "wait_three_seconds");
    assert_eq!(waited["step"], "wait_three_seconds");
    let paged = recv.seen("/page");
    assert_eq!(paged.len(), 1, "{paged:?}");
    let body: Value = serde_json::from_str(&paged[0].body).unwrap();
    assert_eq!(
        body,
        json!({"ticket": "T-1", "tier": "gold", "subject": "URGENT: checkout down"})
    );
    assert!(recv.seen("/queue").iter().all(|q| !q.body.contains("T-1")));

    // The Code step's fetch reached the CRM once per looked-up ticket, keyed by its step.
    let lookups = recv.seen("/tier");
    assert_eq!(lookups.len(), 2, "{lookups:?}");
    for l in &lookups {
        assert!(l.key.ends_with("#fetch0"), "{l:?}");
        assert!(
            l.query.as_deref().unwrap_or("").starts_with("email="),
            "{l:?}"
        );
    }

    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
}
