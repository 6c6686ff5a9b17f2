//! Adapters: the plug-in point for everything a run does outside itself.
//!
//! One trait, [`Adapter`], keyed by the part of `action` before the dot (`http` in
//! `http.post`). Built in: `http`, `shell`, `code`, `log`, `format`, `loop`, `slack`, `webhook`,
//! `email`, `queue`, `rss`, `call` (`call.return`, a called run's reply), and `state`, `table`
//! and `digest` (added by the runtime builder: they need the event store).
//! `system.call` is handled by the engine (it starts and awaits another system's run).
//! `delay.wait` is handled by the engine (it is a durable timer, not a call).
//! [`RecordingAdapter`] stands in for every adapter in record-only mode.

mod code;
mod code_fetch;
mod digest;
mod email;
mod format;
mod http;
mod log;
mod looping;
mod queue;
mod reply;
mod rss;
pub(crate) mod shell;
mod state;

pub use code::CodeAdapter;
pub use digest::{DeclaredDigests, DigestAdapter, DigestPolicy, declared_digests};
pub use email::EmailAdapter;
pub use format::FormatAdapter;
pub use http::client as http_client;
pub use http::{HttpAdapter, NotifyAdapter};
pub use log::LogAdapter;
pub use looping::LoopAdapter;
pub use queue::QueueAdapter;
pub use reply::ReplyAdapter;
pub use rss::RssAdapter;
pub use shell::ShellAdapter;
pub use state::{DeclaredStores, StateAdapter};

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One call of an adapter operation.
#[derive(Debug, Clone, Serialize)]
pub struct Call {
    /// System name.
    pub system: String,
    /// Run id.
    pub run_id: String,
    /// Step name.
    pub step: String,
    /// Full action, e.g. `http.post`.
    pub action: String,
    /// Operation part, e.g. `post`.
    pub operation: String,
    /// Rendered parameters (secret references resolved, except in record-only mode).
    pub params: Value,
    /// Stable key: the same for every attempt of this step in this run.
    pub idempotency_key: String,
    /// Per-attempt time budget.
    pub timeout: Duration,
}

/// A failed call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct AdapterError {
    /// What happened (no secret values).
    pub message: String,
    /// Whether trying again may succeed.
    pub retryable: bool,
}

impl AdapterError {
    /// A failure worth retrying (5xx, 429, timeouts, connection errors).
    pub fn retryable(message: impl Into<String>) -> Self {
        AdapterError {
            message: message.into(),
            retryable: true,
        }
    }
    /// A failure that will not go away by retrying (bad parameters, 4xx).
    pub fn permanent(message: impl Into<String>) -> Self {
        AdapterError {
            message: message.into(),
            retryable: false,
        }
    }
}

/// An adapter: performs the operations of one `action` prefix.
#[async_trait::async_trait]
pub trait Adapter: Send + Sync {
    /// Performs `call`; the output becomes `steps.<name>.output`.
    async fn call(&self, call: &Call) -> Result<Value, AdapterError>;
}

/// Reads a string parameter.
pub(crate) fn str_param<'a>(params: &'a Value, key: &str) -> Option<&'a str> {
    params.get(key).and_then(Value::as_str)
}

/// Reads a required string parameter.
pub(crate) fn required<'a>(call: &'a Call, key: &str) -> Result<&'a str, AdapterError> {
    str_param(&call.params, key).ok_or_else(|| {
        AdapterError::permanent(format!(
            "{} in step `{}` needs a string parameter `{key}`",
            call.action, call.step
        ))
    })
}

/// Adapters by action prefix.
#[derive(Clone, Default)]
pub struct Adapters {
    map: BTreeMap<String, Arc<dyn Adapter>>,
}

impl std::fmt::Debug for Adapters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.map.keys()).finish()
    }
}

impl Adapters {
    /// The built-in adapters.
    pub fn builtin() -> Adapters {
        let client = http::client();
        let mut a = Adapters::default();
        a.register("http", Arc::new(HttpAdapter::new(client.clone())));
        a.register("slack", Arc::new(NotifyAdapter::slack(client.clone())));
        a.register("webhook", Arc::new(NotifyAdapter::webhook(client.clone())));
        a.register("shell", Arc::new(ShellAdapter));
        a.register("code", Arc::new(CodeAdapter::with_client(client.clone())));
        a.register("log", Arc::new(LogAdapter));
        a.register("email", Arc::new(EmailAdapter));
        a.register("format", Arc::new(FormatAdapter));
        a.register("loop", Arc::new(LoopAdapter));
        a.register("queue", Arc::new(QueueAdapter));
        a.register("call", Arc::new(ReplyAdapter));
        a.register("rss", Arc::new(RssAdapter::new(client)));
        a
    }

    /// Adds or replaces the adapter for a prefix (carriers, CRMs, warehouses…).
    pub fn register(&mut self, prefix: &str, adapter: Arc<dyn Adapter>) {
        self.map.insert(prefix.to_string(), adapter);
    }

