//! `http.get|post|put|patch|delete`, `slack.post` and `webhook.post` over reqwest.
//!
//! 5xx, 429, timeouts and connection failures are retryable; other 4xx are not. Every
//! request carries the step's `Idempotency-Key`. Response bodies are capped.

use super::{Adapter, AdapterError, Call, required, str_param};
use serde_json::{Value, json};

/// Largest response body kept in a step's output.
const MAX_BODY: usize = 1024 * 1024;

/// The shared HTTP client (rustls with the ring provider; see `crate::install_crypto`).
pub fn client() -> reqwest::Client {
    crate::install_crypto();
    reqwest::Client::builder()
        .user_agent(concat!("claw/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// Generic HTTP calls: params `url`, optional `headers`, `query`, `basic_auth` (`user|password`),
/// and a body: `body` (a string as is, any other value as JSON) or `form` (an object, sent
/// URL-encoded). `http.request` takes the method from `method`.
#[derive(Debug, Clone)]
pub struct HttpAdapter {
    client: reqwest::Client,
}

impl HttpAdapter {
    /// With a client.
    pub fn new(client: reqwest::Client) -> Self {
        HttpAdapter { client }
    }
}

/// A response read up to a size limit.
pub(crate) struct Fetched {
    /// HTTP status.
    pub status: reqwest::StatusCode,
    /// The response headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body's first bytes, at most the limit.
    pub body: Vec<u8>,
    /// Whether the body was longer than the limit.
    pub truncated: bool,
}

async fn send(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    call: &Call,
    body: Option<&Value>,
) -> Result<Value, AdapterError> {
    let what = format!("{} in step `{}`", call.action, call.step);
    let Fetched {
        status,
        body: buf,
        truncated,
        ..
    } = fetch(client, method, url, call, body, MAX_BODY).await?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let body = serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text));
    let code = status.as_u16();
    if status.is_success() || status.is_redirection() {
        return Ok(json!({"status": code, "body": body, "truncated": truncated}));
    }
    let snippet: String = match &body {
        Value::String(s) => s.chars().take(200).collect(),
        other => other.to_string().chars().take(200).collect(),
    };
    Err(status_error(&what, status, &snippet))
}

/// The error for a non-success status: 5xx, 429 and 408 may pass on a later try.
pub(crate) fn status_error(what: &str, status: reqwest::StatusCode, snippet: &str) -> AdapterError {
    let msg = format!("{what}: HTTP {}: {snippet}", status.as_u16());
    if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
        AdapterError::retryable(msg)
    } else {
        AdapterError::permanent(msg)
    }
}

/// Sends one request with the step's headers, query and `Idempotency-Key`, and reads at most
/// `limit` bytes of the answer. Transport failures and timeouts are retryable.
pub(crate) async fn fetch(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    call: &Call,
    body: Option<&Value>,
    limit: usize,
) -> Result<Fetched, AdapterError> {
    let mut req = client
        .request(method, url)
        .timeout(call.timeout)
        .header("Idempotency-Key", &call.idempotency_key);
    if let Some(Value::Object(h)) = call.params.get("headers") {
        for (k, v) in h {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            req = req.header(k.as_str(), v);
        }
    }
    if let Some(Value::Object(q)) = call.params.get("query") {
        req = req.query(&pairs(q));
    }
    // `user|password`, Zapier's spelling of basic auth (the value is a resolved secret).
    if let Some(auth) = str_param(&call.params, "basic_auth") {
        let (user, password) = auth.split_once('|').unwrap_or((auth, ""));
        req = req.basic_auth(user, Some(password));
    }
    if let Some(Value::Object(f)) = call.params.get("form") {
        req = req.form(&pairs(f));
    }
    match body {
        Some(Value::String(s)) => req = req.body(s.clone()),
        Some(v) if !v.is_null() => {
            req = req
                .header("Content-Type", "application/json")
                .body(v.to_string())
        }
        _ => {}
    }
    // The URL may hold a resolved secret: never put it in an error message.
    let what = format!("{} in step `{}`", call.action, call.step);
    let mut resp = req.send().await.map_err(|e| {
        if e.is_builder() {
            AdapterError::permanent(format!("{what}: invalid request (check url and headers)"))
        } else if e.is_timeout() {
            AdapterError::retryable(format!("{what}: timed out after {:?}", call.timeout))
        } else {
            AdapterError::retryable(format!("{what}: request failed ({})", kind(&e)))
        }
    })?;
    let status = resp.status();
    let headers = resp.headers().clone();
    let mut buf: Vec<u8> = Vec::new();
    let mut truncated = false;
    loop {
        match resp.chunk().await {
            Ok(Some(c)) => {
                if buf.len() + c.len() > limit {
                    buf.extend_from_slice(&c[..limit - buf.len()]);
                    truncated = true;
                    break;
                }
                buf.extend_from_slice(&c);
            }
            Ok(None) => break,
            Err(e) if e.is_timeout() => {
                return Err(AdapterError::retryable(format!(
                    "{what}: timed out reading the response after {:?}",
                    call.timeout
                )));
            }
            Err(e) => {
                return Err(AdapterError::retryable(format!(
                    "{what}: reading the response failed ({})",
                    kind(&e)
                )));
            }
        }
    }
    Ok(Fetched {
        status,
        headers,
        body: buf,
        truncated,
    })
}

