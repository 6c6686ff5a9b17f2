//! `claw graph` through the real binary, pinned against golden drawings in `golden/graph/`.
//! Accept an intended change with `CLAW_UPDATE_GOLDEN=1 cargo test -p claw --test graph_cli`.

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

fn golden(name: &str, actual: &str) {
    let path = root().join("golden/graph").join(name);
    if std::env::var_os("CLAW_UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        claw_language::files::write_atomic(&path, actual.as_bytes()).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with CLAW_UPDATE_GOLDEN=1", path.display()));
    if expected != actual {
        let diff = similar::TextDiff::from_lines(&expected, actual);
        panic!(
            "{} drifted:\n{}",
            path.display(),
            diff.unified_diff().header("golden", "actual")
        );
    }
}

#[test]
fn drawings_match_golden() {
    for sample in ["dispatch", "lead-routing", "order-alerts"] {
        for (format, ext) in [("dot", "dot"), ("mermaid", "mmd")] {
            let out = claw()
                .args(["graph", "--format", format])
                .arg(format!("samples/systems/{sample}.claw"))
                .output()
                .expect("runs");
            assert_eq!(out.status.code(), Some(0));
            golden(
                &format!("{sample}.{ext}"),
                &String::from_utf8(out.stdout).expect("utf-8"),
            );
        }
    }
}

#[test]
fn dot_is_the_default_and_names_every_layer() {
    claw()
        .args(["graph", "samples/systems/dispatch.claw"])
        .assert()
        .success()
        .stdout(
            predicate::str::starts_with("digraph \"dispatch\"")
                .and(predicate::str::contains("trigger: order_created"))
                .and(predicate::str::contains("decision: carrier_selection"))
                .and(predicate::str::contains("step: book_carrier"))
                .and(predicate::str::contains("dead letter: queue://ops.dlq"))
                .and(predicate::str::contains("slack://ops-oncall")),
        );
}

#[test]
fn invalid_system_exits_1_and_missing_file_exits_2() {
    claw()
        .args(["graph", "samples/broken/cycle.claw"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("claw::cycle"));
    claw().args(["graph", "nope.claw"]).assert().code(2);
    claw()
        .args(["graph", "--format", "png", "samples/systems/dispatch.claw"])
        .assert()
        .code(2);
}

#[test]
fn help() {
    claw()
        .args(["graph", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("mermaid").and(predicate::str::contains("dot")));
}
