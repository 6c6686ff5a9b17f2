//! Retrying a dead letter from a command: load the system, retry, and wait for the new
//! run in this process (its only executor).

use super::{OpsError, system_from};
use crate::Runtime;
use crate::store::EventStore;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// What a retry did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryOutcome {
    /// No open dead letter has this id.
    NotOpen,
    /// The dead letter was marked retried; its new run, and that run's status when read.
    Retried {
        /// The new run (`None` if the dead letter's run is gone).
        run_id: Option<String>,
        /// The new run's status after waiting for it.
        status: Option<String>,
    },
}

/// Retries open dead letter `id`: a new run of the same payload with the decisions
/// reused, through the system from `file` or else the version `claw run` last stored.
pub async fn retry_dead_letter(
    store: Arc<dyn EventStore>,
    id: i64,
    file: Option<&Path>,
) -> Result<RetryOutcome, OpsError> {
    let open = store.dead_letters(Some("open")).await?;
    let Some(d) = open.iter().find(|d| d.id == id) else {
        return Ok(RetryOutcome::NotOpen);
    };
    let sys = system_from(&*store, &d.system, file).await?;
    let rt = Runtime::builder(store.clone()).system(sys).build().await?;
    let run_id = rt.retry_dead_letter(id).await?;
    // Wait for the new run here: this process is its only executor. Not `drain`, which
    // would stop the run before its steps.
    rt.drain_idle(Duration::from_secs(3600)).await?;
    let status = match &run_id {
        Some(r) => store.run(r).await?.map(|r| r.status),
        None => None,
    };
    Ok(RetryOutcome::Retried { run_id, status })
}
