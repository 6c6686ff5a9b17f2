//! `digest.*`: batching over a system's declared `data.digests` (what Digest by Zapier
//! becomes), kept in the event store's database.
//!
//! `digest.append` (`digest`, `entry`) adds an entry; on a `count` digest the append that
//! brings the pending entries to the count releases them all as its output. `digest.release`
//! (`digest`) releases whatever is pending. An operation that releases nothing *holds*: its
//! output has `released: false` and the engine records the step as held, so the steps after
//! it do not run (like a filter that stops a run, not a failure). The store applies each
//! operation exactly once per idempotency key (see [`crate::store::digest`]).

use super::{Adapter, AdapterError, Call, required};
use crate::engine::Clock;
use crate::store::digest::{DigestOp, DigestRequest};
use crate::store::{EventStore, StoreError};
use crate::time::UnixMillis;
use claw_language::lint::DIGEST_OPERATIONS;
use claw_language::model::DigestRelease;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How one declared digest releases: its count (`None`: by hand) and its separator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestPolicy {
    /// A `count` digest's count.
    pub release_at: Option<u32>,
    /// Text between entries in the released digest.
    pub separator: String,
}

/// The declared digests of every loaded system: (system, digest) → its policy.
pub type DeclaredDigests = BTreeMap<(String, String), DigestPolicy>;

/// Every digest `systems` declare. A digest the checker would refuse (a count digest without
/// a count) never gets here; if one did, it is treated as released by hand.
pub fn declared_digests<'a>(
    systems: impl Iterator<Item = &'a claw_language::model::System>,
) -> DeclaredDigests {
    let mut out = DeclaredDigests::new();
    for s in systems {
        for d in &s.data.digests {
            let release_at = match d.release {
                DigestRelease::Count => d.count.filter(|n| *n > 0),
                DigestRelease::Manual | DigestRelease::Schedule => None,
            };
            let separator = d.separator.clone().unwrap_or_else(|| "\n".to_string());
            out.insert(
                (s.system.clone(), d.name.clone()),
                DigestPolicy {
                    release_at,
                    separator,
                },
            );
        }
    }
    out
}

/// Applies `digest.*` operations through the event store.
pub struct DigestAdapter {
    store: Arc<dyn EventStore>,
    declared: DeclaredDigests,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for DigestAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DigestAdapter")
            .field("declared", &self.declared)
            .finish()
    }
}

impl DigestAdapter {
    /// An adapter over `store` for the declared digests (an undeclared one is refused).
    pub fn new(
        store: Arc<dyn EventStore>,
        declared: DeclaredDigests,
        clock: Arc<dyn Clock>,
    ) -> DigestAdapter {
        DigestAdapter {
            store,
            declared,
            clock,
        }
    }
}

/// The operation a call asks for, given the digest's policy.
fn op_of(call: &Call, policy: &DigestPolicy) -> Result<DigestOp, AdapterError> {
    match call.operation.as_str() {
        "append" => Ok(DigestOp::Append {
            entry: call.params.get("entry").cloned().unwrap_or(Value::Null),
            release_at: policy.release_at,
        }),
        "release" => Ok(DigestOp::Release),
        other => Err(AdapterError::permanent(format!(
            "digest has no operation `{other}`; expected one of {}",
            DIGEST_OPERATIONS.join(", ")
        ))),
    }
}

/// What a `digest.*` call gives in record-only mode, without touching a store: it holds (the
/// steps after it are not simulated), and says it was only recorded.
pub(crate) fn recorded_output(call: &Call) -> Value {
    let name = call.params.get("digest").cloned().unwrap_or(Value::Null);
    json!({"released": false, "name": name, "recorded": true})
}

#[async_trait::async_trait]
impl Adapter for DigestAdapter {
    async fn call(&self, call: &Call) -> Result<Value, AdapterError> {
        let digest = required(call, "digest")?;
        let Some(policy) = self
            .declared
            .get(&(call.system.clone(), digest.to_string()))
        else {
            return Err(AdapterError::permanent(format!(
                "{} in step `{}`: `{digest}` is not a digest declared under data.digests",
                call.action, call.step
            )));
        };
        let req = DigestRequest {
            system: call.system.clone(),
            run_id: call.run_id.clone(),
            digest: digest.to_string(),
            idempotency_key: call.idempotency_key.clone(),
            op: op_of(call, policy)?,
            separator: policy.separator.clone(),
            now: UnixMillis::from(self.clock.now()),
        };
        self.store.apply_digest(&req).await.map_err(|e| match e {
            StoreError::NoDigests => AdapterError::permanent(e.to_string()),
            other => AdapterError::retryable(format!("{}: {other}", call.action)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::recorded_output;
    use crate::adapters::{Adapter, Call, RecordingAdapter};
    use crate::store::digest::is_held;
    use serde_json::json;

    /// Record-only mode: a digest step is recorded, holds, and names its digest.
    #[tokio::test]
    async fn record_only_holds_and_records_the_call() {
        let call = Call {
            system: "s".into(),
            run_id: "r".into(),
            step: "collect".into(),
            action: "digest.append".into(),
            operation: "append".into(),
            params: json!({"digest": "leads", "entry": "Ada"}),
            idempotency_key: "r:collect".into(),
            timeout: std::time::Duration::from_secs(1),
        };
        let out = recorded_output(&call);
        assert!(is_held(&out));
        assert_eq!(out["name"], json!("leads"));
        let rec = RecordingAdapter::default();
        assert_eq!(rec.call(&call).await.unwrap(), out);
        let calls = rec.take_calls_of("r");
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].params["entry"], json!("Ada"));
    }
}
