//! Email by Zapier → `email.send` steps (outbound) and a webhook trigger (inbound).
//!
//! Zapier sends outbound mail from its own server, as `<from name> <…@zapiermail.com>`; the
//! system sends through the user's SMTP server instead, so the step takes `server:
//! secret://smtp_url` and `from: secret://smtp_from` (the sender address is deployment
//! configuration, like the server). No export with Email by Zapier has been seen
//! (docs/importers/zapier.md): the params are read by the field names of Zapier's "Send
//! Outbound Email" form (To, Subject, Body, From Name, Reply To, Cc, Bcc, Body Type,
//! Attachment, Force Linebreaks), with the spellings an export would plausibly use. A param
//! the mapping does not read is reported, never passed on silently.

use super::Mapper;
use crate::findings::Finding;
use crate::zapier::codes;
use crate::zapier::model::Node;
use claw_language::Execution;
use serde_json::Value;

/// For each `email.send` parameter, the export's names for it.
const PARAMS: &[(&[&str], &str)] = &[
    (&["to", "to_email", "recipients"], "to"),
    (&["subject"], "subject"),
    (&["body", "body_text", "html_body", "message"], "body"),
    (&["from_name", "sender_name"], "from_name"),
    (&["reply_to", "replyto"], "reply_to"),
    (&["cc"], "cc"),
    (&["bcc"], "bcc"),
];

/// Params that choose the body's type: "html" (or a yes) sends HTML.
const BODY_TYPE: &[&str] = &["body_type", "is_html", "html"];

/// Options the `email` adapter does not carry out: the step runs without them.
const NOT_SENT: &[&str] = &["attachment", "attachments", "file", "force_linebreaks"];

/// Whether an Email by Zapier action sends mail (the rest are triggers, mapped elsewhere).
fn is_send(action: &str) -> bool {
    let a = action.to_ascii_lowercase();
    a.contains("send") || a.contains("outbound") || a == "email" || a.starts_with("email_")
}

impl Mapper<'_> {
    /// Maps the Email by Zapier step at node `i` into `x`; false when it stays unported (the
    /// finding is noted and `x.action` set).
    pub(super) fn email(&mut self, i: usize, n: &Node, x: &mut Execution) -> bool {
        if !is_send(n.action()) {
            self.keep_unported(
                i,
                n,
                x,
                "Email by Zapier",
                "only sending mail has an equivalent (`email.send`)",
            );
            return false;
        }
        let name = self.names[i].clone();
        let params = n.params.clone().unwrap_or_default();
        x.action = "email.send".into();
        x.with
            .insert("server".into(), Value::String("secret://smtp_url".into()));
        x.with
            .insert("from".into(), Value::String("secret://smtp_from".into()));
        let mut read: Vec<&str> = vec!["authentication_id"];
        for (names, to) in PARAMS {
            if let Some((from, v)) = names.iter().find_map(|k| params.get(*k).map(|v| (*k, v))) {
                read.push(from);
                let v = self.rewrite(v, i, "email", from);
                x.with.insert((*to).to_string(), v);
            }
        }
        if let Some((k, v)) = BODY_TYPE
            .iter()
            .find_map(|k| params.get(*k).map(|v| (*k, v)))
        {
            read.push(k);
            let html = match v {
                Value::Bool(b) => *b,
                other => {
                    let s = super::plain(other).to_ascii_lowercase();
                    matches!(s.trim(), "html" | "yes" | "true")
                }
            };
            if html {
                x.with.insert("html".into(), Value::Bool(true));
            }
        }
        let dropped: Vec<&str> = NOT_SENT
            .iter()
            .copied()
            .filter(|k| {
                params
                    .get(*k)
                    .is_some_and(|v| !super::plain(v).is_empty() && super::plain(v) != "no")
            })
            .collect();
        read.extend(NOT_SENT);
        let ignored: Vec<&str> = params
            .keys()
            .map(String::as_str)
            .filter(|k| !read.contains(k) && !k.starts_with("_zap"))
            .collect();
        let mut msg = format!(
            "Email by Zapier step `{name}` became `email.send` through your SMTP server (`secret://smtp_url`) from `secret://smtp_from`; Zapier sent from its own zapiermail.com server"
        );
        if !dropped.is_empty() {
            msg.push_str(&format!("; not carried out: {}", dropped.join(", ")));
        }
        if !ignored.is_empty() {
            msg.push_str(&format!("; params not translated: {}", ignored.join(", ")));
        }
        let f = if dropped.is_empty() && ignored.is_empty() {
            Finding::info(codes::EMAIL_MAPPED.id, msg, self.origin(Some(i)))
        } else {
            Finding::warning(codes::EMAIL_MAPPED.id, msg, self.origin(Some(i)))
        };
        self.note(
            f.at_path(format!("/execution/{name}"))
                .with_help(codes::EMAIL_MAPPED.fix),
        );
        true
    }

    /// The finding for an Email by Zapier trigger ("New Inbound Email"), imported as a webhook.
    pub(super) fn inbound_email(&mut self, i: usize) {
        self.note(
            Finding::warning(
                codes::INBOUND_EMAIL.id,
                "an Email by Zapier trigger (mail sent to a zapiermail.com address) is imported as a webhook trigger: mail must reach it through an inbound-mail service that POSTs each message as JSON",
                self.origin(Some(i)),
            )
            .with_help(codes::INBOUND_EMAIL.fix),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::is_send;

    #[test]
    fn send_actions() {
        assert!(is_send("send_outbound_email"));
        assert!(is_send("send_v2"));
        assert!(is_send("email"));
        assert!(!is_send("new_inbound_email"));
    }
}
