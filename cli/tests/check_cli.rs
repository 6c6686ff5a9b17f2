//! `claw check` through the real binary: exit codes, text and JSON output.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn claw() -> Command {
    let mut c = Command::cargo_bin("claw").expect("the claw binary is built");
    c.current_dir(root()).env("NO_COLOR", "1");
    c
}

#[test]
fn sample_systems_check_clean() {
    claw()
        .args(["check", "samples/systems"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("checked 5 file(s): 0 invalid"));
}

#[test]
fn sample_systems_json_is_valid_and_error_free() {
    let out = claw()
        .args(["check", "--format", "json", "samples/systems"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let files = v["files"].as_array().expect("files array");
    assert_eq!(files.len(), 5);
    for f in files {
        assert_eq!(f["valid"], true, "{f}");
        for d in f["diagnostics"].as_array().expect("diagnostics") {
            assert_eq!(d["severity"], "warning", "{d}");
            assert!(
                d["line"].as_u64().is_some() && d["column"].as_u64().is_some(),
                "{d}"
            );
        }
    }
}

#[test]
fn each_broken_sample_exits_1_with_its_code() {
    let dir = root().join("samples/broken");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("samples/broken")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "claw"))
        .collect();
    files.sort();
    assert!(files.len() >= 40);
    for f in files {
        let text = std::fs::read_to_string(&f).expect("readable");
        let code = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .expect("expect line")
            .trim()
            .to_string();
        let rel = f.strip_prefix(root()).expect("inside repo").to_path_buf();
        let out = claw()
            .args(["check", "--format", "json"])
            .arg(&rel)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1), "{}", rel.display());
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let file = &v["files"][0];
        assert_eq!(file["valid"], false);
        let diags = file["diagnostics"].as_array().expect("diagnostics");
        assert!(
            diags
                .iter()
                .any(|d| d["code"] == code.as_str() && d["severity"] == "error"),
            "{}: expected {code} in {diags:?}",
            rel.display()
        );
        // The text form matches the golden file exactly (stderr carries the rendered report).
        let out = claw().arg("check").arg(&rel).output().expect("runs");
        assert_eq!(out.status.code(), Some(1));
        let stem = f.file_stem().expect("stem").to_string_lossy().into_owned();
        let golden = std::fs::read_to_string(root().join(format!("golden/diagnostics/{stem}.txt")))
            .expect("golden text");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with(&golden),
            "{}: stderr differs from golden:\n{stderr}",
            rel.display()
        );
    }
}

#[test]
fn a_mix_of_valid_and_invalid_files_exits_1() {
    claw()
        .args([
            "check",
            "samples/systems/dispatch.claw",
            "samples/broken/cycle.claw",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("1 invalid"));
}

#[test]
fn unreadable_or_missing_paths_exit_2() {
    claw()
        .args(["check", "does/not/exist.claw"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("claw::io"));
    let tmp = tempfile::tempdir().expect("tempdir");
    // A folder without .claw files is a usage error, not a pass.
    claw()
        .arg("check")
        .arg(tmp.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no .claw files"));
    // Not UTF-8: unreadable as text.
    let bad = tmp.path().join("bin.claw");
    std::fs::write(&bad, [0xff, 0xfe, 0x00, 0x80]).expect("write");
    claw().arg("check").arg(&bad).assert().code(2);
}

#[test]
fn deny_warnings_turns_lints_into_exit_1() {
    claw()
        .args(["check", "--deny-warnings", "samples/systems/dispatch.claw"])
        .assert()
        .code(1);
}

#[test]
fn no_arguments_is_a_usage_error() {
    claw().arg("check").assert().code(2);
}

#[test]
fn help_and_version() {
    claw().args(["check", "--help"]).assert().success().stdout(
        predicate::str::contains("--format").and(predicate::str::contains("--deny-warnings")),
    );
    claw()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(format!(
            "claw {}",
            env!("CARGO_PKG_VERSION")
        )));
    claw().arg("--help").assert().success().stdout(
        predicate::str::contains("check")
            .and(predicate::str::contains("fmt"))
            .and(predicate::str::contains("graph"))
            .and(predicate::str::contains("schema")),
    );
}
