//! Replay: run the triggers logged in a window again, as new runs (the originals stay as
//! they were), optionally through another version of the system.

use super::OpsError;
use crate::engine::decisions_of;
use crate::plan::LoadedSystem;
use crate::store::{EventStore, RunFilter};
use crate::time::UnixMillis;
use crate::{Runtime, StartOptions};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What to replay and how.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// Start of the window: runs received at or after it.
    pub from: UnixMillis,
    /// End of the window: runs received before it.
    pub to: UnixMillis,
    /// Make decisions again instead of reusing the recorded ones.
    pub redecide: bool,
    /// Record what adapters would do; write nothing.
    pub dry_run: bool,
}

/// Replays the runs of `sys` received in the window, oldest first, each to its end; one
/// entry per original: `original` and `run_id`/`status` (in a dry run `status`,
/// `decisions`, `calls`) or `error`. `on_count` is told how many there are, `progress`
/// is called once per run.
pub async fn replay(
    store: Arc<dyn EventStore>,
    sys: LoadedSystem,
    opts: &ReplayOptions,
    on_count: &dyn Fn(usize),
    progress: &dyn Fn(),
) -> Result<Vec<Value>, OpsError> {
    let originals = store
        .runs(&RunFilter {
            system: Some(sys.name().to_string()),
            from: Some(opts.from),
            to: Some(opts.to),
            oldest_first: true,
            ..Default::default()
        })
        .await?;
    on_count(originals.len());
    let batch = batch_id();
    let rt = if opts.dry_run {
        Runtime::record_only(vec![sys]).await?
    } else {
        Runtime::builder(store.clone()).system(sys).build().await?
    };
    let mut results = Vec::new();
    for o in &originals {
        progress();
        let reuse = if opts.redecide {
            BTreeMap::new()
        } else {
            decisions_of(&store.events(&o.id).await?)
        };
        let start = StartOptions {
            scheduled_at: None,
            key: Some(format!("replay:{}:{batch}", o.id)),
            reuse_decisions: reuse,
            origin: Some(json!({"replay_of": o.id})),
        };
        let payload = o.payload.clone();
        let r = if opts.dry_run {
            match rt.simulate(&o.system, &o.trigger, payload, start).await {
                Ok(s) => {
                    json!({"original": o.id, "status": s.status, "decisions": s.decisions, "calls": s.calls})
                }
                Err(e) => json!({"original": o.id, "error": e.to_string()}),
            }
        } else {
            match rt.run_to_end(&o.system, &o.trigger, payload, start).await {
                Ok(r) => json!({"original": o.id, "run_id": r.id, "status": r.status}),
                Err(e) => json!({"original": o.id, "error": e.to_string()}),
            }
        };
        results.push(r);
    }
    Ok(results)
}

/// A batch id so a replay can be repeated (each replay is new work by design).
fn batch_id() -> String {
    format!(
        "{:x}",
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    )
}
