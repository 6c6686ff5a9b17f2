//! Delivering an alert notification to its route, one function per scheme.
//!
//! * `webhook://HOST[:PORT]/PATH` posts JSON to `https://HOST/PATH` (`http://` for a loopback
//!   host: 127.0.0.1, localhost, ::1), with an `Idempotency-Key`.
//! * `slack://CHANNEL` posts `{channel, text}` to a Slack incoming-webhook URL read from the
//!   secret `slack_webhook_<channel>` (non-alphanumerics as `_`), else `slack_webhook`.
//! * `pagerduty://SERVICE` sends a PagerDuty Events API v2 event (`trigger` when raised,
//!   `resolve` when resolved) with the routing key from the secret
//!   `pagerduty_routing_key_<service>`, else `pagerduty_routing_key`. The `dedup_key` is the
//!   alert id, so PagerDuty keeps one incident per breach and a re-sent notice joins it.
//! * `email://ADDRESS` sends a plain-text mail over SMTP (lettre) through the server in the
//!   secret `smtp_url` (`smtp://HOST:PORT`, `smtp://USER:PASS@HOST:587?tls=required`,
//!   `smtps://…`), from the secret `smtp_from` (default `openclaw@localhost`). Its
//!   `Message-ID` is derived from the alert id and event, so a re-sent notice has the same
//!   one and mail systems drop the copy.
//! * `log://…` and no route: recorded (the log events and an `ERROR` tracing line).
//!
//! A route whose secret is missing is recorded and a warning names the environment variable
//! to set. In record-only mode nothing is sent. Error texts never carry a secret (a Slack
//! URL, a routing key, SMTP credentials).

use super::AlertPlan;
use crate::secrets::Secrets;
use crate::slo::Figures;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::time::Duration;

pub use claw_language::routes::{pagerduty_secret_names, slack_secret_names, webhook_url};

/// PagerDuty's Events API v2 endpoint (the default of [`super::Alerts::with_pagerduty_url`]).
pub const PAGERDUTY_EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";

/// Sender of alert mail when the secret `smtp_from` is not set.
pub const DEFAULT_MAIL_FROM: &str = "openclaw@localhost";

/// How long one delivery may take.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// One notification to deliver.
pub(super) struct Notice<'a> {
    pub plan: &'a AlertPlan,
    /// `raised` or `resolved`.
    pub state: &'a str,
    /// Sequence number of the state event (part of the idempotency key).
    pub seq: i64,
    pub figures: &'a Figures,
    pub now: DateTime<Utc>,
    pub window: Duration,
}

impl Notice<'_> {
    fn route(&self) -> &str {
        self.plan.route.as_deref().unwrap_or("")
    }

    /// The same key for every attempt at this notification.
    fn idempotency_key(&self) -> String {
        format!("{}:{}", self.plan.id, self.seq)
    }

    /// One line: `[RAISED] system: condition — description`.
    fn text(&self) -> String {
        format!(
            "[{}] {}: {}{}",
            self.state.to_uppercase(),
            self.plan.system,
            self.plan.on,
            self.plan
                .description
                .as_deref()
                .map(|d| format!(" — {d}"))
                .unwrap_or_default()
        )
    }

    fn json(&self) -> Value {
        json!({
            "id": self.plan.id,
            "system": self.plan.system,
            "alert": self.plan.on,
            "state": self.state,
            "description": self.plan.description,
            "route": self.route(),
            "at": self.now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "window_seconds": self.window.as_secs(),
            "figures": self.figures.values,
        })
    }
}

/// Sends notifications; one per runtime.
pub(super) struct Notifier {
    client: reqwest::Client,
    pagerduty_url: String,
}

impl Notifier {
    pub(super) fn new() -> Notifier {
        Notifier {
            client: crate::adapters::http_client(),
            pagerduty_url: PAGERDUTY_EVENTS_URL.to_string(),
        }
    }

    pub(super) fn set_pagerduty_url(&mut self, url: String) {
        self.pagerduty_url = url;
    }

    /// Delivers `n`; `Ok` says how (`posted (202)`, `mailed`, `recorded (why)`).
    pub(super) async fn deliver(
        &self,
        secrets: &Secrets,
        record_only: bool,
        n: &Notice<'_>,
    ) -> Result<String, String> {
        let route = n.route();
        let (scheme, target) = route.split_once("://").unwrap_or(("", route));
        let text = n.text();
        let record = |why: &str| {
            tracing::error!(system = %n.plan.system, alert = %n.plan.on, state = n.state, route, "{text} ({why})");
            Ok(format!("recorded ({why})"))
        };
        if record_only {
            return record("record-only mode");
        }
        match scheme {
            "webhook" => {
                self.post(scheme, target, &webhook_url(target), n.json(), n)
                    .await
            }
            "slack" => match secret_in_order(secrets, &slack_secret_names(target)) {
                Ok(url) => {
                    let body = json!({"channel": format!("#{}", target.trim_start_matches('#')), "text": text});
                    self.post(scheme, target, &url, body, n).await
                }
                Err(why) => {
                    tracing::warn!(system = %n.plan.system, "no Slack webhook URL for `{route}`: {why}");
                    record("no Slack webhook configured")
                }
            },
            "pagerduty" => match secret_in_order(secrets, &pagerduty_secret_names(target)) {
                Ok(key) => {
                    let body = pagerduty_event(&key, n);
                    self.post(scheme, target, &self.pagerduty_url, body, n)
                        .await
                }
                Err(why) => {
                    tracing::warn!(system = %n.plan.system, "no PagerDuty routing key for `{route}`: {why}");
                    record("no PagerDuty routing key configured")
                }
            },
            "email" => match secrets.get("smtp_url") {
                Ok(smtp) => mail(secrets, &smtp, target, n).await,
                Err(_) => {
                    tracing::warn!(
                        system = %n.plan.system,
                        "no SMTP server for `{route}`: set {}",
                        crate::secrets::env_name("smtp_url")
                    );
                    record("no SMTP server configured")
                }
            },
            "log" => record("log route"),
            _ => record("no route"),
        }
    }