/// An object's fields as text pairs (query strings and forms carry text only).
fn pairs(m: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    m.iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_string),
            )
        })
        .collect()
}

fn kind(e: &reqwest::Error) -> &'static str {
    if e.is_connect() {
        "connection refused or unreachable"
    } else if e.is_request() {
        "request error"
    } else if e.is_body() {
        "body error"
    } else {
        "transport error"
    }
}

#[async_trait::async_trait]
impl Adapter for HttpAdapter {
    async fn call(&self, call: &Call) -> Result<Value, AdapterError> {
        let method = match call.operation.as_str() {
            "get" => reqwest::Method::GET,
            "post" => reqwest::Method::POST,
            "put" => reqwest::Method::PUT,
            "patch" => reqwest::Method::PATCH,
            "delete" => reqwest::Method::DELETE,
            // Any method, named by the `method` parameter (Zapier's custom request).
            "request" => {
                let m = required(call, "method")?;
                reqwest::Method::from_bytes(m.trim().to_ascii_uppercase().as_bytes()).map_err(
                    |_| {
                        AdapterError::permanent(format!(
                            "http.request: `{m}` is not an HTTP method"
                        ))
                    },
                )?
            }
            other => {
                return Err(AdapterError::permanent(format!(
                    "http has no operation `{other}`; expected get, post, put, patch, delete or request"
                )));
            }
        };
        let url = required(call, "url")?;
        send(&self.client, method, url, call, call.params.get("body")).await
    }
}

/// `slack.post` (`{channel, text}` to an incoming-webhook `url`) and `webhook.post`
/// (`body` to `url`).
#[derive(Debug, Clone)]
pub struct NotifyAdapter {
    client: reqwest::Client,
    slack: bool,
}

impl NotifyAdapter {
    /// Slack incoming webhooks.
    pub fn slack(client: reqwest::Client) -> Self {
        NotifyAdapter {
            client,
            slack: true,
        }
    }
    /// Plain JSON webhooks.
    pub fn webhook(client: reqwest::Client) -> Self {
        NotifyAdapter {
            client,
            slack: false,
        }
    }
}

#[async_trait::async_trait]
impl Adapter for NotifyAdapter {
    async fn call(&self, call: &Call) -> Result<Value, AdapterError> {
        if call.operation != "post" {
            return Err(AdapterError::permanent(format!(
                "{} has no operation `{}`; expected post",
                if self.slack { "slack" } else { "webhook" },
                call.operation
            )));
        }
        let url = str_param(&call.params, "url")
            .or_else(|| str_param(&call.params, "webhook_url"))
            .ok_or_else(|| {
                AdapterError::permanent(format!(
                    "{} in step `{}` needs `url` (e.g. `url: secret://ops_slack_webhook`)",
                    call.action, call.step
                ))
            })?;
        let body = if self.slack {
            let mut b = serde_json::Map::new();
            for k in ["channel", "text", "blocks", "username"] {
                if let Some(v) = call.params.get(k) {
                    b.insert(k.to_string(), v.clone());
                }
            }
            Value::Object(b)
        } else {
            call.params.get("body").cloned().unwrap_or(Value::Null)
        };
        send(&self.client, reqwest::Method::POST, url, call, Some(&body)).await
    }
}
