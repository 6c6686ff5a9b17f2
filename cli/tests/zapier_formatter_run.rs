//! An imported Formatter by Zapier Zap runs for real: `samples/zapier/format-new-signups.json`
//! is imported with `claw import zapier --accept`, checked with `claw check`, then run by
//! `claw run` on SQLite; a webhook delivery goes through twelve Formatter steps and a Webhooks
//! by Zapier POST to a loopback receiver. Each asserted value is what Zapier's Formatter gives
//! for the same input (the behaviour is that of Zapier's Formatter service,
//! github.com/zapier/transformer, and the help pages it links; see the unit tests in
//! `language/src/format/` for each transform's rule).

#[path = "common/ops.rs"]
mod ops;

use ops::*;
use serde_json::{Value, json};

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../samples/zapier/format-new-signups.json"
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

// Long on purpose: one scenario against a real `claw` process (import, check, run, deliver,
// read the events); split, each part would have to import and start the server again.
#[test]
fn imported_formatter_zap_runs_under_claw_run() {
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
    let file = out.join("format-new-signups.claw");
    let checked = cli(&["check", file.to_str().unwrap()]);
    assert_eq!(checked.code, 0, "{}{}", checked.stdout, checked.stderr);

    // The Webhooks by Zapier POST goes to the loopback receiver instead of the CRM.
    let recv = Receiver::start();
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "https://crm.example.com/contacts",
        &format!("{}/contacts", recv.base),
    );
    std::fs::write(&file, text).unwrap();

    let db = sqlite(dir.path());
    let srv = Server::start(&file, &db, &[], &[]);
    let run = hook(
        &srv.url,
        "format-new-signups",
        "new_signup",
        json!({
            "name": "ada LOVELACE",
            "contact": "Contact: Ada.Lovelace@Example.com, thanks",
            "plan": "Gold",
            "signed_up": "2024-03-05T14:30:00Z",
            "amount": "1234.5",
            "bio": "<p>Loves <b>engines</b> &amp; maths</p>",
            "tags": "math, engines, poetry"
        }),
    );
    let ev = finished(&db, &run);
    assert_eq!(ev["run"]["status"], "succeeded", "{ev}");

    // string.capitalize is Python's str.title(): every word's first letter up, the rest down.
    assert_eq!(output(&ev, "name"), json!({"output": "Ada Lovelace"}));
    // string.email_extract finds the first address; lower_case lowers the previous output.
    assert_eq!(
        output(&ev, "find_email"),
        json!({"output": "Ada.Lovelace@Example.com"})
    );
    assert_eq!(
        output(&ev, "email"),
        json!({"output": "ada.lovelace@example.com"})
    );
    // util.lookup: exact key match, else the fallback.
    assert_eq!(output(&ev, "tier"), json!({"output": "VIP"}));
    // date.formatting: "MMMM Do YYYY, h:mm A" in Europe/Paris (CET in March).
    assert_eq!(
        output(&ev, "since"),
        json!({"output": "March 5th 2024, 3:30 PM"})
    );
    // date.manipulate: "+1 month -1 day", written in UTC.
    assert_eq!(output(&ev, "renews"), json!({"output": "2024-04-04"}));
    // number.currency: Babel pattern "#,##0.00 ¤" in de_DE.
    assert_eq!(output(&ev, "paid"), json!({"output": "1.234,50 €"}));
    // string.strip_html: tags removed, entities decoded.
    assert_eq!(
        output(&ev, "bio"),
        json!({"output": "Loves engines & maths"})
    );
    // string.split, segment index 0 (First).
    assert_eq!(output(&ev, "first_tag"), json!({"output": "math"}));
    // string.replace, with `[:space:]` in Find expanded to a space.
    assert_eq!(
        output(&ev, "tags"),
        json!({"output": "math | engines | poetry"})
    );
    // string.default_value on a field the delivery does not have: empty, so the default.
    assert_eq!(output(&ev, "nickname"), json!({"output": "friend"}));
    // string.truncate to 20 with "Append Ellipsis?": 17 characters and "...".
    assert_eq!(
        output(&ev, "greeting"),
        json!({"output": "Welcome aboard, A..."})
    );

    // The POST carried the formatted values (its rendered params are in the events).
    let started = ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "step.attempt_started" && e["step"] == "create_contact")
        .unwrap_or_else(|| panic!("no create_contact attempt in {ev}"));
    let data = &started["data"]["params"]["body"];
    assert_eq!(data["email"], "ada.lovelace@example.com");
    assert_eq!(data["paid"], "1.234,50 €");
    assert_eq!(data["since"], "March 5th 2024, 3:30 PM");
    // `payload_type: json`: the receiver gets the same object as a JSON body.
    let got = recv.seen("/contacts");
    assert_eq!(got.len(), 1);
    let sent: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(&sent, data);

    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
}
