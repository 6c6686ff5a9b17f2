//! An imported Lookup Table by Zapier Zap runs for real: `samples/zapier/lookup-ship-by-plan.json`
//! is imported, checked and run by `claw run` on SQLite; the lookup step reads the table the
//! importer put under `data.tables` and a Webhooks by Zapier POST carries the result to a
//! loopback receiver.
//!
//! The Zapier behaviour encoded (zapier.com/help/create/format/create-lookup-tables-in-zaps):
//! the lookup key is searched for in the table's left column and the right column is the
//! output; a key that matches no row gives the fallback value; a key with no value gives
//! nothing (the fallback is only for values that match no row). The match is exact, case
//! included: our reading, as the page names no case folding. The result is the step's `output`.

#[path = "common/ops.rs"]
mod ops;
#[path = "common/zapier_run.rs"]
mod zapier_run;

use ops::*;
use zapier_run::{import_and_run, output, sent};

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../samples/zapier/lookup-ship-by-plan.json"
);

#[test]
fn imported_lookup_table_zap_runs_under_claw_run() {
    let recv = Receiver::start();
    let run = import_and_run(
        SAMPLE,
        "ship-by-plan.claw",
        "https://ship.example.com/bookings",
        &format!("{}/bookings", recv.base),
    );
    let tier = |plan: &str, order: &str| {
        let body = json!({"plan": plan, "order_id": order});
        let id = hook(&run.server.url, "ship-by-plan", "new_order", body);
        let ev = finished(&run.db, &id);
        assert_eq!(ev["run"]["status"], "succeeded", "{ev}");
        assert_eq!(sent(&ev, "book_shipment")["body"]["order"], json!(order));
        output(&ev, "shipping_tier")
    };
    // An exact match.
    assert_eq!(tier("Silver", "o1"), json!({"output": "priority"}));
    // Case counts: `gold` is its own row, `GOLD` matches none.
    assert_eq!(tier("gold", "o2"), json!({"output": "lowercase-gold"}));
    assert_eq!(tier("GOLD", "o3"), json!({"output": "standard"}));
    // No row: the fallback.
    assert_eq!(tier("Bronze", "o4"), json!({"output": "standard"}));
    // No key: nothing, not the fallback.
    assert_eq!(tier("", "o5"), json!({"output": ""}));
    assert_eq!(recv.seen("/bookings").len(), 5);
    let stopped = run.server.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
}
