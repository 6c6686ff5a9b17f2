//! `claw fmt` through the real binary: --check, rewriting, idempotence, comments.

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

/// The seed written the way people write YAML: odd spacing, quotes, flow mappings.
const MESSY: &str = "system: 'dispatch'\nversion: \"1.0.0\"\ntriggers:\n- order_created: {source: webhook, idempotency: order.id}\ndecisions:\n  - carrier_selection:\n        emits: booking.decision\n        policy: \"./policies/carrier.policy.ts\"\n        inputs:\n          - order\n          - carrier_rates\n          - sla_policy\nexecution:\n  - book_carrier: {on: booking.decision, action: carrier.book, retries: 3, dead_letter: 'queue://ops.dlq'}\ndata: {events: {store: event-log, retention: 365d}}\nobservability:\n  alerts: [{on: error_rate > 1%, route: 'slack://ops-oncall'}]\n  slo: {dispatch_latency_p95: 500ms, error_rate: <0.5%}\n";

#[test]
fn samples_are_canonical() {
    claw()
        .args(["fmt", "--check", "samples/systems"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("already canonical"));
}

#[test]
fn check_reports_then_fmt_rewrites_to_the_golden_form() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = tmp.path().join("dispatch.claw");
    std::fs::write(&f, MESSY).expect("write");
    claw()
        .args(["fmt", "--check"])
        .arg(&f)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not in canonical form"));
    // --check changed nothing.
    assert_eq!(std::fs::read_to_string(&f).expect("read"), MESSY);
    claw().arg("fmt").arg(&f).assert().code(0);
    let golden = std::fs::read_to_string(root().join("golden/fmt/dispatch.claw")).expect("golden");
    assert_eq!(std::fs::read_to_string(&f).expect("read"), golden);
    // Idempotent: a second run has nothing to do.
    claw().args(["fmt", "--check"]).arg(&f).assert().code(0);
    claw().arg("fmt").arg(&f).assert().code(0);
    assert_eq!(std::fs::read_to_string(&f).expect("read"), golden);
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(tmp.path()).expect("list").collect();
    assert_eq!(names.len(), 1);
}

#[test]
fn comments_are_kept_unless_stripping_is_asked_for() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = tmp.path().join("x.claw");
    let with_comment = format!("# owned by ops\n{MESSY}");
    std::fs::write(&f, &with_comment).expect("write");
    claw()
        .arg("fmt")
        .arg(&f)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("claw::fmt_comments"));
    assert_eq!(std::fs::read_to_string(&f).expect("read"), with_comment);
    claw()
        .args(["fmt", "--strip-comments"])
        .arg(&f)
        .assert()
        .code(0);
    let golden = std::fs::read_to_string(root().join("golden/fmt/dispatch.claw")).expect("golden");
    assert_eq!(std::fs::read_to_string(&f).expect("read"), golden);
}

#[test]
fn a_hash_inside_quotes_is_not_a_comment() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = tmp.path().join("x.claw");
    let text = MESSY.replace(
        "route: 'slack://ops-oncall'",
        "route: 'slack://ops-oncall', description: \"see #ops\"",
    );
    std::fs::write(&f, &text).expect("write");
    claw().arg("fmt").arg(&f).assert().code(0);
    assert!(
        std::fs::read_to_string(&f)
            .expect("read")
            .contains("description: \"see #ops\"")
    );
}

#[test]
fn invalid_files_are_left_alone_with_exit_1() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = tmp.path().join("bad.claw");
    let text =
        std::fs::read_to_string(root().join("samples/broken/unknown_key.claw")).expect("read");
    std::fs::write(&f, &text).expect("write");
    claw()
        .arg("fmt")
        .arg(&f)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("claw::unknown_key"));
    assert_eq!(std::fs::read_to_string(&f).expect("read"), text);
}

#[test]
fn missing_path_exits_2() {
    claw().args(["fmt", "nope.claw"]).assert().code(2);
}

#[test]
fn help() {
    claw().args(["fmt", "--help"]).assert().success().stdout(
        predicate::str::contains("--check").and(predicate::str::contains("--strip-comments")),
    );
}
