//! Status: runs, failures, dead-letter depth and SLO figures per system over a window,
//! and each declared objective met or breached (`claw status`).

use super::OpsError;
use crate::engine::summarize;
use crate::slo::{self, SloStatus};
use crate::store::{EventStore, RunFilter, RunRecord};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The status over the `hours` ending at `now` (ms), of `system` or of every system:
/// `{"window_hours", "dlq_depth", "systems": {name: summary + "dlq_depth" + "slo"}}`.
pub async fn status(
    store: &dyn EventStore,
    now: i64,
    hours: i64,
    system: Option<&str>,
) -> Result<Value, OpsError> {
    let from = now - hours.max(0) * 3_600_000;
    let runs = store
        .runs(&RunFilter {
            system: system.map(str::to_string),
            from: Some(from),
            oldest_first: true,
            ..Default::default()
        })
        .await?;
    let dl = store.dead_letters(Some("open")).await?;
    let mut by_system: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for r in runs {
        by_system.entry(r.system.clone()).or_default().push(r);
    }
    let mut systems = serde_json::Map::new();
    for (name, rs) in &by_system {
        let depth = dl.iter().filter(|d| &d.system == name).count();
        let mut s = json!(summarize(rs));
        if let Value::Object(m) = &mut s {
            m.insert("dlq_depth".into(), json!(depth));
            m.insert(
                "slo".into(),
                json!(objectives(store, name, rs, depth).await?),
            );
        }
        systems.insert(name.clone(), s);
    }
    Ok(json!({"window_hours": hours, "dlq_depth": dl.len(), "systems": systems}))
}

/// The declared objectives of `system` (from the source the runtime saved when it loaded
/// the system) judged over `runs`; empty when no source was saved.
async fn objectives(
    store: &dyn EventStore,
    system: &str,
    runs: &[RunRecord],
    dlq_depth: usize,
) -> Result<Vec<SloStatus>, OpsError> {
    let Some((_, text)) = store.latest_source(system).await? else {
        return Ok(Vec::new());
    };
    let Some(sys) = claw_language::parse::parse(&text).system else {
        return Ok(Vec::new());
    };
    let triggers: Vec<String> = sys.triggers.iter().map(|t| t.name.clone()).collect();
    let names: Vec<String> = sys.observability.slo.keys().cloned().collect();
    let figures = slo::figures_of(runs, dlq_depth, &triggers, &names);
    Ok(slo::assess(&figures, &sys.observability.slo))
}
