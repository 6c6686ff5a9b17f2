//! The Alertmanager configuration matching the generated rules: a route tree whose child
//! routes match the `route` label every alert carries, and one receiver per route URI.
//!
//! | route | receiver |
//! |---|---|
//! | `slack://CHANNEL` | `slack_configs`, the webhook URL read from `<secrets>/slack_webhook_<channel>` |
//! | `pagerduty://SERVICE` | `pagerduty_configs`, the routing key read from `<secrets>/pagerduty_routing_key_<service>` |
//! | `email://ADDRESS` | `email_configs` to the address (SMTP server and sender in `global`) |
//! | `webhook://HOST/PATH` | `webhook_configs` posting to `https://HOST/PATH` (`http://` on loopback) |
//! | `log://…`, none | the root receiver `claw-log`, which sends nothing |
//!
//! Secrets are never values: Alertmanager reads them from the `*_file` paths, named as the
//! runtime names its secrets ([`claw_language::routes`]).

use crate::Options;
use crate::rules::SystemRules;
use crate::yaml::{Node, render as yaml};
use claw_language::routes::{pagerduty_secret_names, slack_secret_names, webhook_url};

/// The receiver that sends nothing: alerts without a route (or a `log://` one).
pub const LOG_RECEIVER: &str = "claw-log";

/// A receiver name for a route URI: the scheme and target with anything else as `-`.
fn receiver_name(route: &str) -> String {
    let mut out = String::new();
    for c in route.chars() {
        let c = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '-'
        };
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    out.trim_matches('-').to_string()
}

fn receiver(route: &str, options: &Options) -> Option<Node> {
    let (scheme, target) = route.split_once("://")?;
    let secret = |name: &str| format!("{}/{name}", options.secrets_dir.trim_end_matches('/'));
    let (key, config) = match scheme {
        "slack" => (
            "slack_configs",
            Node::map([
                (
                    "channel",
                    Node::str(format!("#{}", target.trim_start_matches('#'))),
                ),
                (
                    "api_url_file",
                    Node::str(secret(&slack_secret_names(target)[0])),
                ),
                ("send_resolved", Node::Num("true".into())),
            ]),
        ),
        "pagerduty" => (
            "pagerduty_configs",
            Node::map([
                (
                    "routing_key_file",
                    Node::str(secret(&pagerduty_secret_names(target)[0])),
                ),
                ("send_resolved", Node::Num("true".into())),
            ]),
        ),
        "email" => (
            "email_configs",
            Node::map([
                ("to", Node::str(target)),
                ("send_resolved", Node::Num("true".into())),
            ]),
        ),
        "webhook" => (
            "webhook_configs",
            Node::map([
                ("url", Node::str(webhook_url(target))),
                ("send_resolved", Node::Num("true".into())),
            ]),
        ),
        _ => return None,
    };
    Some(Node::map([
        ("name", Node::str(receiver_name(route))),
        (key, Node::List(vec![config])),
    ]))
}

/// The configuration's text for every system's rules.
pub fn render(all: &[SystemRules], options: &Options) -> String {
    let mut routes: Vec<&str> = all
        .iter()
        .flat_map(|r| r.slo_alerts.iter().chain(&r.alerts))
        .flat_map(|a| {
            a.labels
                .iter()
                .filter(|(k, _)| k == "route")
                .map(|(_, v)| v.as_str())
        })
        .filter(|r| !r.starts_with("log://"))
        .collect();
    routes.sort_unstable();
    routes.dedup();
    let mut receivers = vec![Node::map([("name", Node::str(LOG_RECEIVER))])];
    let mut children = Vec::new();
    for r in &routes {
        if let Some(rec) = receiver(r, options) {
            receivers.push(rec);
            children.push(Node::map([
                (
                    "matchers",
                    Node::List(vec![Node::str(format!(
                        "route={}",
                        crate::promql::quoted(r)
                    ))]),
                ),
                ("receiver", Node::str(receiver_name(r))),
            ]));
        }
    }
    let mut doc = Node::Map(Vec::new());
    if routes.iter().any(|r| r.starts_with("email://")) {
        // The runtime's defaults (its `smtp_url` secret has no Alertmanager counterpart
        // that keeps credentials out of this file): set the real server here.
        doc.push(
            "global",
            Node::str_map([
                ("smtp_smarthost", "localhost:25"),
                ("smtp_from", "openclaw@localhost"),
            ]),
        );
    }
    let str_list = |v: &[&str]| Node::List(v.iter().map(|s| Node::str(*s)).collect());
    doc.push(
        "route",
        Node::map([
            ("receiver", Node::str(LOG_RECEIVER)),
            ("group_by", str_list(&["alertname", "system", "slo"])),
            ("group_wait", Node::str("30s")),
            ("group_interval", Node::str("5m")),
            ("repeat_interval", Node::str("4h")),
            ("routes", Node::List(children)),
        ]),
    );
    doc.push("receivers", Node::List(receivers));
    format!(
        "{}{}",
        crate::header("Alertmanager routes and receivers"),
        yaml(&doc)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receiver_names_are_slugs() {
        assert_eq!(receiver_name("slack://ops-oncall"), "slack-ops-oncall");
        assert_eq!(
            receiver_name("email://finance-ops@example.com"),
            "email-finance-ops-example-com"
        );
    }
}
