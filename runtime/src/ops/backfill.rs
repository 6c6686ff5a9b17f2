//! Backfill: feed historical payloads (JSON Lines) to a trigger, in order, through the
//! trigger's idempotency key (a second backfill of the same lines starts nothing new).

use super::OpsError;
use crate::codes;
use crate::plan::LoadedSystem;
use crate::store::EventStore;
use crate::{Runtime, StartOptions};
use claw_language::model::Source;
use serde_json::{Value, json};
use std::sync::Arc;

/// What a backfill did.
#[derive(Debug, Clone, PartialEq)]
pub struct BackfillReport {
    /// One entry per payload fed: `line`, and `run_id` and `status` (or, in a dry run,
    /// `status`, `decisions` and `calls`), or `error`.
    pub runs: Vec<Value>,
    /// Lines that are not JSON, as `claw::runtime::bad_json: FILE:LINE:COLUMN: why`.
    pub bad_lines: Vec<String>,
}

impl BackfillReport {
    /// Whether a line was bad or a payload was refused.
    pub fn failed(&self) -> bool {
        !self.bad_lines.is_empty() || self.runs.iter().any(|r| r.get("error").is_some())
    }
}

/// The trigger a backfill feeds when none is named: the system's only trigger, or else
/// its first webhook.
pub fn default_trigger(sys: &LoadedSystem) -> Result<String, OpsError> {
    match sys.triggers.as_slice() {
        [only] => Ok(only.trigger.name.clone()),
        many => many
            .iter()
            .find(|t| t.trigger.source == Source::Webhook)
            .map(|t| t.trigger.name.clone())
            .ok_or_else(|| OpsError::WhichTrigger(sys.name().to_string())),
    }
}

/// Feeds each line of `text` (JSON Lines read from `input`, the name shown in reports)
/// to `trigger` of `sys`, each run to its end before the next. `progress` is called once
/// per line. In a dry run nothing is written and adapters only record.
pub async fn backfill(
    store: Arc<dyn EventStore>,
    sys: LoadedSystem,
    trigger: &str,
    input: &str,
    text: &str,
    dry_run: bool,
    progress: &dyn Fn(),
) -> Result<BackfillReport, OpsError> {
    let system = sys.name().to_string();
    let rt = if dry_run {
        Runtime::record_only(vec![sys]).await?
    } else {
        Runtime::builder(store).system(sys).build().await?
    };
    let mut report = BackfillReport {
        runs: Vec::new(),
        bad_lines: Vec::new(),
    };
    for (i, line) in text.lines().enumerate() {
        progress();
        if line.trim().is_empty() {
            continue;
        }
        let payload: Value = match serde_json::from_str(line) {
            Ok(p) => p,
            Err(e) => {
                report.bad_lines.push(format!(
                    "{}: {input}:{}:{}: {e}",
                    codes::BAD_JSON.id,
                    i + 1,
                    e.column()
                ));
                continue;
            }
        };
        let opts = StartOptions {
            origin: Some(json!({"backfill": input, "line": i + 1})),
            ..Default::default()
        };
        let r = if dry_run {
            match rt.simulate(&system, trigger, payload, opts).await {
                Ok(s) => {
                    json!({"line": i + 1, "status": s.status, "decisions": s.decisions, "calls": s.calls})
                }
                Err(e) => json!({"line": i + 1, "error": e.to_string()}),
            }
        } else {
            match rt.run_to_end(&system, trigger, payload, opts).await {
                Ok(r) => json!({"line": i + 1, "run_id": r.id, "status": r.status}),
                Err(e) => json!({"line": i + 1, "error": e.to_string()}),
            }
        };
        report.runs.push(r);
    }
    Ok(report)
}