    /// POSTs JSON; the URL may be a secret (Slack), so errors name the route instead.
    async fn post(
        &self,
        scheme: &str,
        target: &str,
        url: &str,
        body: Value,
        n: &Notice<'_>,
    ) -> Result<String, String> {
        let resp = self
            .client
            .post(url)
            .timeout(DELIVERY_TIMEOUT)
            .header("Idempotency-Key", n.idempotency_key())
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| {
                format!(
                    "posting to {scheme}://{target}: {}",
                    if e.is_timeout() {
                        "timed out"
                    } else if e.is_connect() {
                        "connection refused or unreachable"
                    } else {
                        "request failed"
                    }
                )
            })?;
        let status = resp.status();
        if status.is_success() {
            Ok(format!("posted ({})", status.as_u16()))
        } else {
            Err(format!(
                "{scheme}://{target} answered HTTP {}",
                status.as_u16()
            ))
        }
    }
}

/// The event PagerDuty's Events API v2 expects.
fn pagerduty_event(routing_key: &str, n: &Notice<'_>) -> Value {
    let action = if n.state == "resolved" {
        "resolve"
    } else {
        "trigger"
    };
    json!({
        "routing_key": routing_key,
        "event_action": action,
        "dedup_key": n.plan.id,
        "payload": {
            // PagerDuty caps the summary at 1,024 characters.
            "summary": n.text().chars().take(1024).collect::<String>(),
            "source": format!("openclaw:{}", n.plan.system),
            "severity": "critical",
            "timestamp": n.now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "component": n.plan.system,
            "custom_details": n.json(),
        },
    })
}

/// Sends the notice as a plain-text mail to `to` through the SMTP server at `smtp_url`.
async fn mail(
    secrets: &Secrets,
    smtp_url: &str,
    to: &str,
    n: &Notice<'_>,
) -> Result<String, String> {
    use lettre::message::header::ContentType;
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

    let from = secrets
        .get("smtp_from")
        .unwrap_or_else(|_| DEFAULT_MAIL_FROM.to_string());
    let from = from
        .parse()
        .map_err(|_| format!("the secret smtp_from is not a mail address: `{from}`"))?;
    let to_addr = to
        .parse()
        .map_err(|_| format!("email://{to}: not a mail address"))?;
    let mut body = format!("{}\n\n", n.text());
    body.push_str(&format!(
        "system: {}\nalert: {}\nstate: {}\nat: {}\nwindow: {} s\n",
        n.plan.system,
        n.plan.on,
        n.state,
        n.now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        n.window.as_secs()
    ));
    for (name, value) in &n.figures.values {
        body.push_str(&format!("{name}: {value}\n"));
    }
    body.push_str(&format!("\nalert id: {}\n", n.plan.id));
    let message_id = format!(
        "<{}@openclaw>",
        n.idempotency_key().replace([':', ' '], ".")
    );
    let msg = Message::builder()
        .from(from)
        .to(to_addr)
        .subject(n.text())
        .message_id(Some(message_id))
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| format!("email://{to}: the message cannot be built: {e}"))?;
    // The URL holds credentials: errors name the secret, never its value.
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
        .map_err(|_| "the secret smtp_url is not an smtp:// or smtps:// URL".to_string())?
        .timeout(Some(DELIVERY_TIMEOUT))
        .build();
    match transport.send(msg).await {
        Ok(resp) => Ok(format!("mailed ({})", resp.code())),
        Err(e) => Err(format!(
            "mailing email://{to} through the SMTP server in smtp_url: {}",
            match e.status() {
                Some(code) => format!("the server answered {code}"),
                None if e.is_timeout() => "timed out".to_string(),
                None if e.is_tls() => "TLS failed".to_string(),
                None => "connection refused, unreachable or closed".to_string(),
            }
        )),
    }
}

/// The first of `names` that is set, or why none is.
fn secret_in_order(secrets: &Secrets, names: &[String; 2]) -> Result<String, String> {
    for n in names {
        if let Ok(v) = secrets.get(n) {
            return Ok(v);
        }
    }
    Err(format!(
        "set {} or {}",
        crate::secrets::env_name(&names[0]),
        crate::secrets::env_name(&names[1])
    ))
}
