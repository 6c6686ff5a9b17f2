//! Golden-file comparison shared by the golden tests.
//!
//! A golden file holds accepted output. On drift the test fails with a unified diff;
//! `CLAW_BLESS=1 cargo test -p claw-language` rewrites the files instead, and the
//! change is then reviewed in `git diff` like any other.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The repository root (the workspace folder above `language/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("language/ has a parent folder")
        .to_path_buf()
}

/// Whether golden files should be rewritten rather than compared.
pub fn updating() -> bool {
    std::env::var_os("CLAW_BLESS").is_some_and(|v| v == "1")
}

/// Compares `actual` with the golden file at `path` (or rewrites it when updating).
/// Returns a failure message with a unified diff, or `None` when they agree.
pub fn compare(path: &Path, actual: &str) -> Option<String> {
    if updating() {
        let old = std::fs::read_to_string(path).ok();
        if old.as_deref() != Some(actual) {
            claw_language::files::write_atomic(path, actual.as_bytes())
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        }
        return None;
    }
    let expected = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            return Some(format!(
                "{}: missing golden file ({e}); run with CLAW_BLESS=1 to create it",
                path.display()
            ));
        }
    };
    if expected == actual {
        return None;
    }
    let diff = similar::TextDiff::from_lines(&expected, actual);
    Some(format!(
        "{} drifted (run with CLAW_BLESS=1 to accept):\n{}",
        path.display(),
        diff.unified_diff()
            .context_radius(3)
            .header("golden", "actual")
    ))
}

/// `.claw` files of a folder, sorted by name.
pub fn claw_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("readable folder entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "claw"))
        .collect();
    v.sort();
    v
}

/// File stem as a `String`.
pub fn stem(p: &Path) -> String {
    p.file_stem()
        .expect("a file name")
        .to_string_lossy()
        .into_owned()
}

/// Panics with every failure at once, so one run shows all drift.
pub fn finish(failures: Vec<String>) {
    if !failures.is_empty() {
        panic!(
            "{} golden failure(s):\n\n{}",
            failures.len(),
            failures.join("\n\n")
        );
    }
}
pub mod systems;
