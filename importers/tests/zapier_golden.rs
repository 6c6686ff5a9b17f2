//! Golden files: `samples/zapier/` imported through the same `write_all` mechanism as
//! `claw import` must give exactly `golden/zapier/`. On drift the test fails with the diff.
//!
//! To re-accept after an intended change, bless and review the diff:
//!   CLAW_BLESS=1 cargo test -p claw-importers --test zapier_golden
//!   git diff golden/zapier

use claw_importers::output::write_all;
use claw_importers::zapier;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn files(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read_to_string(&p).unwrap_or_default());
            }
        }
    }
    walk(dir, dir, &mut out);
    out
}

#[test]
fn samples_match_golden_outputs() {
    let imported = zapier::import(&root().join("samples/zapier")).expect("samples import");
    let tmp = tempfile::tempdir().unwrap();
    write_all(tmp.path(), &imported.generated, true).expect("samples write");
    let got = files(tmp.path());
    let golden = root().join("golden/zapier");
    if std::env::var_os("CLAW_BLESS").is_some_and(|v| v == "1") {
        bless(&golden, &got);
    }
    let want = files(&golden);
    let mut problems = String::new();
    for (name, text) in &got {
        match want.get(name) {
            None => problems.push_str(&format!("\n{name}: not in golden/zapier\n")),
            Some(w) if w != text => {
                problems.push_str(&claw_importers::review::unified(w, text, name))
            }
            _ => {}
        }
    }
    for name in want
        .keys()
        .filter(|n| !got.contains_key(*n) && !n.ends_with(".new"))
    {
        problems.push_str(&format!(
            "\n{name}: in golden/zapier but no longer produced\n"
        ));
    }
    assert!(
        problems.is_empty(),
        "Zapier import output drifted from golden/zapier:\n{problems}\n\
         If the change is intended, re-accept it with\n  CLAW_BLESS=1 cargo test -p claw-importers --test zapier_golden\nand review the diff."
    );
}

/// Makes `golden` hold exactly the files produced (`.new` files of a review are left alone).
fn bless(golden: &Path, got: &BTreeMap<String, String>) {
    for name in files(golden).keys() {
        if !got.contains_key(name) && !name.ends_with(".new") {
            std::fs::remove_file(golden.join(name)).unwrap();
        }
    }
    for (name, text) in got {
        let path = golden.join(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(&path, text).unwrap();
    }
}

#[test]
fn samples_cover_every_node_type() {
    let imported = zapier::import(&root().join("samples/zapier")).unwrap();
    let all: Vec<&claw_language::System> = imported.generated.iter().map(|g| &g.system).collect();
    let actions: Vec<&str> = all
        .iter()
        .flat_map(|s| s.execution.iter().map(|x| x.action.as_str()))
        .collect();
    let sources: Vec<&str> = all
        .iter()
        .flat_map(|s| s.triggers.iter().map(|t| t.source.as_str()))
        .collect();
    for s in ["webhook", "schedule", "poll", "call"] {
        assert!(sources.contains(&s), "no {s} trigger in samples");
    }
    for a in [
        "code.js",
        "delay.wait",
        "http.post",
        "code.python",
        "email.send",
        "state.set",
        "state.increment",
        "table.find",
        "format.value",
        "loop.items",
        "digest.append",
        "digest.release",
        "system.call",
        "call.return",
    ] {
        assert!(actions.contains(&a), "no {a} step in samples: {actions:?}");
    }
    // The one built-in left unported in the samples: a Formatter transform with no equivalent.
    assert!(
        actions
            .iter()
            .any(|a| a.starts_with("unported.zapier_formatter.")),
        "no unported.zapier_formatter.* step in samples"
    );
    let kinds: Vec<String> = all
        .iter()
        .flat_map(|s| {
            s.decisions
                .iter()
                .filter_map(|d| d.legacy.get("path").cloned())
        })
        .collect();
    for k in ["custom", "fallback", "always_run"] {
        assert!(kinds.iter().any(|x| x == k), "no {k} path in samples");
    }
    assert!(all.iter().any(|s| {
        s.decisions
            .iter()
            .any(|d| d.legacy.get("app").is_some_and(|a| a == "FilterAPI"))
    }));
    let codes: Vec<&str> = imported.findings.iter().map(|f| f.code.as_str()).collect();
    for c in [
        zapier::codes::UNKNOWN_OPERATOR.id,
        zapier::codes::OPERATOR_ASSUMED.id,
        zapier::codes::DANGLING_REFERENCE.id,
        zapier::codes::FORMULA_UNPORTED.id,
        zapier::codes::FORMULA_REFERENCE_INFERRED.id,
        zapier::codes::HARDCODED_SECRET.id,
        zapier::codes::PAUSED_ZAP.id,
        zapier::codes::RENAMED_SYSTEM.id,
        zapier::codes::PYTHON_CODE.id,
        zapier::codes::DELAY_UNTIL_FORMAT.id,
    ] {
        assert!(codes.contains(&c), "samples never produce {c}");
    }
}

#[test]
fn import_is_deterministic() {
    let a = zapier::import(&root().join("samples/zapier")).unwrap();
    let b = zapier::import(&root().join("samples/zapier")).unwrap();
    let render = |i: &zapier::Imported| {
        i.generated
            .iter()
            .map(|g| claw_language::write::to_claw(&g.system))
            .collect::<Vec<_>>()
    };
    assert_eq!(render(&a), render(&b));
    assert_eq!(
        serde_json::to_string(&a.findings).unwrap(),
        serde_json::to_string(&b.findings).unwrap()
    );
}

#[test]
fn secrets_never_reach_output() {
    let imported = zapier::import(&root().join("samples/zapier")).unwrap();
    let mut text = String::new();
    for g in &imported.generated {
        text.push_str(&claw_language::write::to_claw(&g.system));
        for (_, body) in &g.files {
            text.push_str(body);
        }
    }
    text.push_str(&serde_json::to_string(&imported.findings).unwrap());
    for secret in [
        "xoxb-1234567890-abcdefghijklmnop",
        "sk_live_51HxQp2eZvKYlo2C0aBcDeFgHiJ",
        "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        "3f1c0a9be2d4471e8a6b5c2d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b",
        "a81f22c9d0e4",
    ] {
        assert!(!text.contains(secret), "secret {secret} leaked into output");
    }
}
