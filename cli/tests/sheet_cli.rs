//! `claw import sheet` through the real binary: samples, review round trip, bad input.

use assert_cmd::Command;
use claw_importers::review;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn claw() -> Command {
    let mut c = Command::cargo_bin("claw").unwrap();
    c.current_dir(root());
    c
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

/// `claw import sheet` of the sample runbook workbook with `options`, written into `out`.
fn import_runbook(options: &[&str], out: &Path) -> assert_cmd::assert::Assert {
    claw()
        .args(["import", "sheet", "samples/sheets/ops-runbook.xlsx"])
        .args(options)
        .arg("-o")
        .arg(out)
        .assert()
}

#[test]
fn workbook_imports_one_system_per_matching_worksheet_equal_to_golden() {
    let out = tempfile::tempdir().unwrap();
    import_runbook(&["--accept"], out.path())
        .code(0)
        .stdout(predicate::str::contains(
            "worksheet `Contacts` matches no convention",
        ))
        .stdout(predicate::str::contains("'Nightly jobs'!D11"));
    assert_eq!(
        files(out.path()),
        [
            "ops_runbook-carrier_rules.claw",
            "ops_runbook-nightly_jobs.claw"
        ]
    );
    for f in files(out.path()) {
        let got = std::fs::read_to_string(out.path().join(&f)).unwrap();
        let want = std::fs::read_to_string(root().join("golden/sheets").join(&f)).unwrap();
        assert_eq!(got, want, "{f} differs from golden/sheets");
        // Every generated system passes `claw check` (warnings allowed, no errors).
        claw()
            .args(["check"])
            .arg(out.path().join(&f))
            .assert()
            .code(predicate::in_iter([0, 1]))
            .stdout(predicate::str::contains("error[").not());
    }
}

/// `claw import sheet SAMPLE -o OUT`, pending review.
fn import_into(sample: &str, out: &Path) -> assert_cmd::assert::Assert {
    claw()
        .args(["import", "sheet", sample, "-o"])
        .arg(out)
        .assert()
}

/// Every sample sheet, one of each format.
const SAMPLES: [&str; 4] = [
    "samples/sheets/discounts.ods",
    "samples/sheets/escalations.csv",
    "samples/sheets/approvals.tsv",
    "samples/sheets/ops-runbook.xlsx",
];

#[test]
fn review_round_trip_then_unchanged() {
    let out = tempfile::tempdir().unwrap();
    for s in SAMPLES {
        import_into(s, out.path())
            .code(0)
            .stdout(predicate::str::contains("pending review"));
    }
    let pending = review::pending(out.path()).unwrap();
    assert_eq!(pending.len(), 6);
    for p in &pending {
        review::accept(p).unwrap();
    }
    assert!(review::pending(out.path()).unwrap().is_empty());
    for s in SAMPLES {
        import_into(s, out.path())
            .code(0)
            .stdout(predicate::str::contains("unchanged"))
            .stdout(predicate::str::contains("pending review").not());
    }
    assert!(files(out.path()).iter().all(|f| !f.ends_with(".new")));
}

#[test]
fn output_is_deterministic() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for d in [a.path(), b.path()] {
        import_runbook(&["--accept", "--format", "json"], d).code(0);
    }
    for f in files(a.path()) {
        assert_eq!(
            std::fs::read(a.path().join(&f)).unwrap(),
            std::fs::read(b.path().join(&f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn sheet_option_selects_one_worksheet() {
    let out = tempfile::tempdir().unwrap();
    import_runbook(&["--sheet", "Carrier rules", "--accept"], out.path()).code(0);
    assert_eq!(files(out.path()), ["ops_runbook-carrier_rules.claw"]);
    import_runbook(&["--sheet", "Nope"], &out.path().join("x"))
        .code(2)
        .stderr(predicate::str::contains("claw::import::no_such_sheet").and(
            predicate::str::contains("Nightly jobs, Carrier rules, Contacts"),
        ));
    import_runbook(&["--sheet", "Contacts"], &out.path().join("y"))
        .code(2)
        .stderr(
            predicate::str::contains("claw::import::sheet_no_convention")
                .and(predicate::str::contains("A1 \"Name\", B1 \"Phone\"")),
        );
    assert!(!out.path().join("x").exists() && !out.path().join("y").exists());
}

#[test]
fn bad_input_is_a_located_error_and_writes_nothing() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "samples/sheets/bad/garbage.xlsx",
            "claw::import::bad_sheet",
            "garbage.xlsx: not a readable xlsx workbook",
        ),
        (
            "samples/sheets/bad/truncated.xlsx",
            "claw::import::bad_sheet",
            "truncated.xlsx: not a readable xlsx workbook",
        ),
        (
            "samples/sheets/bad/garbage.csv",
            "claw::import::bad_sheet",
            "garbage.csv:3:130: binary data",
        ),
        (
            "samples/sheets/bad/contacts.csv",
            "claw::import::sheet_no_convention",
            "headers found: A1 \"Name\", B1 \"Phone\", C1 \"City\"",
        ),
        (
            "samples/sheets/missing.xlsx",
            "claw::import::io",
            "missing.xlsx",
        ),
        (
            "samples/sheets/make_samples.py",
            "claw::import::sheet_format",
            "unknown spreadsheet format `.py`",
        ),
    ];
    for (input, code, text) in cases {
        let out = tempfile::tempdir().unwrap();
        let target = out.path().join("systems");
        let report = out.path().join("report.json");
        claw()
            .args(["import", "sheet", input, "--report"])
            .arg(&report)
            .arg("-o")
            .arg(&target)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(*code).and(predicate::str::contains(*text)));
        assert!(
            !target.exists() && !report.exists(),
            "{input}: something was written"
        );
    }
}

#[test]
fn stdin_is_sniffed_and_json_report_is_written() {
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("r.json");
    let csv = std::fs::read(root().join("samples/sheets/escalations.csv")).unwrap();
    let assert = claw()
        .args(["import", "sheet", "-", "--format", "json", "--report"])
        .arg(&report)
        .arg("-o")
        .arg(out.path().join("s"))
        .write_stdin(csv)
        .assert()
        .code(0);
    let stdout: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(stdout, saved);
    assert_eq!(stdout["systems"].as_array().unwrap().len(), 1);
    let codes: Vec<&str> = stdout["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"claw::import::sheet_secret"), "{codes:?}");
    assert!(
        codes.contains(&"claw::import::sheet_unported_action"),
        "{codes:?}"
    );
    assert!(files(&out.path().join("s")).contains(&"stdin.claw.new".to_string()));
}

#[test]
fn deny_findings_gates_on_warnings() {
    let out = tempfile::tempdir().unwrap();
    claw()
        .args([
            "import",
            "sheet",
            "samples/sheets/approvals.tsv",
            "--deny-findings",
            "-o",
        ])
        .arg(out.path())
        .assert()
        .code(1);
}
