//! `claw shadow wrap` as one call: run the legacy command unchanged, then record the run
//! in the store. A store failure is handed back, never turned into the command's failure.

use crate::error::ShadowError;
use crate::store::{Store, WrapRecord};
use crate::wrap::Ended;
use std::path::PathBuf;

/// Everything `claw shadow wrap` was asked.
#[derive(Debug, Clone)]
pub struct WrapRequest {
    /// System the job belongs to.
    pub system: String,
    /// Name of the schedule trigger in the imported system.
    pub job: String,
    /// The shadow store file.
    pub store: PathBuf,
    /// The legacy command and its arguments.
    pub command: Vec<String>,
}

/// How the wrapped command ended and whether its run was recorded.
#[derive(Debug)]
pub struct Wrapped {
    /// How the command ended: the wrapper must end the same way.
    pub ended: Ended,
    /// Why the run was not recorded, if it was not.
    pub stored: Result<(), ShadowError>,
}

/// Runs the command, passing everything through, and records it. Errors only when the
/// command cannot be started (see [`crate::wrap::spawn_failure_code`]).
pub fn run(req: &WrapRequest) -> std::io::Result<Wrapped> {
    let started_at = chrono::Utc::now();
    let m = crate::wrap::run(&req.command)?;
    let ended_at = chrono::Utc::now();
    let (exit_code, signal) = match m.ended {
        Ended::Code(c) => (Some(c), None),
        Ended::Signal(s) => (None, Some(s)),
    };
    let rec = WrapRecord {
        system: req.system.clone(),
        job: req.job.clone(),
        started_at,
        ended_at,
        exit_code,
        signal,
        program: req.command.first().cloned().unwrap_or_default(),
        command_sha256: crate::model::payload_digest(&serde_json::json!(req.command)),
        stdout_sha256: m.stdout_sha256,
        stderr_sha256: m.stderr_sha256,
        stdout_bytes: m.stdout_bytes,
        stderr_bytes: m.stderr_bytes,
    };
    let stored = crate::runtime().map_err(ShadowError::from).and_then(|rt| {
        rt.block_on(async {
            let s = Store::open(&req.store).await?;
            s.add_wrap(&rec).await?;
            s.close().await;
            Ok(())
        })
    });
    Ok(Wrapped {
        ended: m.ended,
        stored,
    })
}