    /// The adapter for a prefix.
    pub fn get(&self, prefix: &str) -> Option<Arc<dyn Adapter>> {
        self.map.get(prefix).cloned()
    }

    /// Every registered prefix.
    pub fn prefixes(&self) -> Vec<String> {
        self.map.keys().cloned().collect()
    }
}

/// What an adapter would have done, in record-only mode.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedCall {
    /// Run id.
    pub run_id: String,
    /// Step name.
    pub step: String,
    /// Full action.
    pub action: String,
    /// Rendered parameters, secret references unresolved.
    pub params: Value,
    /// The idempotency key the call would carry.
    pub idempotency_key: String,
}

/// Most calls a [`RecordingAdapter`] keeps: a long `claw run --dry-run` records a call per
/// step of every run and nobody takes them, so the oldest go first.
pub const MAX_RECORDED_CALLS: usize = 10_000;

/// Record-only stand-in for every adapter: keeps the call, does nothing (except `code.*` and
/// `format.*`, which are pure and run so their output feeds later steps, and `state.*` and
/// `table.*`, which give the output they would give on an empty store, so later steps that
/// read it render; `digest.*` holds, touching no digest). Keeps the last
/// [`MAX_RECORDED_CALLS`] calls; [`RecordingAdapter::take_calls_of`] hands a run's calls over.
#[derive(Debug, Default)]
pub struct RecordingAdapter {
    calls: Mutex<std::collections::VecDeque<RecordedCall>>,
}

impl RecordingAdapter {
    /// Recorded calls kept, oldest first.
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.calls
            .lock()
            .map(|c| c.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Takes the recorded calls of one run (they are no longer kept).
    pub fn take_calls_of(&self, run_id: &str) -> Vec<RecordedCall> {
        let Ok(mut c) = self.calls.lock() else {
            return Vec::new();
        };
        let mut mine = Vec::new();
        c.retain(|x| {
            if x.run_id == run_id {
                mine.push(x.clone());
                false
            } else {
                true
            }
        });
        mine
    }
}

#[async_trait::async_trait]
impl Adapter for RecordingAdapter {
    async fn call(&self, call: &Call) -> Result<Value, AdapterError> {
        let rec = RecordedCall {
            run_id: call.run_id.clone(),
            step: call.step.clone(),
            action: call.action.clone(),
            params: call.params.clone(),
            idempotency_key: call.idempotency_key.clone(),
        };
        if let Ok(mut c) = self.calls.lock() {
            if c.len() >= MAX_RECORDED_CALLS {
                c.pop_front();
            }
            c.push_back(rec);
        }
        // `code.js` and `code.python` are sandboxed: running them changes nothing outside, and
        // their real output lets later steps' templates render as they would. A `fetch` in
        // `code.js` is an effect: recorded as a call of its own, answered `{"recorded": true}`.
        if call.action == "code.js" {
            let (out, fetched) = CodeAdapter::default().call_recording(call).await;
            if let Ok(mut c) = self.calls.lock() {
                for f in fetched {
                    if c.len() >= MAX_RECORDED_CALLS {
                        c.pop_front();
                    }
                    c.push_back(f);
                }
            }
            return out;
        }
        if call.action == "code.python" {
            return CodeAdapter::default().call(call).await;
        }
        if call.action.starts_with("format.") {
            return format::output(call);
        }
        if call.action.starts_with("state.") || call.action.starts_with("table.") {
            return state::recorded_output(call);
        }
        if call.action.starts_with("digest.") {
            return Ok(digest::recorded_output(call));
        }
        if call.action.starts_with("loop.") {
            return looping::output(call);
        }
        if call.action.starts_with("call.") {
            return reply::output(call);
        }
        Ok(serde_json::json!({"recorded": true}))
    }
}

#[cfg(test)]
mod tests {
    use super::{Adapter, Call, MAX_RECORDED_CALLS, RecordingAdapter};

    /// A long `claw run --dry-run` records calls nobody takes: the oldest go.
    #[tokio::test]
    async fn the_recorder_is_bounded() {
        let r = RecordingAdapter::default();
        for i in 0..MAX_RECORDED_CALLS + 25 {
            let call = Call {
                system: "s".into(),
                run_id: format!("r{i}"),
                step: "s".into(),
                action: "log.info".into(),
                operation: "info".into(),
                params: serde_json::json!({}),
                idempotency_key: format!("k{i}"),
                timeout: std::time::Duration::from_secs(1),
            };
            r.call(&call).await.unwrap();
        }
        let calls = r.calls();
        assert_eq!(calls.len(), MAX_RECORDED_CALLS);
        assert_eq!(calls[0].run_id, "r25");
        assert_eq!(r.take_calls_of("r30").len(), 1);
        assert_eq!(r.calls().len(), MAX_RECORDED_CALLS - 1);
    }
}
