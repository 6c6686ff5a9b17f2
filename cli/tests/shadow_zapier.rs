//! `claw shadow compare` end to end on an imported Zap and a Zapier run history with
//! planted divergences, through the real record-only runtime.

#[path = "common/shadow.rs"]
mod shadow;

use serde_json::{Value, json};
use shadow::{root, sample, shadow};
use std::collections::BTreeMap;

/// The reviewed system in samples/ is exactly the importer's output plus the two review
/// edits the runbook describes (the idempotency key the importer proposed, and the
/// run-time column mapped to the trigger time).
#[test]
fn reviewed_system_is_the_import_plus_two_review_edits() {
    let bytes = std::fs::read(sample("zapier/big-order-alert.json")).unwrap();
    let imp = claw_importers::zapier::import_bytes("big-order-alert.json", &bytes).unwrap();
    assert_eq!(imp.generated.len(), 1);
    let mut sys = imp.generated[0].system.clone();
    assert_eq!(
        sys.triggers[0].idempotency, None,
        "the importer leaves the key to the review"
    );
    assert!(
        imp.findings
            .iter()
            .any(|f| f.message.contains("`order.id`")),
        "the importer proposes order.id"
    );
    sys.triggers[0].idempotency = Some("order.id".into());
    let row = sys
        .execution
        .iter_mut()
        .find(|e| e.name == "log_order_row")
        .unwrap();
    assert_eq!(
        row.with["COL$C"],
        Value::String("\\{{zap_meta_utc_iso}}".into())
    );
    row.with.insert(
        "COL$C".into(),
        Value::String("{{ trigger.received_at }}".into()),
    );
    let expected = std::fs::read_to_string(sample("big-order-alert.claw")).unwrap();
    assert_eq!(claw_language::write::to_claw(&sys), expected);
}

