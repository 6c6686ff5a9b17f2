//! The HTTP front: webhooks, the admin fire endpoint, metrics and health.
//!
//! * `POST /hooks/<system>/<trigger>`: 202 `{run_id}` once the run is durably stored;
//!   200 with the first run id for a duplicate; 404 unknown hook; 413 body too large;
//!   415 not JSON (or, with `body: any`, neither JSON nor a form); 401 bad signature; 422 idempotency expression failed; 503 draining.
//! * `POST /admin/fire/<system>/<trigger>`: fires any trigger (used by `claw fire`).
//! * `GET /metrics` (Prometheus text), `GET /healthz`.

use crate::codes;
use crate::engine::{EngineError, Runtime, StartOptions};
use crate::webhook_body;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use claw_language::model::HookBody;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

/// Largest accepted webhook body.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Default signature header.
pub const DEFAULT_SIGNATURE_HEADER: &str = "X-Claw-Signature";

/// The router over a runtime.
pub fn router(rt: Runtime, body_limit: usize) -> Router {
    Router::new()
        .route("/hooks/{system}/{*trigger}", post(hook))
        .route("/admin/fire/{system}/{trigger}", post(fire))
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(rt)
}

fn problem(status: StatusCode, code: &str, message: String) -> Response {
    (
        status,
        axum::Json(json!({"error": code, "message": message})),
    )
        .into_response()
}

async fn accept(rt: &Runtime, system: &str, trigger: &str, payload: Value) -> Response {
    match rt
        .accept(system, trigger, payload, StartOptions::default())
        .await
    {
        Ok(a) if a.duplicate => (
            StatusCode::OK,
            axum::Json(json!({"run_id": a.run_id, "duplicate": true})),
        )
            .into_response(),
        Ok(a) => (
            StatusCode::ACCEPTED,
            axum::Json(json!({"run_id": a.run_id})),
        )
            .into_response(),
        Err(EngineError::BadKey { trigger, message }) => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::HOOK_IDEMPOTENCY.id,
            format!("trigger `{trigger}`: {message}"),
        ),
        Err(EngineError::Draining) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            codes::HOOK_DRAINING.id,
            "the runtime is shutting down; retry later".into(),
        ),
        Err(e @ (EngineError::UnknownSystem(_) | EngineError::UnknownTrigger { .. })) => {
            problem(StatusCode::NOT_FOUND, codes::HOOK_UNKNOWN.id, e.to_string())
        }
        Err(e) => {
            tracing::error!(system, trigger, error = %e, "accepting a trigger failed");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                codes::HOOK_STORE.id,
                "the event could not be stored; nothing was accepted".into(),
            )
        }
    }
}

async fn hook(
    State(rt): State<Runtime>,
    Path((system, path)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(sys) = rt.system(&system).cloned() else {
        return problem(
            StatusCode::NOT_FOUND,
            codes::HOOK_UNKNOWN.id,
            format!("no system `{system}`"),
        );
    };
    let Some(plan) = sys.webhook(path.trim_matches('/')) else {
        return problem(
            StatusCode::NOT_FOUND,
            codes::HOOK_UNKNOWN.id,
            format!("system `{system}` has no webhook `{path}`"),
        );
    };
    if let Some(auth) = &plan.trigger.auth {
        let name = auth.hmac_sha256.trim_start_matches("secret://");
        let key = match rt.secrets().get(name) {
            Ok(k) => k,
            Err(e) => {
                tracing::error!(system, trigger = %plan.trigger.name, error = %e, "webhook signature key missing; refusing deliveries");
                return problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    codes::HOOK_NO_KEY.id,
                    "the signature key of this hook is not configured".into(),
                );
            }
        };
        let header_name = auth.header.as_deref().unwrap_or(DEFAULT_SIGNATURE_HEADER);
        let given = headers
            .get(header_name)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().trim_start_matches("sha256=").to_string())
            .and_then(|h| hex::decode(h).ok());
        let ok = match (given, Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes())) {
            (Some(sig), Ok(mut mac)) => {
                mac.update(&body);
                mac.verify_slice(&sig).is_ok()
            }
            _ => false,
        };
        if !ok {
            return problem(
                StatusCode::UNAUTHORIZED,
                codes::HOOK_SIGNATURE.id,
                format!("missing or wrong HMAC-SHA256 signature in `{header_name}`"),
            );
        }
    }
    let mode = plan.trigger.body.unwrap_or(HookBody::Json);
    let payload = match webhook_body::payload(mode, &headers, query.as_deref(), &body) {
        Ok(p) => p,
        Err(r) => return problem(r.status, r.code, r.message),
    };
    let trigger = plan.trigger.name.clone();
    accept(&rt, &system, &trigger, payload).await
}

async fn fire(
    State(rt): State<Runtime>,
    Path((system, trigger)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let payload = if body.is_empty() {
        json!({})
    } else {
        // The admin endpoint takes JSON, as a `body: json` webhook does.
        match webhook_body::payload(HookBody::Json, &headers, None, &body) {
            Ok(p) => p,
            Err(r) => return problem(r.status, r.code, r.message),
        }
    };
    accept(&rt, &system, &trigger, payload).await
}

async fn metrics(State(rt): State<Runtime>) -> Response {
    // Dead letters also change outside this process (`claw dlq retry|drop`): read the
    // depth from the store at each scrape so the gauge is never stale.
    match rt.store().dead_letters(Some("open")).await {
        Ok(open) => {
            rt.metrics()
                .set_dead_letters(open.iter().map(|d| d.system.as_str()));
        }
        // The scrape still answers, with the last known depth.
        Err(e) => tracing::warn!(error = %e, "cannot read the dead-letter depth for /metrics"),
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        rt.metrics().render(),
    )
        .into_response()
}

async fn healthz(State(rt): State<Runtime>) -> Response {
    if rt.is_draining() {
        (StatusCode::SERVICE_UNAVAILABLE, "draining\n").into_response()
    } else {
        (StatusCode::OK, "ok\n").into_response()
    }
}

/// Serves the router on `listener` until `shutdown` completes (then stops accepting
/// connections and lets open requests finish).
pub async fn serve(
    listener: tokio::net::TcpListener,
    rt: Runtime,
    body_limit: usize,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(rt, body_limit))
        .with_graceful_shutdown(shutdown)
        .await
}

/// A running runtime that could not be asked to fire a trigger.
#[derive(Debug, thiserror::Error)]
#[error("cannot reach {url}")]
pub struct FireError {
    /// The admin endpoint called.
    pub url: String,
    /// What the HTTP client said.
    pub source: reqwest::Error,
}

/// Fires a trigger through a running runtime's admin endpoint (`claw fire --url`).
/// Returns the HTTP status and the JSON answer.
pub async fn fire_remote(
    base_url: &str,
    system: &str,
    trigger: &str,
    payload: &Value,
) -> Result<(u16, Value), FireError> {
    let client = crate::adapters::http_client();
    let url = format!(
        "{}/admin/fire/{system}/{trigger}",
        base_url.trim_end_matches('/')
    );
    let resp = client
        .post(&url)
        .header("Content-Type", "application/json")
        .body(payload.to_string())
        .send()
        .await
        .map_err(|source| FireError {
            url: url.clone(),
            source,
        })?;
    let status = resp.status().as_u16();
    let text = resp.text().await.map_err(|source| FireError {
        url: url.clone(),
        source,
    })?;
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}
