//! What a `code.js` step's `fetch` does: a real HTTP request in a live run ([`HttpNetwork`]),
//! a recorded call in record-only mode ([`RecordingNetwork`]).
//!
//! Either way the request is an effect of the step, not of a pure decision: the n-th `fetch`
//! of a step carries `Idempotency-Key: <step key>#fetch<n>` (unless the script sets its own),
//! the same on every attempt, so a retried step is deduplicated by receivers that honour the
//! key, as an `http.*` step is.

use super::http::{Fetched, fetch};
use super::{Call, RecordedCall};
use crate::sandbox::Network;
use serde_json::{Map, Value, json};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Largest response body a script receives.
const MAX_BODY: usize = 1024 * 1024;

/// The idempotency key of the n-th request of a step.
fn key_of(call: &Call, n: usize) -> String {
    format!("{}#fetch{n}", call.idempotency_key)
}

/// Headers a script set, as an object of text values.
fn headers_of(request: &Value) -> Map<String, Value> {
    request
        .get("headers")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// Real HTTP through the shared client, on the runtime the step's blocking thread belongs to.
pub(super) struct HttpNetwork {
    client: reqwest::Client,
    handle: tokio::runtime::Handle,
    call: Call,
    sent: AtomicUsize,
}

impl HttpNetwork {
    /// For the step `call`; must be made on the async runtime (it keeps its handle).
    pub(super) fn new(client: reqwest::Client, call: &Call) -> HttpNetwork {
        HttpNetwork {
            client,
            handle: tokio::runtime::Handle::current(),
            call: call.clone(),
            sent: AtomicUsize::new(0),
        }
    }
}

impl Network for HttpNetwork {
    fn fetch(&self, request: Value) -> Value {
        let n = self.sent.fetch_add(1, Ordering::Relaxed);
        let url = request.get("url").and_then(Value::as_str).unwrap_or("");
        let Ok(method) = reqwest::Method::from_bytes(
            request
                .get("method")
                .and_then(Value::as_str)
                .unwrap_or("GET")
                .as_bytes(),
        ) else {
            return json!({"error": "invalid method"});
        };
        let mut headers = headers_of(&request);
        let mut call = self.call.clone();
        // The script's own key wins; the step's is the default, stable across attempts.
        let own = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("idempotency-key"))
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()));
        call.idempotency_key = match own {
            Some((k, v)) => {
                headers.remove(&k);
                v
            }
            None => key_of(&self.call, n),
        };
        call.action = "code.js fetch".into();
        call.params = json!({"headers": headers});
        let body = request.get("body").filter(|b| b.is_string()).cloned();
        let answer = self.handle.block_on(fetch(
            &self.client,
            method,
            url,
            &call,
            body.as_ref(),
            MAX_BODY,
        ));
        match answer {
            Ok(Fetched {
                status,
                headers,
                body,
                ..
            }) => {
                let headers: Map<String, Value> = headers
                    .iter()
                    .filter_map(|(k, v)| Some((k.as_str().to_string(), json!(v.to_str().ok()?))))
                    .collect();
                json!({
                    "status": status.as_u16(),
                    "statusText": status.canonical_reason().unwrap_or(""),
                    "url": url,
                    "headers": headers,
                    "body": String::from_utf8_lossy(&body),
                })
            }
            // The message names the step, never the URL (it may hold a resolved secret).
            Err(e) => json!({"error": e.message}),
        }
    }
}

/// Record-only: keeps each request as a recorded call of the step and answers `200` with
/// `{"recorded": true}`, the answer every recorded effect gives.
pub(super) struct RecordingNetwork {
    call: Call,
    sent: AtomicUsize,
    recorded: Mutex<Vec<RecordedCall>>,
}

impl RecordingNetwork {
    pub(super) fn new(call: &Call) -> RecordingNetwork {
        RecordingNetwork {
            call: call.clone(),
            sent: AtomicUsize::new(0),
            recorded: Mutex::new(Vec::new()),
        }
    }

    /// The requests made so far, in order.
    pub(super) fn take(&self) -> Vec<RecordedCall> {
        self.recorded
            .lock()
            .map(|mut r| std::mem::take(&mut *r))
            .unwrap_or_default()
    }
}

impl Network for RecordingNetwork {
    fn fetch(&self, request: Value) -> Value {
        let n = self.sent.fetch_add(1, Ordering::Relaxed);
        let url = request.get("url").cloned().unwrap_or(Value::Null);
        if let Ok(mut r) = self.recorded.lock() {
            r.push(RecordedCall {
                run_id: self.call.run_id.clone(),
                step: self.call.step.clone(),
                action: "code.js.fetch".into(),
                params: request,
                idempotency_key: key_of(&self.call, n),
            });
        }
        json!({
            "status": 200,
            "statusText": "OK",
            "url": url,
            "headers": {"content-type": "application/json"},
            "body": "{\"recorded\":true}",
        })
    }
}