fn compare(extra: &[&str]) -> (i32, String) {
    let out = shadow(
        "compare",
        &[
            "--system",
            &sample("big-order-alert.claw"),
            "--zapier-json",
            &sample("zapier/zap-runs-page-1.json"),
            "--inputs",
            &sample("mirrored-inputs.jsonl"),
        ],
    )
    .current_dir(root())
    .args(extra)
    .output()
    .unwrap();
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn report_finds_exactly_the_planted_divergences() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("shadow.db");
    let (code, json) = compare(&[
        "--format",
        "json",
        "--gate",
        "99.5",
        "--store",
        store.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "the gate fails");
    let r: Value = serde_json::from_str(&json).unwrap();
    let classes: Vec<(String, String)> = r["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["correlation"].as_str().unwrap().to_string(),
                x["class"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let missing_corr = classes.iter().find(|c| c.1 == "missing").unwrap().0.clone();
    assert!(
        missing_corr.starts_with("payload "),
        "no input kept, so no key: {missing_corr}"
    );
    assert_eq!(
        classes,
        vec![
            ("key 1001".to_string(), "noise".to_string()), // timestamp-only difference
            ("key 1001".into(), "duplicate".into()),       // Zapier replay of the same input
            ("key 1002".into(), "branch".into()),          // filter translated differently
            ("key 1003".into(), "match".into()),           // filtered on both sides
            ("key 1004".into(), "params".into()),          // changed message template
            (missing_corr, "missing".into()),              // legacy ran, shadow never saw it
            ("key 1006".into(), "extra".into()),           // shadow ran, legacy never did
        ]
    );
    assert_eq!(r["compared"], 6);
    assert_eq!(r["at_parity"], 2);
    // Every real difference, and only those.
    let real: Vec<(String, String)> = r["runs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|x| {
            let c = x["correlation"].as_str().unwrap().to_string();
            x["diffs"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d.get("noise").is_none())
                .map(move |d| (c.clone(), d["path"].as_str().unwrap().to_string()))
        })
        .collect();
    assert_eq!(
        real,
        vec![
            (
                "key 1002".to_string(),
                "branches.only_big_orders".to_string()
            ),
            ("key 1002".into(), "steps.log_order_row".into()),
            ("key 1002".into(), "steps.post_to_slack".into()),
            ("key 1004".into(), "steps.post_to_slack.with.text".into()),
        ]
    );
    let noise = r["noise"].as_array().unwrap();
    assert_eq!(noise.len(), 1);
    assert_eq!(noise[0]["path"], "steps.log_order_row.with.COL$C");
    assert!(
        noise[0]["reason"]
            .as_str()
            .unwrap()
            .contains("identical input")
    );
    assert_eq!(r["gate"]["passed"], false);
    // Verdicts went to the store: parity per day.
    let out = shadow(
        "history",
        &[
            "--system",
            "big-order-alert",
            "--format",
            "json",
            "--store",
            store.to_str().unwrap(),
        ],
    )
    .output()
    .unwrap();
    assert!(out.status.success());
    let days: Value = serde_json::from_slice(&out.stdout).unwrap();
    let days: Vec<(String, f64)> = days
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["day"].as_str().unwrap().to_string(),
                d["parity"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        days,
        vec![
            ("2026-11-02".into(), 50.0),
            ("2026-11-03".into(), 50.0),
            ("2026-11-04".into(), 0.0)
        ]
    );
}

#[test]
fn output_is_deterministic_and_declared_noise_is_reported() {
    let (c1, a) = compare(&[]);
    let (c2, b) = compare(&[]);
    assert_eq!((c1, c2), (0, 0), "no gate, no failure");
    assert_eq!(a, b);
    assert!(a.contains("parity 33.33% (2 of 6 runs"), "{a}");
    assert!(
        a.contains("steps.post_to_slack.with.text in 1 run(s)"),
        "{a}"
    );
    // Declaring the template field as noise lifts run 1004 to parity, and says why.
    let (_, c) = compare(&["--ignore", "steps.*.with.text"]);
    assert!(c.contains("parity 50.00% (3 of 6 runs"), "{c}");
    assert!(
        c.contains("steps.*.with.text: declared with --ignore"),
        "{c}"
    );
}

#[test]
fn html_report_renders_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let (_, _) = compare(&["--html", html.to_str().unwrap()]);
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(
        !text.contains("http://") && !text.contains("https://"),
        "self-contained"
    );
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let Some(chromium) = chromium else {
        eprintln!(
            "!!!!!!!! SKIPPED: chromium is not installed (apt-get install -y chromium); the HTML report was not opened in a browser !!!!!!!!"
        );
        return;
    };
    let profile = dir.path().join("profile");
    let out = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            &format!("--user-data-dir={}", profile.display()),
            "--dump-dom",
            &format!("file://{}", html.display()),
        ])
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("Parity 33.33%"), "{dom}");
    assert!(dom.contains("steps.post_to_slack.with.text"));
    assert!(dom.contains("Order 1004 from Dana: 310.00 EUR"));
    assert!(dom.contains("New order 1004 from Dana: 310.00"));
    assert!(dom.contains("data-class=\"missing\""));
    assert!(dom.contains("steps.log_order_row.with.COL$C"));
}

#[test]
fn bad_history_is_a_usage_error_naming_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("page.json");
    std::fs::write(&bad, "{\"data\": [\n  {\"id\": 1,, }\n]}").unwrap();
    let out = shadow(
        "compare",
        &[
            "--system",
            &sample("big-order-alert.claw"),
            "--zapier-json",
            bad.to_str().unwrap(),
        ],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("page.json:2:"), "{err}");
}

