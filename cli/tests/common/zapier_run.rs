//! Helpers for the tests that import a sample Zap and run it under `claw run`: import and
//! check it, point its outside URLs at a loopback receiver, start `claw run` on SQLite, read a
//! step's events. Included beside `common/ops.rs` with
//! `#[path = "common/zapier_run.rs"] mod zapier_run;`.
#![allow(dead_code)]

use super::ops::*;

/// Imports the sample Zap file `sample` (under `samples/zapier/`) into `dir/systems` with
/// `claw import zapier --accept`, checks the system `system` with `claw check`, and returns
/// its file; either command failing fails the test with its output.
pub fn import_and_check(sample: &str, dir: &Path, system: &str) -> PathBuf {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../samples/zapier")
        .join(sample);
    super::ops::import_and_check(sample.to_str().unwrap(), &dir.join("systems"), system)
}

/// Replaces the URL `from` in the system `file` by `to` (a loopback receiver's).
pub fn redirect(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap().replace(from, to);
    std::fs::write(file, text).unwrap();
}

/// The event of `kind` (`step.succeeded`, `step.failed`, …) of step `name` in a run's events.
pub fn step_event<'a>(ev: &'a Value, kind: &str, name: &str) -> &'a Value {
    ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == kind && e["step"] == name)
        .unwrap_or_else(|| panic!("no {kind} of `{name}` in {ev}"))
}

/// A started import: the directory holding the system and database, the database URL and the
/// running server.
pub struct Imported {
    pub dir: tempfile::TempDir,
    pub db: String,
    pub server: Server,
}

/// Imports `sample`, checks the system `file` it gives, replaces `url` in it by `to` and
/// starts `claw run` on it.
pub fn import_and_run(sample: &str, file: &str, url: &str, to: &str) -> Imported {
    let dir = tempfile::tempdir().unwrap();
    let name = file.trim_end_matches(".claw");
    let file = super::ops::import_and_check(sample, &dir.path().join("systems"), name);
    redirect(&file, url, to);
    let db = sqlite(dir.path());
    let server = Server::start(&file, &db, &[], &[]);
    Imported { dir, db, server }
}

/// The output of step `name` in a run's events.
pub fn output(ev: &Value, name: &str) -> Value {
    ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "step.succeeded" && e["step"] == name)
        .map(|e| e["data"]["output"].clone())
        .unwrap_or_else(|| panic!("no output of `{name}` in {ev}"))
}

/// The rendered params of the first attempt of step `name`.
pub fn sent(ev: &Value, name: &str) -> Value {
    ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "step.attempt_started" && e["step"] == name)
        .map(|e| e["data"]["params"].clone())
        .unwrap_or_else(|| panic!("no attempt of `{name}` in {ev}"))
}
