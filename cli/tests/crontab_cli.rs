//! `claw import crontab` end to end: the samples against their accepted output in
//! `golden/crontab/`, and bad inputs that must fail with a located error and write nothing.
//!
//! To re-accept after an intended change: `CLAW_BLESS=1 cargo test -p claw --test crontab_cli`.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn claw() -> Command {
    let mut c = Command::cargo_bin("claw").unwrap();
    c.current_dir(root());
    c
}

fn files(dir: &Path) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().path())
                .map(|p| {
                    (
                        p.file_name().unwrap().to_string_lossy().into_owned(),
                        std::fs::read_to_string(&p).unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// `claw import crontab` of the good samples, accepted, into `out` (more options may follow).
fn import_good_samples(out: &Path) -> Command {
    let mut c = claw();
    c.args([
        "import",
        "crontab",
        "samples/crontab/good",
        "--accept",
        "-o",
    ])
    .arg(out);
    c
}

#[test]
fn samples_match_golden() {
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("report.json");
    let assert = import_good_samples(&out.path().join("systems"))
        .arg("--report")
        .arg(&report)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout)
        .replace(&out.path().display().to_string(), "OUT");
    let mut got = files(&out.path().join("systems"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let findings = serde_json::to_string_pretty(&json["findings"]).unwrap() + "\n";
    got.push(("findings.json".into(), findings));
    got.push(("report.txt".into(), stdout.to_string()));
    got.sort();
    let golden_dir = root().join("golden/crontab");
    if std::env::var_os("CLAW_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(&golden_dir).unwrap();
        for (name, _) in files(&golden_dir) {
            std::fs::remove_file(golden_dir.join(name)).unwrap();
        }
        for (name, text) in &got {
            std::fs::write(golden_dir.join(name), text).unwrap();
        }
    }
    let want = files(&golden_dir);
    let names = |v: &[(String, String)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&got),
        names(&want),
        "golden/crontab lists different files; re-accept with CLAW_BLESS=1 cargo test -p claw --test crontab_cli"
    );
    for ((name, g), (_, w)) in got.iter().zip(&want) {
        if g != w {
            let diff = similar::TextDiff::from_lines(w, g)
                .unified_diff()
                .header("golden", "now")
                .to_string();
            panic!(
                "golden/crontab/{name} drifted:\n{diff}\nre-accept with CLAW_BLESS=1 cargo test -p claw --test crontab_cli"
            );
        }
    }
    // Secrets never reach the output.
    for (name, text) in &got {
        for secret in ["hunter2-not-real", "s3cr3t-pass"] {
            assert!(!text.contains(secret), "{name} leaks a secret");
        }
    }
}

#[test]
fn import_is_deterministic() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for d in [&a, &b] {
        import_good_samples(d.path()).assert().success();
    }
    assert_eq!(files(a.path()), files(b.path()));
}

fn bad(input: &str, expect: &[&str]) {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("systems");
    let a = claw()
        .args(["import", "crontab", input, "-o"])
        .arg(&dir)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    for e in expect {
        assert!(stderr.contains(e), "stderr lacks `{e}`:\n{stderr}");
    }
    assert!(
        files(&dir).is_empty() && files(out.path()).is_empty(),
        "something was written for {input}"
    );
}

#[test]
fn six_fields_in_a_user_crontab_is_a_located_error() {
    bad(
        "samples/crontab/bad/six-fields.crontab",
        &[
            "samples/crontab/bad/six-fields.crontab:1:11:",
            "bad command",
            "Debian's cron ignores this whole file",
            "^",
        ],
    );
}

#[test]
fn minute_61_is_a_located_error() {
    bad(
        "samples/crontab/bad/minute-61.crontab",
        &[
            "samples/crontab/bad/minute-61.crontab:2:1:",
            "bad minute",
            "claw::cron::out_of_range",
        ],
    );
}

#[test]
fn binary_garbage_is_a_located_error() {
    bad(
        "samples/crontab/bad/garbage.bin",
        &["samples/crontab/bad/garbage.bin:", "claw::import::not_text"],
    );
}

#[test]
fn a_missing_input_is_a_usage_error() {
    bad(
        "samples/crontab/bad/does-not-exist",
        &["claw::import::unreadable"],
    );
}

#[test]
fn skip_bad_lines_imports_the_rest_as_cronie_would() {
    let out = tempfile::tempdir().unwrap();
    let a = claw()
        .args([
            "import", "crontab", "-", "--accept", "--format", "json", "-o",
        ])
        .arg(out.path())
        .arg("--skip-bad-lines")
        .write_stdin("61 * * * * /bin/late\n5 4 * * * /usr/bin/early\n")
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    let bad: Vec<_> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "claw::import::cron_bad_line")
        .collect();
    assert_eq!(bad.len(), 1);
    assert_eq!(
        (
            bad[0]["origin"]["line"].as_u64(),
            bad[0]["origin"]["column"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let text = std::fs::read_to_string(out.path().join("crontab.claw")).unwrap();
    assert!(text.contains("schedule: 5 4 * * *") && !text.contains("/bin/late"));
}

#[test]
fn stdin_and_crontab_format_flag() {
    let out = tempfile::tempdir().unwrap();
    claw()
        .args([
            "import",
            "crontab",
            "-",
            "--accept",
            "--crontab-format",
            "system",
            "-o",
        ])
        .arg(out.path())
        .write_stdin("MAILTO=\"\"\n0 3 * * * backup /usr/bin/backup\n")
        .assert()
        .success();
    let text = std::fs::read_to_string(out.path().join("crontab.claw")).unwrap();
    assert!(text.contains("user: backup"), "{text}");
}
