//! Imported Webhooks by Zapier Zaps run for real: `samples/zapier/webhooks-catch-and-send.json`
//! is imported with `claw import zapier --accept`, checked, and run by `claw run` on SQLite
//! against a loopback receiver.
//!
//! Zapier behaviour encoded here (Zapier's help pages "Trigger Zaps from webhooks" and "Send
//! webhooks in Zaps"):
//! - Catch Hook accepts a form post and query-string parameters, not only JSON, and gives
//!   their fields to the later steps;
//! - Catch Raw Hook gives the body unparsed as `raw_body`, with the request's headers;
//! - POST with `payload_type: json` sends `data` as a JSON object, keys with `__` nested
//!   (unflatten is on by default);
//! - a Custom Request sends `data` as written, with the method and headers given.

#[path = "common/ops.rs"]
mod ops;

use ops::*;

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../samples/zapier/webhooks-catch-and-send.json"
);

fn point_at(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap().replace(from, to);
    std::fs::write(file, text).unwrap();
}

// Long on purpose: one scenario against a real `claw` process (import, check, run both Zaps,
// read the receiver and the events); split, each part would import and start the server again.
#[test]
fn catch_hooks_take_forms_and_raw_bodies_and_send_what_zapier_sends() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("systems");
    let form_file = import_and_check(SAMPLE, &out, "contact-form-to-crm");
    let raw_file = out.join("forward-raw-events.claw");
    let checked = cli(&["check", raw_file.to_str().unwrap()]);
    assert_eq!(checked.code, 0, "{}{}", checked.stdout, checked.stderr);
    let recv = Receiver::start();
    point_at(
        &form_file,
        "https://crm.example.com/leads",
        &format!("{}/leads", recv.base),
    );
    point_at(
        &raw_file,
        "https://archive.example.com/events",
        &format!("{}/events", recv.base),
    );

    let db = sqlite(dir.path());
    let srv = Server::start(&out, &db, &[], &[]);

    // A form post with a query string reaches the Catch Hook's later steps as fields.
    let (code, text) = post_with(
        &format!(
            "{}/hooks/contact-form-to-crm/contact_form?source=landing",
            srv.url
        ),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        "name=Ada+Lovelace&email=ada%40example.com",
    );
    assert_eq!(code, 202, "{text}");
    let run: Value = serde_json::from_str(&text).unwrap();
    let ev = finished(&db, run["run_id"].as_str().unwrap());
    assert_eq!(ev["run"]["status"], "succeeded", "{ev}");
    let leads = recv.seen("/leads");
    assert_eq!(leads.len(), 1);
    let sent: Value = serde_json::from_str(&leads[0].body).unwrap();
    assert_eq!(
        sent,
        json!({"lead": {"name": "Ada Lovelace", "email": "ada@example.com"}, "source": "landing"})
    );
    assert_eq!(leads[0].headers["content-type"], "application/json");

    // The raw hook hands the body over as text; credential headers never reach the log.
    let (code, text) = post_with(
        &format!("{}/hooks/forward-raw-events/raw_event", srv.url),
        &[
            ("Content-Type", "text/csv"),
            ("X-Request-Id", "req-42"),
            ("Authorization", "Bearer tok-must-not-be-logged"),
        ],
        "id,amount\n7,19.99\n",
    );
    assert_eq!(code, 202, "{text}");
    let run: Value = serde_json::from_str(&text).unwrap();
    let ev = finished(&db, run["run_id"].as_str().unwrap());
    assert_eq!(ev["run"]["status"], "succeeded", "{ev}");
    assert!(!ev.to_string().contains("tok-must-not-be-logged"), "{ev}");
    let events = recv.seen("/events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].body, "id,amount\n7,19.99\n");
    assert_eq!(events[0].headers["content-type"], "text/plain");
    assert_eq!(events[0].headers["x-request"], "req-42");

    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
}
