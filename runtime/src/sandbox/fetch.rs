//! `fetch` inside the sandbox: the WHATWG call shape a `code.js` step expects (Zapier's
//! JavaScript Code allows it), carried out by the host through a [`Network`].
//!
//! The script never touches a socket: its `fetch(url, init)` becomes one JSON request handed to
//! the host function `__claw_fetch`, which answers with one JSON response (or an error). So the
//! host decides what a request does: a real HTTP call with the step's idempotency key in a
//! live run, a recorded call and a canned answer in record-only mode. Policies (decisions) get
//! no network at all: they must stay pure.
//!
//! Time spent waiting on the network is not charged to the script's compute budget (the
//! interrupt deadline moves on by that much); each request has its own timeout instead.

use rquickjs::{Ctx, Function};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// One request of a script: `{"url", "method", "headers": {name: value}, "body": text|null}`;
/// the answer is `{"status", "statusText", "url", "headers": {lower-case name: value},
/// "body": text}`, or `{"error": why}` when no answer came (a rejected promise in the script).
pub trait Network: Send + Sync {
    /// Carries out one request. Blocking: the sandbox runs on a blocking thread.
    fn fetch(&self, request: Value) -> Value;
}

/// The JavaScript half: `fetch` returning a promise of a `Response`-like object (`ok`,
/// `status`, `statusText`, `url`, `headers.get/has/forEach`, `text()`, `json()`).
const SHIM: &str = r#"
(function () {
  const host = globalThis.__claw_fetch;
  delete globalThis.__claw_fetch;
  function headerPairs(h) {
    const out = {};
    if (h === undefined || h === null) return out;
    if (Array.isArray(h)) { for (const p of h) out[String(p[0])] = String(p[1]); return out; }
    if (typeof h.forEach === 'function' && typeof h.get === 'function') { h.forEach(function (v, k) { out[String(k)] = String(v); }); return out; }
    for (const k of Object.keys(h)) out[k] = String(h[k]);
    return out;
  }
  globalThis.fetch = function fetch(resource, init) {
    init = init || {};
    const request = {
      url: String(resource && resource.url !== undefined ? resource.url : resource),
      method: String(init.method || 'GET').toUpperCase(),
      headers: headerPairs(init.headers),
      body: init.body === undefined || init.body === null ? null : String(init.body),
    };
    return new Promise(function (resolve, reject) {
      const r = JSON.parse(host(JSON.stringify(request)));
      if (r.error !== undefined) { reject(new TypeError('fetch failed: ' + r.error)); return; }
      const headers = r.headers || {};
      resolve({
        ok: r.status >= 200 && r.status < 300,
        status: r.status,
        statusText: r.statusText || '',
        url: r.url,
        redirected: false,
        headers: {
          get: function (n) { const v = headers[String(n).toLowerCase()]; return v === undefined ? null : v; },
          has: function (n) { return String(n).toLowerCase() in headers; },
          forEach: function (f) { Object.keys(headers).forEach(function (k) { f(headers[k], k); }); },
        },
        text: function () { return Promise.resolve(r.body); },
        json: function () { return new Promise(function (ok) { ok(JSON.parse(r.body)); }); },
      });
    });
  };
})();
"#;

/// Network time so far, in nanoseconds: added to the script's deadline.
#[derive(Debug, Default, Clone)]
pub(super) struct Waited(Arc<AtomicU64>);

impl Waited {
    pub(super) fn get(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::Relaxed))
    }

    fn add(&self, d: Duration) {
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.0.fetch_add(nanos, Ordering::Relaxed);
    }
}

/// Defines `fetch` in `ctx`, answered by `network`.
pub(super) fn install(
    ctx: &Ctx<'_>,
    network: Arc<dyn Network>,
    waited: Waited,
) -> rquickjs::Result<()> {
    let host = Function::new(ctx.clone(), move |request: String| -> String {
        let request: Value =
            serde_json::from_str(&request).unwrap_or_else(|e| json!({"invalid": e.to_string()}));
        if request.get("invalid").is_some() {
            return json!({"error": "the request could not be read"}).to_string();
        }
        let started = Instant::now();
        let answer = network.fetch(request);
        waited.add(started.elapsed());
        answer.to_string()
    })?;
    ctx.globals().set("__claw_fetch", host)?;
    ctx.eval::<(), _>(SHIM)
}

#[cfg(test)]
mod tests {
    use super::Network;
    use crate::sandbox::{Limits, run_with};
    use serde_json::{Value, json};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    /// Answers from a script, and keeps the requests it was given.
    struct Canned {
        answer: Value,
        asked: Mutex<Vec<Value>>,
    }

    impl Network for Canned {
        fn fetch(&self, request: Value) -> Value {
            self.asked.lock().unwrap().push(request);
            // Slower than the script's whole budget: the wait must not count against it.
            std::thread::sleep(Duration::from_millis(150));
            self.answer.clone()
        }
    }

    fn limits() -> Limits {
        Limits {
            memory: 16 * 1024 * 1024,
            time: Duration::from_millis(100),
        }
    }

    #[test]
    fn the_request_and_the_response_have_fetch_shapes() {
        let net = Arc::new(Canned {
            answer: json!({"status": 201, "statusText": "Created", "url": "u",
                "headers": {"content-type": "application/json"}, "body": "{\"id\":7}"}),
            asked: Mutex::new(Vec::new()),
        });
        let src = "export default async function main({inputData}) {\n  const r = await fetch('https://api.example.com/x', {method: 'put', headers: [['X-A', 1]], body: 'hi'});\n  const j = await r.json();\n  return {ok: r.ok, s: r.status, t: r.headers.get('Content-Type'), id: j.id, none: r.headers.get('x')};\n}\n";
        let out = run_with(src, &json!({}), limits(), Some(net.clone())).unwrap();
        assert_eq!(
            out,
            json!({"ok": true, "s": 201, "t": "application/json", "id": 7, "none": null})
        );
        assert_eq!(
            net.asked.lock().unwrap()[0],
            json!({"url": "https://api.example.com/x", "method": "PUT", "headers": {"X-A": "1"}, "body": "hi"})
        );
    }

    #[test]
    fn a_failed_request_rejects_with_its_reason() {
        let net = Arc::new(Canned {
            answer: json!({"error": "connection refused"}),
            asked: Mutex::new(Vec::new()),
        });
        let src = "export default async function main() {\n  await fetch('http://127.0.0.1:1/');\n  return {};\n}\n";
        let e = run_with(src, &json!({}), limits(), Some(net)).unwrap_err();
        assert_eq!(
            e,
            crate::sandbox::SandboxError::Script("fetch failed: connection refused".into())
        );
    }
}
