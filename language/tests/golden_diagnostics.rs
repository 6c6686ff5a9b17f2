//! Every broken sample fails with its intended code, and its rendered diagnostics
//! (text and JSON) match the accepted ones in `golden/diagnostics/`.
//!
//! Each `samples/broken/*.claw` starts with `# expect: claw::<code>`, and its file name
//! starts with the code's last segment (`bad_cron-minute_61.claw` → `claw::bad_cron`).
//! Rewrite the goldens after an intended change with
//! `CLAW_BLESS=1 cargo test -p claw-language --test golden_diagnostics`.

mod support;

use claw_language::diag;
use std::collections::BTreeSet;
use support::{claw_files, compare, finish, repo_root, stem};

/// The five layers of a system, each with its own missing-layer sample.
const LAYERS: [&str; 5] = [
    "triggers",
    "decisions",
    "execution",
    "data",
    "observability",
];

fn expected_code(text: &str) -> Option<&str> {
    text.lines()
        .next()?
        .strip_prefix("# expect: ")
        .map(str::trim)
}

#[test]
fn broken_samples_match_golden_diagnostics() {
    let root = repo_root();
    // Diagnostics name files as the user gave them; from the repository root, as a user
    // runs `claw check samples/broken/x.claw`, so golden text holds no machine-specific path.
    std::env::set_current_dir(&root).expect("repository root exists");
    let dir = std::path::PathBuf::from("samples/broken");
    let golden = root.join("golden/diagnostics");
    let files = claw_files(&dir);
    assert!(
        files.len() >= 40,
        "expected the full set of broken samples, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    let mut names = BTreeSet::new();
    for f in &files {
        let name = stem(f);
        names.insert(name.clone());
        let text = std::fs::read_to_string(f).expect("broken sample is readable");
        let label = format!("samples/broken/{name}.claw");
        let checked = claw_language::check_text(&text, Some(&label), Some(&dir));

        let Some(code) = expected_code(&text) else {
            failures.push(format!(
                "{label}: first line must be `# expect: claw::<code>`"
            ));
            continue;
        };
        let short = code.trim_start_matches("claw::");
        if !(name == short || name.starts_with(&format!("{short}-"))) {
            failures.push(format!(
                "{label}: file name must start with `{short}` (its expected code)"
            ));
        }
        if checked.is_valid() {
            failures.push(format!(
                "{label}: checks clean, but should fail with {code}"
            ));
        }
        if !checked
            .diagnostics
            .iter()
            .any(|d| d.is_error() && d.code == code)
        {
            let got: Vec<&str> = checked
                .diagnostics
                .iter()
                .map(|d| d.code.as_str())
                .collect();
            failures.push(format!("{label}: expected error {code}, got {got:?}"));
        }
        for d in &checked.diagnostics {
            if d.file.as_deref() != Some(label.as_str()) || d.span.is_none_or(|s| s.line == 0) {
                failures.push(format!(
                    "{label}: diagnostic {} lacks file/line/column",
                    d.code
                ));
            }
        }

        let text_out = diag::render(&checked.diagnostics, &text, false);
        if !text_out.contains(code) || !text_out.contains(&format!("{label}:")) {
            failures.push(format!("{label}: rendered text lacks the code or location"));
        }
        if let Some(msg) = compare(&golden.join(format!("{name}.txt")), &text_out) {
            failures.push(msg);
        }
        let json = serde_json::to_string_pretty(&diag::to_json(&checked.diagnostics))
            .expect("diagnostics serialise")
            + "\n";
        if let Some(msg) = compare(&golden.join(format!("{name}.json")), &json) {
            failures.push(msg);
        }
    }
    // A golden file without its sample is stale: the sample was renamed or deleted.
    for entry in std::fs::read_dir(&golden).expect("golden/diagnostics exists") {
        let p = entry.expect("readable entry").path();
        let name = stem(&p);
        if !names.contains(&name) {
            failures.push(format!(
                "{}: golden file without a sample in samples/broken/",
                p.display()
            ));
        }
    }
    finish(failures);
}

#[test]
fn each_error_class_has_a_broken_sample() {
    // The error classes the language promises to refuse, each exercised at least once.
    let required = [
        "claw::missing_layer",
        "claw::unknown_key",
        "claw::duplicate_name",
        "claw::unknown_event",
        "claw::unreachable",
        "claw::cycle",
        "claw::bad_duration",
        "claw::bad_objective",
        "claw::bad_version",
        "claw::bad_cron",
        "claw::bad_timezone",
        "claw::bad_expression",
        "claw::missing_policy",
        "claw::bad_uri",
        "claw::step_order",
        "claw::unknown_step",
        "claw::wrong_type",
        "claw::bad_shape",
        "claw::decision_logic",
        "claw::trigger_config",
        "claw::yaml",
        "claw::missing_field",
        "claw::bad_name",
        "claw::bad_value",
        "claw::bad_backoff",
        "claw::bad_template",
        "claw::missing_file",
    ];
    let files = claw_files(&repo_root().join("samples/broken"));
    let codes: BTreeSet<String> = files
        .iter()
        .filter_map(|f| {
            let t = std::fs::read_to_string(f).ok()?;
            expected_code(&t).map(str::to_string)
        })
        .collect();
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|c| !codes.contains(*c))
        .collect();
    assert!(missing.is_empty(), "no broken sample for {missing:?}");
    // Every layer has its own missing-layer sample.
    for layer in LAYERS {
        assert!(
            files
                .iter()
                .any(|f| stem(f) == format!("missing_layer-{layer}")),
            "no missing_layer-{layer}.claw"
        );
    }
}

#[test]
fn missing_layer_names_the_layer_and_shows_an_example() {
    let root = repo_root();
    for layer in LAYERS {
        let f = root.join(format!("samples/broken/missing_layer-{layer}.claw"));
        let text = std::fs::read_to_string(&f).expect("sample exists");
        let checked = claw_language::check_text(&text, None, None);
        let d = checked
            .diagnostics
            .iter()
            .find(|d| d.code == "claw::missing_layer")
            .expect("a missing_layer diagnostic");
        assert!(d.message.contains(&format!("`{layer}`")), "{}", d.message);
        let help = d.help.as_deref().unwrap_or_default();
        // The example is real .claw text for that layer: it starts with the layer key.
        assert!(help.contains(&format!("\n{layer}:")), "{help}");
    }
}

#[test]
fn unknown_key_suggests_the_closest_key() {
    let text = std::fs::read_to_string(repo_root().join("samples/broken/unknown_key.claw"))
        .expect("sample exists");
    let checked = claw_language::check_text(&text, None, None);
    let d = &checked.diagnostics[0];
    assert_eq!(d.code, "claw::unknown_key");
    assert_eq!(d.help.as_deref(), Some("did you mean `retries`?"));
    let s = d.span.expect("located");
    assert_eq!(&text[s.offset..s.offset + s.len], "retires");
}
