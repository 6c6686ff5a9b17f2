//! The HTTP proxy of `claw shadow serve`: forwards each webhook to the legacy endpoint,
//! answers with the legacy's response, then hands the request to the shadow side.
//!
//! Takes webhooks on the same paths as `claw run` (`/hooks/<system>/<trigger>`),
//! forwards each one unchanged to the legacy endpoint and answers the caller
//! with the legacy's exact status, content type and body. Only after that
//! answer is settled is the payload handed to the shadow side ([`crate::live`]),
//! without waiting, so a failing or slow shadow side never changes what the
//! caller gets. `GET /shadow/status` gives the shadow side's counts as JSON.

use crate::live::{Job, ShadowSide, Stats};
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, Method, StatusCode, header};
use axum::response::Response;
use std::sync::Arc;

/// What the proxy serves and where it forwards.
#[derive(Debug, Clone)]
pub struct MirrorConfig {
    /// System name served.
    pub system: String,
    /// Trigger names accepted.
    pub triggers: Vec<String>,
    /// Legacy endpoint every request is forwarded to.
    pub forward: String,
    /// The shadow side (`None`: disabled, requests are only forwarded).
    pub shadow: Option<ShadowSide>,
}

struct Shared {
    cfg: MirrorConfig,
    client: reqwest::Client,
}

/// Headers that belong to one connection and are not forwarded.
const HOP: [&str; 8] = [
    "host",
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "te",
    "content-length",
];

/// Why a `--forward` URL cannot be a legacy endpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadForward {
    /// It parses, but is not an `http`/`https` URL with a host (e.g. `file:` or `mailto:`).
    #[error("expected an http or https URL with a host, not a `{scheme}:` URL")]
    NotHttp {
        /// The scheme it has.
        scheme: String,
    },
    /// It is not a URL at all.
    #[error("not a URL: {0}")]
    NotAUrl(String),
}

/// Checks the legacy endpoint is an absolute `http`/`https` URL.
pub fn check_forward(url: &str) -> Result<(), BadForward> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Ok(()),
        Ok(u) => Err(BadForward::NotHttp {
            scheme: u.scheme().to_string(),
        }),
        Err(e) => Err(BadForward::NotAUrl(e.to_string())),
    }
}

/// The router (for tests and for `serve`).
pub fn router(cfg: MirrorConfig) -> Result<axum::Router, reqwest::Error> {
    // reqwest is built without a default TLS provider (as in claw-runtime); install ring once.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()?;
    let shared = Arc::new(Shared { cfg, client });
    Ok(axum::Router::new()
        .route("/hooks/{system}/{trigger}", axum::routing::any(hook))
        .route("/shadow/status", axum::routing::get(status))
        .with_state(shared))
}

async fn hook(
    State(sh): State<Arc<Shared>>,
    Path((system, trigger)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Millisecond precision: the record-only runtime's clock has no finer grain.
    let now = chrono::Utc::now();
    let received_at =
        chrono::DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now);
    if system != sh.cfg.system || !sh.cfg.triggers.contains(&trigger) {
        return plain(
            StatusCode::NOT_FOUND,
            format!("no hook /hooks/{system}/{trigger}\n"),
        );
    }
    let mut req = sh
        .client
        .request(method, &sh.cfg.forward)
        .body(body.clone());
    for (k, v) in &headers {
        if !HOP.contains(&k.as_str()) {
            req = req.header(k, v);
        }
    }
    let (resp, legacy_status, forward_error) = match req.send().await {
        Ok(r) => {
            let status = r.status();
            let mut out_headers = HeaderMap::new();
            for (k, v) in r.headers() {
                if !HOP.contains(&k.as_str()) {
                    out_headers.append(HeaderName::from(k), v.clone());
                }
            }
            match r.bytes().await {
                Ok(b) => {
                    let mut resp = Response::new(Body::from(b));
                    *resp.status_mut() = status;
                    *resp.headers_mut() = out_headers;
                    (resp, Some(status.as_u16()), None)
                }
                Err(e) => (
                    plain(
                        StatusCode::BAD_GATEWAY,
                        format!("legacy endpoint body unreadable: {e}\n"),
                    ),
                    Some(status.as_u16()),
                    Some(e.to_string()),
                ),
            }
        }
        Err(e) => (
            plain(
                StatusCode::BAD_GATEWAY,
                format!("legacy endpoint unreachable: {e}\n"),
            ),
            None,
            Some(e.to_string()),
        ),
    };
    if let Some(shadow) = &sh.cfg.shadow {
        shadow.submit(Job {
            trigger,
            body,
            received_at,
            legacy_status,
            forward_error,
        });
    }
    resp
}

async fn status(State(sh): State<Arc<Shared>>) -> axum::Json<Stats> {
    axum::Json(
        sh.cfg
            .shadow
            .as_ref()
            .map(ShadowSide::stats)
            .unwrap_or_default(),
    )
}

fn plain(status: StatusCode, text: String) -> Response {
    let mut r = Response::new(Body::from(text));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    cfg: MirrorConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(cfg).map_err(std::io::Error::other)?;
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// A bound listener.
pub type Listener = tokio::net::TcpListener;

/// Binds `addr` (e.g. `127.0.0.1:8080`; port 0 picks a free one).
pub async fn bind(addr: &str) -> std::io::Result<Listener> {
    tokio::net::TcpListener::bind(addr).await
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut i), Ok(mut t)) => {
            tokio::select! {
                _ = i.recv() => {}
                _ = t.recv() => {}
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
