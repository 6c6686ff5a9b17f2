//! `claw import zapier` through the real binary.

use assert_cmd::Command;
use std::path::Path;

/// The Zapier corpus, or `None` (recorded as not run) when it is absent.
fn corpus(test: &str) -> Option<std::path::PathBuf> {
    claw_testkit::shared::corpus("zapier", test)
}
const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/zapier");

fn claw() -> Command {
    Command::cargo_bin("claw").unwrap()
}

#[test]
fn corpus_imports_with_exit_0_and_every_system_checks() {
    let Some(corpus) = corpus("corpus_imports_with_exit_0_and_every_system_checks") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("report.json");
    let a = claw()
        .args(["import", "zapier"])
        .arg(&corpus)
        .arg("-o")
        .arg(out.path().join("sys"))
        .arg("--report")
        .arg(&report)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(stdout.contains("7 system(s)"), "{stdout}");
    assert!(
        stdout.contains("pending review"),
        "first import goes to .claw.new: {stdout}"
    );
    // Pending files are reviewed, then checked.
    claw()
        .args(["review", "--accept"])
        .arg(out.path().join("sys"))
        .assert()
        .success();
    claw()
        .args(["check"])
        .arg(out.path().join("sys"))
        .assert()
        .success();
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["systems"].as_array().unwrap().len(), 7);
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "claw::import::paused_zap")
    );
    // Same input again: nothing changes.
    let again = claw()
        .args(["import", "zapier"])
        .arg(&corpus)
        .arg("-o")
        .arg(out.path().join("sys"))
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&again.get_output().stdout).contains("unchanged"));
    claw()
        .args(["review", "--check"])
        .arg(out.path().join("sys"))
        .assert()
        .success();
}

#[test]
fn accept_writes_directly_and_deny_findings_gates() {
    let out = tempfile::tempdir().unwrap();
    claw()
        .args(["import", "zapier", SAMPLES, "--accept", "-o"])
        .arg(out.path())
        .assert()
        .success();
    assert!(out.path().join("route-inbound-leads.claw").exists());
    assert!(
        out.path()
            .join("policies/route-inbound-leads/enrich_lead.js")
            .exists()
    );
    claw()
        .args(["review", "--check"])
        .arg(out.path())
        .assert()
        .success();
    claw()
        .args(["import", "zapier", SAMPLES, "--deny-findings", "-o"])
        .arg(out.path())
        .assert()
        .code(1);
}

#[test]
fn stdin_and_json_format() {
    let Some(corpus) = corpus("stdin_and_json_format") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let input =
        std::fs::read(corpus.join("toddmoy-node-based-zap-examples/biggroup.json")).unwrap();
    let a = claw()
        .args([
            "import", "zapier", "-", "--format", "json", "--accept", "-o",
        ])
        .arg(out.path())
        .write_stdin(input)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(v["systems"][0]["outcome"], "written");
    assert!(out.path().join("biggroup.claw").exists());
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("in");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(
        Path::new(SAMPLES).join("route-inbound-leads.json"),
        dir.join("a.json"),
    )
    .unwrap();
    std::fs::write(dir.join("b.json"), "{\"zaps\": [{\"id\": 1, \"title\": \"x\", \"nodes\": {\"1\": {\"id\": 1, \"parent_id\": 7}}}]}").unwrap();
    let sys = out.path().join("sys");
    let a = claw()
        .args(["import", "zapier"])
        .arg(&dir)
        .arg("-o")
        .arg(&sys)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        err.contains("error[claw::import::dangling_parent]"),
        "{err}"
    );
    assert!(err.contains("Zap 1 \"x\": node 1 has parent_id 7"), "{err}");
    assert!(!sys.exists(), "nothing may be written");
    let a = claw()
        .args(["import", "zapier", "-", "-o"])
        .arg(&sys)
        .write_stdin("{\"zaps\": [")
        .assert()
        .code(2);
    assert!(
        String::from_utf8_lossy(&a.get_output().stderr)
            .contains("error[claw::import::bad_json]: <stdin>:1:")
    );
    assert!(!sys.exists());
}
