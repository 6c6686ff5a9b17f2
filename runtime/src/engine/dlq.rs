//! Retrying a dead-lettered step: a fresh run of the same payload with the failed run's
//! decisions reused, its origin naming the failed run and the dead letter.

use super::{EngineError, Runtime, StartOptions};
use serde_json::{Value, json};
use std::collections::BTreeMap;

impl Runtime {
    /// Retries a dead-lettered step: appends events that reset the step and resumes the
    /// run. The dead letter is marked `retried`.
    pub async fn retry_dead_letter(&self, id: i64) -> Result<Option<String>, EngineError> {
        let all = self.inner.store.dead_letters(Some("open")).await?;
        let Some(dl) = all.into_iter().find(|d| d.id == id) else {
            return Ok(None);
        };
        if !self
            .inner
            .store
            .set_dead_letter_state(id, "open", "retried")
            .await?
        {
            return Ok(None);
        }
        let Some(run) = self.inner.store.run(&dl.run_id).await? else {
            return Ok(None);
        };
        // A fresh run of the same payload with the decisions reused: the log of the
        // failed run stays as it was (events are never rewritten).
        let events = self.inner.store.events(&run.id).await?;
        let reuse: BTreeMap<String, Value> = events
            .iter()
            .filter(|e| e.kind == "decision.made")
            .filter_map(|e| Some((e.step.clone()?, e.data.clone())))
            .collect();
        let acc = self
            .accept(
                &run.system,
                &run.trigger,
                run.payload.clone(),
                StartOptions {
                    scheduled_at: None,
                    key: Some(format!("dlq-retry:{}:{}", dl.id, run.idempotency_key)),
                    reuse_decisions: reuse,
                    origin: Some(json!({
                        "dlq_retry_of": run.id,
                        "dead_letter": dl.id,
                        "key_base": events
                            .first()
                            .and_then(|e| e.data.pointer("/origin/key_base"))
                            .and_then(Value::as_str)
                            .unwrap_or(&run.id),
                    })),
                },
            )
            .await?;
        self.refresh_dlq_gauge().await;
        Ok(Some(acc.run_id))
    }
}
