//! `claw review` through the real binary: scripted answers on stdin, a pseudo-terminal
//! (util-linux `script`) for colour, and the CI modes.

use assert_cmd::Command;
use std::path::Path;

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/zapier");

/// The review scenarios below are written for the four systems of these two sample exports;
/// the other samples in the folder (secrets, names) are about importing, not reviewing.
const REVIEWED: [&str; 2] = ["Zapfile.json", "route-inbound-leads.json"];

/// A folder holding only the [`REVIEWED`] samples.
fn review_samples() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for f in REVIEWED {
        std::fs::copy(Path::new(SAMPLES).join(f), d.path().join(f)).unwrap();
    }
    d
}

fn claw() -> Command {
    Command::cargo_bin("claw").unwrap()
}

/// Imports the samples twice: accepted once, then changed so that every system is pending.
fn pending_dir() -> tempfile::TempDir {
    let samples = review_samples();
    let d = tempfile::tempdir().unwrap();
    claw()
        .args(["import", "zapier"])
        .arg(samples.path())
        .args(["--accept", "-o"])
        .arg(d.path())
        .assert()
        .success();
    for e in std::fs::read_dir(d.path()).unwrap().flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "claw") {
            let t = std::fs::read_to_string(&p)
                .unwrap()
                .replace("version: 1.0.0", "version: 0.9.0");
            std::fs::write(&p, t).unwrap();
        }
    }
    let report = d.path().join("report.json");
    claw()
        .args(["import", "zapier"])
        .arg(samples.path())
        .arg("--report")
        .arg(&report)
        .arg("-o")
        .arg(d.path())
        .assert()
        .success();
    d
}

fn pending(d: &Path) -> usize {
    claw_importers::review::pending(d).unwrap().len()
}

#[test]
fn scripted_answers_accept_reject_skip_quit() {
    let d = pending_dir();
    assert_eq!(pending(d.path()), 4);
    claw()
        .args(["review", "--check"])
        .arg(d.path())
        .assert()
        .code(1);
    let files = claw_importers::review::pending(d.path()).unwrap();
    let a = claw()
        .arg("review")
        .arg(d.path())
        .arg("--report")
        .arg(d.path().join("report.json"))
        .write_stdin("what\na\nr\ns\nq\n")
        .assert()
        .success();
    let out = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(out.contains("please answer a, r, s or q"), "{out}");
    assert!(
        out.contains("-version: 0.9.0") && out.contains("+version: 1.0.0"),
        "{out}"
    );
    assert!(
        !out.contains("\x1b["),
        "no colour when stdout is not a terminal"
    );
    assert!(out.contains("findings for "), "{out}");
    assert!(
        out.contains("1 accepted, 1 rejected, 1 skipped; 2 still pending"),
        "{out}"
    );
    // First accepted: the new text replaced the old one.
    assert!(
        std::fs::read_to_string(&files[0].accepted)
            .unwrap()
            .contains("version: 1.0.0")
    );
    // Second rejected: old text kept, pending file gone.
    assert!(
        std::fs::read_to_string(&files[1].accepted)
            .unwrap()
            .contains("version: 0.9.0")
    );
    assert!(!files[1].pending.exists());
    assert!(files[2].pending.exists() && files[3].pending.exists());
    // End of input behaves like quit.
    claw()
        .arg("review")
        .arg(d.path())
        .write_stdin("")
        .assert()
        .success();
    assert_eq!(pending(d.path()), 2);
    claw()
        .args(["review", "--reject", "--format", "json"])
        .arg(d.path())
        .assert()
        .success();
    assert_eq!(pending(d.path()), 0);
    claw()
        .args(["review", "--check"])
        .arg(d.path())
        .assert()
        .success();
}

#[test]
fn accept_all_and_json_check() {
    let d = pending_dir();
    let a = claw()
        .args(["review", "--check", "--format", "json"])
        .arg(d.path())
        .assert()
        .code(1);
    let v: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(v["pending"], 4);
    claw()
        .args(["review", "--accept"])
        .arg(d.path())
        .assert()
        .success();
    assert_eq!(pending(d.path()), 0);
    claw().args(["check"]).arg(d.path()).assert().success();
}

#[test]
fn colour_on_a_pseudo_terminal() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("util-linux `script` is not installed; pseudo-terminal test skipped");
        return;
    }
    let d = pending_dir();
    let bin = assert_cmd::cargo::cargo_bin("claw");
    let cmd = format!("{} review {}", bin.display(), d.path().display());
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env_remove("NO_COLOR")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.as_mut().unwrap().write_all(b"a\na\na\na\n")?;
            c.wait_with_output()
        })
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("\x1b[32m+version: 1.0.0"),
        "coloured additions on a terminal: {text}"
    );
    assert!(text.contains("\x1b[31m-version: 0.9.0"), "{text}");
    assert_eq!(pending(d.path()), 0, "{text}");
}
