//! An imported Formatter by Zapier Zap runs for real: `samples/zapier/format-new-signups.json`
//! is imported with `claw import zapier --accept`, checked with `claw check`, then run by
//! `claw run` on SQLite; a webhook delivery goes through twelve Formatter steps and a Webhooks
//! by Zapier POST to a loopback receiver. Each asserted value is what Zapier's Formatter gives
//! for the same input (the behaviour is that of Zapier's Formatter service,
//! github.com/zapier/transformer, and the help pages it links; see the unit tests in
//! `language/src/format/` for each transform's rule).
//!
//! The second test does the same with `samples/zapier/format-order-summary.json`, the second
//! Formatter slice: Markdown ↔ HTML, phone, spreadsheet-formula, random-number, compare-dates,
//! line-itemizer and Import CSV steps (the file served by a second loopback server), with no
//! step left `unported`.

#[path = "common/ops.rs"]
mod ops;

use ops::*;
use serde_json::{Value, json};

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

/// A sample Zap imported with `claw import zapier --accept`, checked with `claw check`, its
/// Webhooks by Zapier POST pointed at a loopback receiver, and served by `claw run` on SQLite.
struct Running {
    _dir: tempfile::TempDir,
    imported: Out,
    db: String,
    srv: Server,
    recv: Receiver,
}

/// Imports, checks and serves `samples/zapier/<system>.json`; `target` (the POST's URL in the
/// sample) is replaced by the receiver's `path`.
fn import_and_serve(system: &str, target: &str, path: &str) -> Running {
    let sample = format!(
        "{}/../samples/zapier/{system}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("systems");
    let imported = cli(&[
        "import",
        "zapier",
        &sample,
        "--accept",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(imported.code, 0, "{}{}", imported.stdout, imported.stderr);
    let file = out.join(format!("{system}.claw"));
    let checked = cli(&["check", file.to_str().unwrap()]);
    assert_eq!(checked.code, 0, "{}{}", checked.stdout, checked.stderr);
    let recv = Receiver::start();
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace(target, &format!("{}{path}", recv.base));
    std::fs::write(&file, text).unwrap();
    let db = sqlite(dir.path());
    let srv = Server::start(&file, &db, &[], &[]);
    Running {
        _dir: dir,
        imported,
        db,
        srv,
        recv,
    }
}

/// The params step `name` was attempted with.
fn attempted(ev: &Value, name: &str) -> Value {
    ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "step.attempt_started" && e["step"] == name)
        .map(|e| e["data"]["params"].clone())
        .unwrap_or_else(|| panic!("no {name} attempt in {ev}"))
}

// Long on purpose: one scenario against a real `claw` process (import, check, run, deliver,
// read the events); split, each part would have to import and start the server again.
#[test]
fn imported_formatter_zap_runs_under_claw_run() {
    // `_dir` is bound so the temporary directory lives until the test ends.
    let Running {
        _dir,
        db,
        srv,
        recv,
        ..
    } = import_and_serve(
        "format-new-signups",
        "https://crm.example.com/contacts",
        "/contacts",
    );
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
    let params = attempted(&ev, "create_contact");
    let data = &params["body"];
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

/// A loopback server that answers every request with `body` as `text/csv`: the file Import
/// CSV downloads. It stops with the test process.
fn csv_file_server(body: &'static str) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(16) {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}/prices.csv")
}

// Long on purpose: one scenario against a real `claw` process (import, check, run, deliver,
// read the events); split, each part would have to import and start the server again.
#[test]
fn imported_second_slice_formatter_zap_runs_under_claw_run() {
    let Running {
        _dir,
        imported,
        db,
        srv,
        recv,
    } = import_and_serve(
        "format-order-summary",
        "https://warehouse.example.com/orders",
        "/orders",
    );
    assert!(
        !imported.stdout.contains("unported") && !imported.stderr.contains("unported"),
        "{}{}",
        imported.stdout,
        imported.stderr
    );
    let prices = csv_file_server("sku,price\nMUG-1,12.50\n\"TEE-3\",\"9,99\"\n");
    let run = hook(
        &srv.url,
        "format-order-summary",
        "new_order",
        json!({
            "notes": "**Rush** order, see [tracking](https://t.test/1)",
            "description": "<h2>Blue Mug</h2><p>Holds <b>350 ml</b>.</p><script>x()</script>",
            "phone": "555.800.1212",
            "subtotal": "100",
            "tax_rate": "8.25",
            "ordered_at": "2024-03-01T09:00:00Z",
            "ship_by": "2024-03-04T17:00:00Z",
            "skus": "MUG-1,TEE-3",
            "quantities": "2,1",
            "price_list_url": prices
        }),
    );
    let ev = finished(&db, &run);
    assert_eq!(ev["run"]["status"], "succeeded", "{ev}");

    // string.markdown ("Convert Markdown to HTML"): strong emphasis and an inline link.
    assert_eq!(
        output(&ev, "notes_html"),
        json!({"output": "<p><strong>Rush</strong> order, see <a href=\"https://t.test/1\">tracking</a></p>"})
    );
    // string.htmlmarkdown ("Convert HTML to Markdown"): an h2 as `##`, bold as `**`, the
    // script dropped.
    assert_eq!(
        output(&ev, "description_markdown"),
        json!({"output": "## Blue Mug\n\nHolds **350 ml**."})
    );
    // number.phone, format choice 2 "(555) 800-1212 (National)", default region US.
    assert_eq!(output(&ev, "phone"), json!({"output": "(555) 800-1212"}));
    // number.spreadsheet_formula: fields are filled into the formula text; `%` divides by
    // 100 and ROUND rounds half away from zero, as in Google Sheets and Excel.
    assert_eq!(output(&ev, "total"), json!({"output": 108.25}));
    // Random number: a whole number within the range (fixed by the run id here, so a replay
    // of the run gives the same one; Zapier draws anew).
    let ticket = output(&ev, "ticket")["output"].as_i64().unwrap_or(0);
    assert!((1000..=9999).contains(&ticket), "{ticket}");
    // date.compare ("Compare Dates"): whole days and hours from start to end.
    let lead = output(&ev, "lead_time");
    assert_eq!(lead["days"], 3, "{lead}");
    assert_eq!(lead["hours"], 80, "{lead}");
    assert_eq!(lead["start_before_end"], true, "{lead}");
    // util.line_itemizer: the nth value of each property makes the nth line item.
    assert_eq!(
        output(&ev, "items"),
        json!({"Items": [{"sku": "MUG-1", "qty": "2"}, {"sku": "TEE-3", "qty": "1"}]})
    );
    // util.import_csv ("Import CSV File"): the file is downloaded by its own `http.get` step,
    // then its rows become line items keyed by the header; a quoted cell keeps its comma.
    assert_eq!(
        output(&ev, "price_list"),
        json!({"row_count": 2, "line_items": [
            {"sku": "MUG-1", "price": "12.50"},
            {"sku": "TEE-3", "price": "9,99"},
        ]})
    );

    // The POST carried the formatted values.
    let params = attempted(&ev, "notify_warehouse");
    let data = &params["body"];
    assert_eq!(data["phone"], "(555) 800-1212");
    assert_eq!(data["total"], 108.25);
    assert_eq!(data["days"], 3);
    assert_eq!(data["price_rows"], 2);
    assert_eq!(recv.seen("/orders").len(), 1);

    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
}
