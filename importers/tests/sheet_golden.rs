//! Golden outputs of `claw import sheet` for every sample in samples/sheets: the systems (via
//! the same `write_all` the cli uses) and the findings report. On drift the test fails with the
//! diff; to accept a deliberate change run
//! `CLAW_BLESS=1 cargo test -p claw-importers --test sheet_golden` and review the git diff.

use claw_importers::findings::report_text;
use claw_importers::output::{Outcome, write_all};
use claw_importers::review;
use claw_importers::sheet::{self, Options};
use std::path::{Path, PathBuf};

const SAMPLES: &[&str] = &[
    "ops-runbook.xlsx",
    "discounts.ods",
    "escalations.csv",
    "approvals.tsv",
    "kit-rules.csv",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn samples_match_golden() {
    // Paths are given relative to the repository root, as a user would, so provenance is stable.
    std::env::set_current_dir(root()).unwrap();
    let golden = Path::new("golden/sheets");
    let accept = std::env::var_os("CLAW_BLESS").is_some_and(|v| v == "1");
    let mut drift = Vec::new();
    for s in SAMPLES {
        let input = PathBuf::from("samples/sheets").join(s);
        let imported =
            sheet::import(&input, &Options::default()).unwrap_or_else(|e| panic!("{s}: {e}"));
        let report = report_text(&imported.findings);
        let report_path = golden.join(format!("{s}.findings.txt"));
        if accept {
            write_all(golden, &imported.generated, true).unwrap();
            std::fs::write(&report_path, &report).unwrap();
            continue;
        }
        // Import into a copy of the golden folder: anything not `unchanged` is drift.
        let tmp = tempfile::tempdir().unwrap();
        for g in &imported.generated {
            let name = format!("{}.claw", g.system.system);
            if let Ok(text) = std::fs::read_to_string(golden.join(&name)) {
                std::fs::write(tmp.path().join(&name), text).unwrap();
            }
        }
        let written = write_all(tmp.path(), &imported.generated, false).unwrap();
        if written.iter().any(|w| w.outcome != Outcome::Unchanged) {
            for p in review::pending(tmp.path()).unwrap() {
                drift.push(review::diff(&p).unwrap());
            }
        }
        let old = std::fs::read_to_string(&report_path).unwrap_or_default();
        if old != report {
            drift.push(review::unified(
                &old,
                &report,
                &report_path.display().to_string(),
            ));
        }
    }
    assert!(
        drift.is_empty(),
        "sheet import output drifted from golden/sheets:\n{}\nIf this change is intended, run `CLAW_BLESS=1 cargo test -p claw-importers --test sheet_golden` and review the diff.",
        drift.join("\n")
    );
}

#[test]
fn no_secret_reaches_the_golden_files() {
    for entry in std::fs::read_dir(root().join("golden/sheets")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for leaked in ["hunter2", "s3cr3t-pass", "xoxb-1234567890", "abcdefghij"] {
            assert!(
                !text.contains(leaked),
                "`{leaked}` leaked into golden output"
            );
        }
    }
}
