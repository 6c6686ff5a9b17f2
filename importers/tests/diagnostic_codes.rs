//! Every diagnostic code the importers report is declared once, in one of their registries,
//! and documented in docs/diagnostics.md with its fix; no code is written inline in the sources.

use claw_importers::{codes, crontab, sheet, zapier};
use claw_language::Code;
use claw_language::diag::{registry_problems, unregistered_literals};
use std::collections::BTreeMap;
use std::path::Path;

fn registries() -> [(&'static str, &'static [Code]); 4] {
    [
        ("codes", codes::ALL),
        ("zapier::codes", zapier::codes::ALL),
        ("crontab::codes", crontab::codes::ALL),
        ("sheet::codes", sheet::codes::ALL),
    ]
}

#[test]
fn every_registered_code_is_documented_with_its_fix() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let doc =
        std::fs::read_to_string(root.join("docs/diagnostics.md")).expect("docs/diagnostics.md");
    for (name, all) in registries() {
        assert!(!all.is_empty(), "{name} declares no code");
        let problems = registry_problems(all, &doc);
        assert!(problems.is_empty(), "{name}:\n{}", problems.join("\n"));
    }
}

#[test]
fn no_code_is_declared_in_two_registries() {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, all) in registries() {
        for code in all {
            if let Some(first) = seen.insert(code.id, name) {
                panic!("{} is declared in both {first} and {name}", code.id);
            }
        }
    }
    assert!(seen.len() > 100, "only {} codes registered", seen.len());
}

#[test]
fn the_sources_write_no_unregistered_code() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let all: Vec<Code> = registries()
        .iter()
        .flat_map(|(_, all)| all.iter().copied())
        .collect();
    let found = unregistered_literals(&src, &all);
    assert!(
        found.is_empty(),
        "codes outside a registry:\n{}",
        found.join("\n")
    );
}
