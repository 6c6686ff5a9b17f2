//! An imported Zapier Tables Zap runs for real: `samples/zapier/tables-contacts.json` is
//! imported and checked, the table's records (not in the export) are loaded with
//! `claw table load`, and `claw run` on SQLite runs a find, a create and an update of records
//! before a Webhooks by Zapier POST to a loopback receiver.
//!
//! The Zapier behaviour encoded (the Zapier Tables app's Find record, Create record and Update
//! record actions, as help.zapier.com's Zapier Tables pages describe them, and the corpus export
//! `work-flowers-zapier-sdk/exported-zap-2026-05-06.json` for the params): a find returns the first record whose
//! field matches, with its id and fields, and, with "success on miss", a miss is not an error;
//! a created record gets a new id; an update changes the named fields of the record and keeps
//! the others. Field values are keyed by the table's field ids (`f1`, `f2`, …), as in the
//! export's references (`{{2__data__f2}}`).

#[path = "common/ops.rs"]
mod ops;
#[path = "common/zapier_run.rs"]
mod zapier_run;

use ops::*;
use zapier_run::{import_and_run, output, sent};

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../samples/zapier/tables-contacts.json"
);

const TABLE: &str = "zapier_table_01jtestcontacts0000000000ab";

#[test]
fn imported_zapier_tables_zap_runs_under_claw_run() {
    let recv = Receiver::start();
    let run = import_and_run(
        SAMPLE,
        "contacts-table.claw",
        "https://crm.example.com/contacts",
        &format!("{}/contacts", recv.base),
    );
    let csv = write(
        run.dir.path(),
        "rows.csv",
        "id,f1,f2\n7,ada@example.com,page-ada\n8,grace@example.com,page-grace\n",
    );
    let args = ["table", "load", "contacts-table", TABLE];
    let mut load: Vec<&str> = args.to_vec();
    load.extend([csv.to_str().unwrap(), "--db", &run.db]);
    let loaded = cli(&load);
    assert_eq!(loaded.code, 0, "{}{}", loaded.stdout, loaded.stderr);
    assert!(loaded.stdout.contains("2 record(s)"), "{}", loaded.stdout);
    // A table the system does not declare is refused (a typo would load nowhere useful).
    let typo = cli(&[
        "table",
        "load",
        "contacts-table",
        "zapier_table_typo",
        csv.to_str().unwrap(),
        "--db",
        &run.db,
    ]);
    assert_ne!(typo.code, 0, "{}", typo.stdout);
    assert!(typo.stderr.contains("declares no table"), "{}", typo.stderr);

    let contact = |email: &str| {
        let body = json!({"email": email, "page": format!("page-{email}")});
        let id = hook(&run.server.url, "contacts-table", "new_contact", body);
        let ev = finished(&run.db, &id);
        assert_eq!(ev["run"]["status"], "succeeded", "{ev}");
        ev
    };
    // A loaded record is found, with its id and fields.
    let ada = contact("ada@example.com");
    let found = output(&ada, "find_contact");
    assert_eq!(found["found"], json!(true));
    assert_eq!(found["id"], json!("7"));
    assert_eq!(found["data"]["f2"], json!("page-ada"));
    // The next free id after the loaded ones.
    assert_eq!(output(&ada, "add_contact")["id"], json!("9"));
    // The update keeps the other fields.
    assert_eq!(
        output(&ada, "mark_welcomed")["data"],
        json!({"f1": "ada@example.com", "f2": "page-ada@example.com", "f3": "welcomed"})
    );
    let data = &sent(&ada, "notify_crm")["body"];
    assert_eq!(data["known"], json!(true));
    assert_eq!(data["known_page"], json!("page-ada"));
    assert_eq!(data["new_id"], json!("9"));
    // A miss is not an error ("success on miss"); the record created before is found now.
    let bob = contact("bob@example.com");
    assert_eq!(output(&bob, "find_contact")["found"], json!(false));
    assert_eq!(sent(&bob, "notify_crm")["body"]["known_page"], json!(""));
    assert_eq!(output(&bob, "add_contact")["id"], json!("10"));
    let again = contact("bob@example.com");
    assert_eq!(output(&again, "find_contact")["id"], json!("10"));
    assert_eq!(recv.seen("/contacts").len(), 3);
    let stopped = run.server.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
}
