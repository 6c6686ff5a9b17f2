//! A scheduled digest release: at a fire time of a `release: schedule` digest, its pending
//! entries are taken (exactly once per fire time) and, when there are any, a run of the system
//! that appends to the digest starts *after* its `digest.append` step, as if that step had just
//! released them: the steps after it run with the batch as the step's output, as Zapier goes
//! on with a Zap from its Digest step when the digest is released.
//!
//! The release and the run share one key, `digest:<name>@<fire time>`: the release remembers
//! its batch under it (a repeat gives the same batch), and the run is accepted under it (a
//! repeat is a duplicate). The run and the step's `step.succeeded` commit together, so a crash
//! between the release and the run only means the next tick (or the restart's catch-up) does
//! the same release again and starts the run then.

use super::lifecycle::Registration;
use super::{EngineError, Runtime, ms, rfc3339};
use crate::store::digest::{DigestOp, DigestRequest, is_held};
use crate::store::{NewEvent, NewRun, Write};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

impl Runtime {
    /// Releases the digest of the `digest.append` step `step` of `system` for the fire time
    /// `fire`, and starts the run that continues from that step; `None` when nothing was
    /// pending (or the run was already started). In record-only mode nothing is released (a
    /// dry run must not take entries from the real digest): `None`.
    pub async fn release_digest(
        &self,
        system: &str,
        step: &str,
        fire: DateTime<Utc>,
    ) -> Result<Option<String>, EngineError> {
        if self.is_draining() {
            return Err(EngineError::Draining);
        }
        if self.mode() == super::Mode::RecordOnly {
            tracing::info!(system, step, fire = %fire, "record-only: scheduled digest release not done");
            return Ok(None);
        }
        let sys = self
            .system(system)
            .cloned()
            .ok_or_else(|| EngineError::UnknownSystem(system.to_string()))?;
        let digest = sys
            .steps
            .iter()
            .find(|s| s.exec.name == step)
            .and_then(|s| s.exec.with.get("digest"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let separator = sys
            .system
            .data
            .digests
            .iter()
            .find(|d| d.name == digest)
            .and_then(|d| d.separator.clone())
            .unwrap_or_else(|| "\n".to_string());
        let now = ms(self.inner.clock.now());
        let key = format!("digest:{digest}@{}", fire.to_rfc3339());
        let req = DigestRequest {
            system: system.to_string(),
            run_id: key.clone(),
            digest: digest.clone(),
            idempotency_key: key.clone(),
            op: DigestOp::Release,
            separator,
            now,
        };
        let output = self.inner.store.apply_digest(&req).await?;
        if is_held(&output) {
            return Ok(None);
        }
        let run = NewRun {
            id: uuid::Uuid::now_v7().to_string(),
            system: system.to_string(),
            trigger: step.to_string(),
            idempotency_key: key.clone(),
            payload: json!({"digest": digest, "scheduled_at": fire.to_rfc3339()}),
            received_at: now,
            scheduled_at: Some(ms(fire)),
        };
        let event = |kind: &str, step: Option<&str>, attempt: Option<i64>, data: Value| NewEvent {
            run_id: run.id.clone(),
            system: run.system.clone(),
            at: now,
            kind: kind.to_string(),
            step: step.map(str::to_string),
            attempt,
            data,
        };
        // No `event`: the run starts nothing of its own; the step's success is what goes on.
        let received = event(
            "trigger.received",
            None,
            None,
            json!({"trigger": step, "idempotency_key": key,
                   "origin": {"digest_release": digest, "fire": rfc3339(ms(fire))}}),
        );
        let released = event(
            "step.succeeded",
            Some(step),
            Some(1),
            json!({"output": output}),
        );
        let registration = Registration::new(&self.inner, &run.id);
        let id = run.id.clone();
        let acc = self
            .inner
            .store
            .commit(vec![Write::Accept(run, received), Write::Event(released)])
            .await?;
        if acc.first().is_none_or(|a| a.duplicate) {
            return Ok(None);
        }
        self.inner.metrics.run(system, step, "accepted");
        self.spawn_run(id.clone(), None);
        registration.handed_over();
        tracing::info!(system, step, digest = %digest, run_id = %id, "digest released on schedule");
        Ok(Some(id))
    }
}
