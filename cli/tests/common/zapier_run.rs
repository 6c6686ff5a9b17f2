//! Helpers for the tests that import a sample Zap and run it under `claw run`: import and
//! check it, point its HTTP steps at a loopback receiver, read a step's events. Included with
//! `#[path = "common/zapier_run.rs"] mod zapier_run;` beside `common/ops.rs`.
#![allow(dead_code)]

use super::ops::cli;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Imports the sample Zap file `sample` (under `samples/zapier/`) into `dir/systems` with
/// `claw import zapier --accept`, checks the system `system` with `claw check`, and returns
/// its file; either command failing fails the test with its output.
pub fn import_and_check(sample: &str, dir: &Path, system: &str) -> PathBuf {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../samples/zapier")
        .join(sample);
    let out = dir.join("systems");
    let imported = cli(&[
        "import",
        "zapier",
        sample.to_str().unwrap(),
        "--accept",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(imported.code, 0, "{}{}", imported.stdout, imported.stderr);
    let file = out.join(format!("{system}.claw"));
    let checked = cli(&["check", file.to_str().unwrap()]);
    assert_eq!(checked.code, 0, "{}{}", checked.stdout, checked.stderr);
    file
}

/// Replaces the URL `from` in the system `file` by `to` (a loopback receiver's).
pub fn redirect(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap().replace(from, to);
    std::fs::write(file, text).unwrap();
}

/// The event of `kind` (`step.succeeded`, `step.failed`, …) of step `name` in a run's events.
pub fn step_event<'a>(ev: &'a Value, kind: &str, name: &str) -> &'a Value {
    ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == kind && e["step"] == name)
        .unwrap_or_else(|| panic!("no {kind} of `{name}` in {ev}"))
}
