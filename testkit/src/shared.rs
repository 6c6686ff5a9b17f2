//! The shared material that lives outside the repository (`../shared`: the corpus of real legacy
//! files, the cron conformance tables, the announcement), found the same way by every test.
//!
//! Where it is absent, a test that needs it does not run: it says so on stderr and appends a line to
//! the file named by `CLAW_SKIP_LOG` (the README's test command counts those lines and prints how
//! many tests did not run). With `CLAW_REQUIRE_CORPUS=1` (CI sets it) a missing corpus fails the
//! test instead, so it can never be skipped quietly there.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The workspace root (this crate lives in `<root>/testkit`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// `CLAW_SHARED`, or `../shared` beside the repository.
pub fn shared_root() -> PathBuf {
    match std::env::var_os("CLAW_SHARED") {
        Some(p) => PathBuf::from(p),
        None => workspace_root().join("../shared"),
    }
}

/// `CLAW_CORPUS`, or `corpus/` under [`shared_root`].
pub fn corpus_root() -> PathBuf {
    match std::env::var_os("CLAW_CORPUS") {
        Some(p) => PathBuf::from(p),
        None => shared_root().join("corpus"),
    }
}

/// A path inside the corpus (`zapier`, `cron/debian`, …), or `None` when it is missing, after
/// recording that `test` did not run. Panics when `CLAW_REQUIRE_CORPUS=1`.
pub fn corpus(rel: &str, test: &str) -> Option<PathBuf> {
    present(corpus_root().join(rel), test, "corpus")
}

/// A path inside the shared material beside the corpus (`reference/…`, `seeds/…`), with the same
/// rule as [`corpus`].
pub fn shared(rel: &str, test: &str) -> Option<PathBuf> {
    present(shared_root().join(rel), test, "shared material")
}

fn present(path: PathBuf, test: &str, what: &str) -> Option<PathBuf> {
    if path.exists() {
        return Some(path);
    }
    let note = format!(
        "{test}: NOT RUN: the {what} is not at {} (set CLAW_CORPUS / CLAW_SHARED)",
        path.display()
    );
    if required("CLAW_REQUIRE_CORPUS") {
        panic!("{note}; CLAW_REQUIRE_CORPUS=1 makes a missing corpus a failure");
    }
    record_skip(&note);
    None
}

/// Whether the environment variable `name` is set to `1`.
pub fn required(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "1")
}

/// Says on stderr that a test did not run, and appends the note to `CLAW_SKIP_LOG` if it is set.
pub fn record_skip(note: &str) {
    eprintln!("{note}");
    if let Some(log) = std::env::var_os("CLAW_SKIP_LOG") {
        // A failure to write the log must not fail the test; the stderr line above remains.
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
        {
            let _ = writeln!(f, "{note}");
        }
    }
}
