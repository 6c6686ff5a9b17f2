//! `email.send`: one mail over SMTP (lettre), what Email by Zapier's "Send Outbound Email"
//! does, through the user's own mail server instead of Zapier's.
//!
//! The server comes from the `server` parameter, normally `secret://smtp_url` (an `smtp://` or
//! `smtps://` URL, credentials inside), so it never reaches events or logs. The step's
//! idempotency key becomes the message's `Message-ID`: SMTP has no deduplication of its own,
//! but a retried attempt sends the same id, which mail stores and receivers deduplicate on.

use super::{Adapter, AdapterError, Call, str_param};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MessageBuilder};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::{Value, json};

/// Sends mail through the SMTP server named in each call.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmailAdapter;

#[async_trait::async_trait]
impl Adapter for EmailAdapter {
    async fn call(&self, call: &Call) -> Result<Value, AdapterError> {
        if call.operation != "send" {
            return Err(AdapterError::permanent(format!(
                "email has no operation `{}`; expected send",
                call.operation
            )));
        }
        let mail = Outgoing::read(call)?;
        let message_id = message_id(&call.idempotency_key);
        let msg = mail.message(&message_id).map_err(|e| bad(call, e))?;
        let server = str_param(&call.params, "server").ok_or_else(|| {
            bad(
                call,
                "needs `server` (e.g. `server: secret://smtp_url`, an smtp:// or smtps:// URL)",
            )
        })?;
        // The URL holds credentials: errors name the parameter, never its value.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(server)
            .map_err(|_| bad(call, "`server` is not an smtp:// or smtps:// URL"))?
            .timeout(Some(call.timeout))
            .build();
        match transport.send(msg).await {
            Ok(resp) => Ok(json!({
                "message_id": message_id,
                "to": mail.to.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "smtp_code": resp.code().to_string(),
            })),
            Err(e) => Err(refused(call, &e)),
        }
    }
}

/// The parts of one mail, read from the step's parameters.
struct Outgoing {
    from: Mailbox,
    to: Vec<Mailbox>,
    cc: Vec<Mailbox>,
    bcc: Vec<Mailbox>,
    reply_to: Vec<Mailbox>,
    subject: String,
    body: String,
    html: bool,
}

impl Outgoing {
    fn read(call: &Call) -> Result<Outgoing, AdapterError> {
        let p = &call.params;
        let addresses =
            |key: &str| mailboxes(p.get(key)).map_err(|e| bad(call, format!("`{key}`: {e}")));
        let to = addresses("to")?;
        if to.is_empty() {
            return Err(bad(call, "needs at least one recipient in `to`"));
        }
        let from_name = str_param(p, "from_name").filter(|s| !s.trim().is_empty());
        let from_addr = str_param(p, "from").ok_or_else(|| {
            bad(
                call,
                "needs `from`, the sender address (e.g. `from: ops@example.com`)",
            )
        })?;
        let from = from_addr
            .trim()
            .parse::<lettre::Address>()
            .map(|a| Mailbox::new(from_name.map(str::to_string), a))
            .map_err(|_| bad(call, format!("`from`: `{from_addr}` is not a mail address")))?;
        Ok(Outgoing {
            from,
            to,
            cc: addresses("cc")?,
            bcc: addresses("bcc")?,
            reply_to: addresses("reply_to")?,
            subject: text(p.get("subject")),
            body: text(p.get("body")),
            html: flag(p.get("html")),
        })
    }

    fn message(&self, message_id: &str) -> Result<Message, String> {
        let mut b: MessageBuilder = Message::builder()
            .from(self.from.clone())
            .subject(self.subject.clone())
            .message_id(Some(message_id.to_string()));
        for m in &self.to {
            b = b.to(m.clone());
        }
        for m in &self.cc {
            b = b.cc(m.clone());
        }
        for m in &self.bcc {
            b = b.bcc(m.clone());
        }
        for m in &self.reply_to {
            b = b.reply_to(m.clone());
        }
        let kind = if self.html {
            ContentType::TEXT_HTML
        } else {
            ContentType::TEXT_PLAIN
        };
        b.header(kind)
            .body(self.body.clone())
            .map_err(|e| format!("the message cannot be built: {e}"))
    }
}

/// Addresses from a list or a comma-separated text (Zapier's "To" takes up to five, comma
/// separated); `Name <a@b>` forms are kept with their names.
fn mailboxes(v: Option<&Value>) -> Result<Vec<Mailbox>, String> {
    let items: Vec<String> = match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.iter().map(|x| text(Some(x))).collect(),
        Some(other) => text(Some(other)).split(',').map(str::to_string).collect(),
    };
    items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<Mailbox>()
                .map_err(|_| format!("`{s}` is not a mail address"))
        })
        .collect()
}

/// A parameter as text: strings as they are, other values as JSON, absent as empty.
fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// `true`, `"true"`, `"yes"` or `"html"` (Zapier's body type) turn HTML on.
fn flag(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "true" | "yes" | "html"
        ),
        _ => false,
    }
}

/// `<key@openclaw>`, with the characters a message id cannot hold replaced.
fn message_id(key: &str) -> String {
    let safe: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '.'
            }
        })
        .collect();
    format!("<{safe}@openclaw>")
}

fn bad(call: &Call, why: impl std::fmt::Display) -> AdapterError {
    AdapterError::permanent(format!("{} in step `{}`: {why}", call.action, call.step))
}

/// A send the server or the network refused: permanent for a 5xx answer (the server will
/// refuse again), retryable for the rest (4xx, timeouts, connection failures).
fn refused(call: &Call, e: &lettre::transport::smtp::Error) -> AdapterError {
    let why = match e.status() {
        Some(code) => format!("the SMTP server answered {code}"),
        None if e.is_timeout() => "the SMTP server timed out".to_string(),
        None if e.is_tls() => "TLS with the SMTP server failed".to_string(),
        None => "the SMTP server refused the connection, is unreachable or closed it".to_string(),
    };
    let message = format!("{} in step `{}`: {why}", call.action, call.step);
    if e.is_permanent() {
        AdapterError::permanent(message)
    } else {
        AdapterError::retryable(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_come_from_lists_or_comma_separated_text() {
        let one = mailboxes(Some(&json!("a@example.com, Bo <b@example.com>"))).unwrap();
        assert_eq!(one.len(), 2);
        assert_eq!(one[1].name.as_deref(), Some("Bo"));
        let list = mailboxes(Some(&json!(["a@example.com", " "]))).unwrap();
        assert_eq!(list.len(), 1);
        assert!(mailboxes(Some(&json!("not an address"))).is_err());
        assert!(mailboxes(None).unwrap().is_empty());
    }

    #[test]
    fn the_message_id_is_the_idempotency_key() {
        assert_eq!(message_id("run:1/step a"), "<run.1.step.a@openclaw>");
    }

    #[test]
    fn html_follows_zapier_body_type() {
        assert!(flag(Some(&json!("html"))));
        assert!(flag(Some(&json!(true))));
        assert!(!flag(Some(&json!("plain"))));
        assert!(!flag(None));
    }
}