/// The text report of the sample is held in golden/; a drift fails with the diff
/// (`CLAW_BLESS=1` rewrites the golden file instead).
#[test]
fn text_report_matches_golden() {
    let out = shadow(
        "compare",
        &[
            "--system",
            "samples/shadow/big-order-alert.claw",
            "--zapier-json",
            "samples/shadow/zapier/zap-runs-page-1.json",
            "--inputs",
            "samples/shadow/mirrored-inputs.jsonl",
        ],
    )
    .current_dir(root())
    .output()
    .unwrap();
    let got = String::from_utf8(out.stdout).unwrap();
    let path = root().join("golden/shadow/big-order-alert.report.txt");
    // Accept an intended change the one way used for every golden in the project.
    if std::env::var_os("CLAW_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap();
    if got != want {
        let diff = similar::TextDiff::from_lines(&want, &got)
            .unified_diff()
            .header("golden", "now")
            .to_string();
        panic!(
            "report drifted from golden/shadow/big-order-alert.report.txt:\n{diff}\naccept an intended change with CLAW_BLESS=1 cargo test -p claw --test shadow_zapier"
        );
    }
}

/// `claw shadow compare --system SYSTEM --zapier-json HISTORY --format json`, which must exit
/// 0; its JSON report.
fn compare_json(system: &str, history: &str) -> Value {
    let out = shadow(
        "compare",
        &[
            "--system",
            system,
            "--zapier-json",
            history,
            "--format",
            "json",
        ],
    )
    .current_dir(root())
    .output()
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A loop's per-item steps are compared item by item: Zapier's history lists a looped step
/// once per iteration (assumed, docs/formats/zapier-history.md), the record-only run makes
/// one call per item, and the n-th call of a step is `name#n`. The page plants one differing
/// item (order 502, item 2) and one item the shadow never makes (order 503, item 3).
#[test]
fn loops_are_compared_item_by_item() {
    let report = compare_json(
        &sample("reserve-order-lines.claw"),
        &sample("zapier/loop-runs.json"),
    );
    assert_eq!(report["compared"], 3, "{report}");
    let by_key: BTreeMap<String, &Value> = report["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["correlation"].as_str().unwrap().to_string(), r))
        .collect();
    assert_eq!(by_key["key 501"]["class"], "match");
    assert_eq!(
        by_key["key 502"]["diffs"],
        json!([{"path": "steps.reserve_stock#2.with.body.qty", "legacy": "50", "shadow": "5"}])
    );
    let paths: Vec<&str> = by_key["key 503"]["diffs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "steps.reserve_stock#2.with.body.last",
            "steps.reserve_stock#3"
        ],
        "{}",
        by_key["key 503"]
    );
}

/// A digest's release is compared too: the record-only runtime keeps the digest in its own
/// store, so the run whose entry fills it releases it, as the legacy task did, and the step
/// after it is compared with the legacy's. The page's third run is the release (a threshold
/// of 3); a copy with its count changed shows the difference at that step.
#[test]
fn a_digest_release_is_compared_with_the_releasing_task() {
    let compare = |history: &str| compare_json(&sample("collect-leads.claw"), history);
    let report = compare(&sample("zapier/digest-runs.json"));
    assert_eq!(report["counts"]["match"], 4, "{report}");
    let released = report["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["correlation"] == "key linus@example.com")
        .unwrap();
    let steps: Vec<&str> = released["shadow"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["add_lead_to_digest", "send_digest_to_sales"]);

    let dir = tempfile::tempdir().unwrap();
    let changed = dir.path().join("runs.json");
    let text = std::fs::read_to_string(root().join(sample("zapier/digest-runs.json")))
        .unwrap()
        .replace("\"count\": 3", "\"count\": 2");
    std::fs::write(&changed, text).unwrap();
    let report = compare(changed.to_str().unwrap());
    assert_eq!(report["counts"]["params"], 1, "{report}");
    let diffs: Vec<&Value> = report["runs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["diffs"].as_array().into_iter().flatten())
        .collect();
    assert_eq!(
        diffs,
        [&json!({"path": "steps.send_digest_to_sales.with.body.count", "legacy": 2, "shadow": 3})]
    );
}

/// A Sub-Zap call is compared too: the caller's `system.call` step with the inputs it sends,
/// and the steps that read the reply, which the record-only runtime gets by running the
/// called system (loaded from the file beside the caller) in its own store. The page's second
/// run plants a greeting the Sub-Zap would not have returned.
#[test]
fn a_sub_zap_call_and_its_reply_are_compared() {
    let report = compare_json(
        &sample("welcome-new-contact.claw"),
        &sample("zapier/subzap-runs.json"),
    );
    assert_eq!(report["counts"]["match"], 1, "{report}");
    let runs = report["runs"].as_array().unwrap();
    let first = runs.iter().find(|r| r["correlation"] == "key c-1").unwrap();
    let steps: Vec<(&str, &str)> = first["shadow"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["step"].as_str().unwrap(), s["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("normalize_contact", "system.call"),
            ("send_welcome", "http.post")
        ]
    );
    let second = runs.iter().find(|r| r["correlation"] == "key c-2").unwrap();
    assert_eq!(
        second["diffs"],
        json!([{"path": "steps.send_welcome.with.body.greeting",
                "legacy": "Welcome, grace hopper!", "shadow": "Welcome, Grace Hopper!"}])
    );
}
