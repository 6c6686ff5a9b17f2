//! Systems and runtimes for the adapter-limit tests: one manual trigger `go` and the
//! steps a test gives, several systems per runtime to keep PostgreSQL tests short.

use super::test_runtime;
use claw_runtime::Runtime;
use claw_runtime::store::EventRecord;
use std::path::Path;

/// The sections every test system shares after `execution:`.
pub use claw_testkit::systems::TAIL;

/// A system `name` with one manual trigger `go` and the given execution steps.
pub fn system_text(name: &str, steps: &str) -> String {
    format!(
        "system: {name}\nversion: 1.0.0\ntriggers:\n  - go:\n      source: manual\ndecisions: []\nexecution:\n{steps}{TAIL}"
    )
}

pub async fn runtime(url: &str, dir: &Path, name: &str, steps: &str) -> Runtime {
    runtime_of(url, dir, &[(name, steps)]).await
}

/// A runtime with several systems (one runtime per database keeps PostgreSQL tests short).
pub async fn runtime_of(url: &str, dir: &Path, systems: &[(&str, &str)]) -> Runtime {
    let texts: Vec<(&str, String)> = systems
        .iter()
        .map(|(name, steps)| (*name, system_text(name, steps)))
        .collect();
    let systems: Vec<(&str, &str)> = texts.iter().map(|(n, t)| (*n, t.as_str())).collect();
    test_runtime(url, dir, &systems, "").await
}

/// The events of one kind, in log order.
pub fn of_kind<'a>(events: &'a [EventRecord], kind: &str) -> Vec<&'a EventRecord> {
    events.iter().filter(|e| e.kind == kind).collect()
}
