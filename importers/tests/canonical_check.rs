//! The writer decides whether `claw check` accepts a rendered system from the system in memory
//! (`claw_language::canonical`) instead of parsing the text again. For everything the importers
//! produce from the samples and the shared corpus, this checks that the shortcut applies and is
//! right: the system is inside `round_trips`, its text reads back as the same system with no
//! diagnostic, and the in-memory verdict and errors are those of `claw check` on the text.

use claw_importers::output::{Generated, check_rendered};
use claw_importers::{crontab, sheet, zapier};
use claw_language::canonical;
use claw_language::expr::ExprCache;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn files(dir: &Path, keep: &dyn Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.expect("folder entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if keep(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// What one input produced agrees with `claw check` of its text; returns the systems seen.
fn agrees(label: &str, generated: &[Generated]) -> usize {
    let exprs = ExprCache::default();
    for g in generated {
        let sys = &g.system;
        let what = format!("{label}: system `{}`", sys.system);
        assert!(canonical::round_trips(sys), "{what}: outside round_trips");
        let text = claw_language::write::to_claw(sys);
        let parsed = claw_language::parse::parse(&text);
        assert!(
            parsed.diagnostics.is_empty(),
            "{what}: {:?}",
            parsed.diagnostics
        );
        assert_eq!(
            parsed.system.as_ref(),
            Some(sys),
            "{what}: read back differently"
        );
        let checked = claw_language::check_text(&text, None, None);
        let mut fast: Vec<_> = canonical::errors(sys, &exprs)
            .expect("inside round_trips")
            .into_iter()
            .map(|d| (d.code, d.message, d.path))
            .collect();
        let mut slow: Vec<_> = checked
            .diagnostics
            .into_iter()
            .filter(|d| d.is_error())
            .map(|d| (d.code, d.message, d.path))
            .collect();
        fast.sort();
        slow.sort();
        assert_eq!(fast, slow, "{what}: the in-memory check disagrees");
        assert!(
            fast.is_empty(),
            "{what}: an importer produced an invalid system"
        );
        check_rendered(sys, &text, &exprs).unwrap_or_else(|e| panic!("{what}: {e}"));
    }
    generated.len()
}

#[test]
fn zapier_samples_and_corpus() {
    let mut seen = 0;
    let mut inputs = files(&root().join("samples/zapier"), &|p| {
        p.extension().is_some_and(|x| x == "json")
    });
    if let Some(c) = claw_testkit::shared::corpus("zapier", "zapier_samples_and_corpus") {
        inputs.extend(files(&c, &|p| p.extension().is_some_and(|x| x == "json")));
    }
    for p in &inputs {
        // Inputs the importer refuses are other tests' business.
        if let Ok(imported) = zapier::import(p) {
            seen += agrees(&p.display().to_string(), &imported.generated);
        }
    }
    assert!(seen >= 9, "only {seen} Zapier systems checked");
}

#[test]
fn crontab_samples_and_corpus() {
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(root().join("samples/crontab/good"))
        .expect("samples/crontab/good")
        .map(|e| e.expect("entry").path())
        .collect();
    if let Some(c) = claw_testkit::shared::corpus("cron/debian", "crontab_samples_and_corpus") {
        inputs.extend(files(&c, &|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().contains("__"))
        }));
    }
    inputs.sort();
    let mut seen = 0;
    for p in &inputs {
        let Ok(read) = crontab::collect(p) else {
            continue;
        };
        if let Ok(imported) = crontab::import(read, &crontab::Options::default()) {
            seen += agrees(&p.display().to_string(), &imported.generated);
        }
    }
    assert!(seen >= 5, "only {seen} crontab systems checked");
}

#[test]
fn sheet_samples() {
    let inputs = files(&root().join("samples/sheets"), &|p| {
        !p.components().any(|c| c.as_os_str() == "bad")
            && p.extension().is_some_and(|x| {
                ["csv", "tsv", "xlsx", "ods", "xls"].contains(&&*x.to_string_lossy())
            })
    });
    let mut seen = 0;
    for p in &inputs {
        let imported = sheet::import(p, &sheet::Options::default())
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        seen += agrees(&p.display().to_string(), &imported.generated);
    }
    assert!(seen >= 5, "only {seen} sheet systems checked");
}
