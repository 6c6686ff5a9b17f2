//! `queue` triggers: subscribe to a named queue in the log (`subject:`), the same queues
//! `queue.publish` steps and `dead_letter: queue://NAME` write, so one system can feed
//! another.
//!
//! Each message becomes a run: an object body is the payload, another value becomes
//! `{"item": value}`. The key is the trigger's idempotency expression evaluated on that
//! payload, or `<queue>#<message position>` without one, so the database's unique key makes
//! a message already taken a duplicate — also after a crash between taking a message and
//! moving the cursor, and across processes on one PostgreSQL.
//!
//! The cursor (last message position taken) is kept in the store next to the schedule
//! marks (`schedule_marks`, keyed by system and trigger), so a restart does not re-read a
//! long queue. Consumers look for new messages every [`QUEUE_POLL`].
//!
//! Delivery is at-least-once into the run index and exactly-once as runs. Known limit: on
//! PostgreSQL, positions come from a sequence, so with several writer processes a message
//! may commit after a later position was already taken and be missed; one `claw run` per
//! database (the supported setup today) has a single writer and is not affected.

use super::{TriggerError, item_payload};
use crate::engine::{EngineError, Runtime, StartOptions};
use crate::store::Write;
use claw_language::model::Source;
use serde_json::json;
use std::time::Duration;

/// How often a consumer looks for new messages.
pub const QUEUE_POLL: Duration = Duration::from_millis(200);

/// Most messages taken in one round.
pub const BATCH: i64 = 500;

/// One queue trigger.
#[derive(Debug, Clone)]
pub struct QueueTrigger {
    /// The system the trigger belongs to.
    pub system: String,
    /// The trigger's name in that system.
    pub trigger: String,
    /// Queue name (`subject:`, with an optional `queue://` prefix removed).
    pub queue: String,
    /// Whether an idempotency expression is set.
    pub keyed: bool,
}

/// Drives every queue trigger of a runtime.
#[derive(Debug, Clone)]
pub struct QueueConsumer {
    rt: Runtime,
    triggers: Vec<QueueTrigger>,
}

impl QueueConsumer {
    /// Collects the enabled queue triggers of every loaded system.
    pub fn new(rt: Runtime) -> Result<QueueConsumer, TriggerError> {
        let mut triggers = Vec::new();
        for sys in rt.systems() {
            for t in &sys.triggers {
                let tr = &t.trigger;
                if tr.source != Source::Queue || !tr.is_enabled() {
                    continue;
                }
                let subject = tr.subject.as_deref().unwrap_or("").trim();
                let queue = subject.strip_prefix("queue://").unwrap_or(subject);
                if queue.is_empty() {
                    return Err(TriggerError {
                        system: sys.name().to_string(),
                        trigger: tr.name.clone(),
                        message: "a queue trigger needs `subject:` (the queue name)".into(),
                    });
                }
                triggers.push(QueueTrigger {
                    system: sys.name().to_string(),
                    trigger: tr.name.clone(),
                    queue: queue.to_string(),
                    keyed: t.idempotency.is_some(),
                });
            }
        }
        Ok(QueueConsumer { rt, triggers })
    }

    /// The triggers it drives.
    pub fn triggers(&self) -> &[QueueTrigger] {
        &self.triggers
    }

    /// Takes every message published since the trigger's cursor; returns the run ids
    /// started (duplicates and messages whose key fails start nothing).
    pub async fn take(&self, t: &QueueTrigger) -> Result<Vec<String>, EngineError> {
        let store = self.rt.store();
        let mut cursor = store
            .schedule_mark(&t.system, &t.trigger)
            .await?
            .unwrap_or(0);
        let mut started = Vec::new();
        loop {
            let msgs = store.queue_messages_after(&t.queue, cursor, BATCH).await?;
            let Some(last) = msgs.last().map(|m| m.seq) else {
                break;
            };
            let n = msgs.len();
            for m in msgs {
                let opts = StartOptions {
                    key: (!t.keyed).then(|| format!("{}#{}", t.queue, m.seq)),
                    origin: Some(json!({
                        "queue": t.queue,
                        "message": m.seq,
                        "published_by": m.run_id,
                        "step": m.step,
                    })),
                    ..Default::default()
                };
                match self
                    .rt
                    .accept(&t.system, &t.trigger, item_payload(m.body), opts)
                    .await
                {
                    Ok(a) if !a.duplicate => started.push(a.run_id),
                    Ok(_) => {}
                    Err(EngineError::BadKey { message, .. }) => {
                        tracing::warn!(system = %t.system, trigger = %t.trigger, queue = %t.queue, message_seq = m.seq, error = %message, "queue message skipped: its idempotency key cannot be computed");
                    }
                    Err(e) => return Err(e),
                }
            }
            cursor = last;
            store
                .commit(vec![Write::ScheduleMark {
                    system: t.system.clone(),
                    trigger: t.trigger.clone(),
                    last_fire: cursor,
                }])
                .await?;
            if (n as i64) < BATCH {
                break;
            }
        }
        Ok(started)
    }

    /// Takes the new messages of every queue trigger, every [`QUEUE_POLL`], until the
    /// runtime starts draining.
    pub async fn run(self) {
        if self.triggers.is_empty() {
            return;
        }
        let mut tick = tokio::time::interval(QUEUE_POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if self.rt.is_draining() {
                return;
            }
            for t in &self.triggers {
                match self.take(t).await {
                    Ok(s) if !s.is_empty() => {
                        tracing::info!(system = %t.system, trigger = %t.trigger, queue = %t.queue, started = s.len(), "queue messages taken");
                    }
                    Ok(_) => {}
                    Err(EngineError::Draining) => return,
                    Err(e) => {
                        tracing::warn!(system = %t.system, trigger = %t.trigger, error = %e, "reading the queue failed; trying again");
                    }
                }
            }
        }
    }
}
